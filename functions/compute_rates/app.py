"""compute_rates: an upload in incoming/ → figures (RatesComputed) or report (ExtractRejected)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.compute.job import ComputeJob, upload_from_event
from danmarkskort.events import ObjectCreatedEvent, parse_event
from danmarkskort.observability import observability
from danmarkskort.settings import load_settings

obs = observability()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    upload = upload_from_event(parse_event(event, ObjectCreatedEvent))
    settings = load_settings().need("data_bucket", "event_bus", "state_table")
    job = ComputeJob(
        bucket=Bucket(settings.data_bucket),
        bus=EventBus(settings.event_bus),
        lav_n_threshold=settings.lav_n_threshold,
        max_bytes=settings.max_extract_bytes,
        once=once_per_extract(
            settings.state_table, context, data_keyword="job", key="[extract_id, config]"
        ),
        identified=obs.correlate,
    )
    result = job.run(upload)
    obs.logger.info("extract handled", extra={"status": result["status"], "keys": result["keys"]})
    _record_metrics(result)
    return result


def _record_metrics(result: dict[str, Any]) -> None:
    if result["status"] in ("ignored", "unchanged"):
        return
    if result["status"] == "rejected":
        obs.count("Rejections", 1)
        obs.count("Problems", result["problems"])
    else:
        obs.count("Publications", 1)
        obs.count("Warnings", result["warnings"])
        obs.count("RowsRead", result["rows"])
        obs.count("Municipalities", result["municipalities"])
