"""compute_rates: an upload in incoming/ → figures (RatesComputed) or report (ExtractRejected)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.compute.job import ComputeJob, upload_from_event
from danmarkskort.settings import load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context  # logs the event when POWERTOOLS_LOGGER_LOG_EVENT is true
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings().need("data_bucket", "event_bus", "state_table")
    s3_event = S3EventBridgeNotificationEvent(event)
    upload = upload_from_event(
        s3_event.raw_event.get("detail") or {}, s3_event.raw_event.get("time")
    )
    job = ComputeJob(
        bucket=Bucket(settings.data_bucket),
        bus=EventBus(settings.event_bus),
        lav_n_threshold=settings.lav_n_threshold,
        max_bytes=settings.max_extract_bytes,
        identified=logger.set_correlation_id,
        once=once_per_extract(settings.state_table, context, data_keyword="job"),
    )
    result = job.run(upload)
    logger.info("extract handled", extra={"status": result["status"], "keys": result["keys"]})
    _record_metrics(result)
    return result


def _record_metrics(result: dict[str, Any]) -> None:
    if result["status"] == "ignored":
        return
    if result["status"] == "rejected":
        metrics.add_metric(name="Rejections", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="Problems", unit=MetricUnit.Count, value=result["problems"])
    else:
        metrics.add_metric(name="Publications", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="Warnings", unit=MetricUnit.Count, value=result["warnings"])
        metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=result["rows"])
        metrics.add_metric(
            name="Municipalities", unit=MetricUnit.Count, value=result["municipalities"]
        )
