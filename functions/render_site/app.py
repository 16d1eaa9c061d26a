"""render_site: RatesComputed → the published site (maps, pages, guide, data) → SitePublished."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.events import RatesComputedEvent, parse_event
from danmarkskort.observability import observability
from danmarkskort.render.job import RenderJob
from danmarkskort.settings import load_settings

obs = observability()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    computed = parse_event(event, RatesComputedEvent).detail
    obs.correlate(computed.extract_id)
    settings = load_settings().need("data_bucket", "site_bucket", "event_bus", "state_table")
    job = RenderJob(
        data=Bucket(settings.data_bucket),
        site=Bucket(settings.site_bucket),
        bus=EventBus(settings.event_bus),
        site_url=settings.site_url,
        once=once_per_extract(settings.state_table, context, data_keyword="detail"),
    )
    result = job.run(computed)
    if result["status"] == "unchanged":
        # Figures equal to what is published (or older): no new version, no SitePublished.
        obs.logger.info("nothing to publish", extra={"years": result["years"]})
        obs.count("UnchangedExtracts", 1)
        return result
    obs.logger.info(
        "site published", extra={"version": result["version"], "files": result["files"]}
    )
    obs.count("SiteFiles", result["files"])
    return result
