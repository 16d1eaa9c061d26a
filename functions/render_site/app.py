"""render_site: RatesComputed → the published site (maps, pages, guide, data) → SitePublished."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.render.job import RenderJob
from danmarkskort.settings import load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context  # logs the event when POWERTOOLS_LOGGER_LOG_EVENT is true
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings().need("data_bucket", "site_bucket", "event_bus", "state_table")
    detail = EventBridgeEvent(event).detail
    logger.set_correlation_id(str(detail.get("extract_id", "")))
    job = RenderJob(
        data=Bucket(settings.data_bucket),
        site=Bucket(settings.site_bucket),
        bus=EventBus(settings.event_bus),
        site_url=settings.site_url,
    )
    run = once_per_extract(settings.state_table, context, data_keyword="detail")(job.run)
    result = run(detail=detail)
    logger.info("site published", extra={"version": result["version"], "files": result["files"]})
    metrics.add_metric(name="SiteFiles", unit=MetricUnit.Count, value=result["files"])
    return result
