"""render_site: RatesComputed → the record and the published site → SitePublished; a change
under config/ (Object Created) → the current site again from the record, under the new
configuration."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.events import ObjectCreatedEvent, RatesComputedEvent, parse_event
from danmarkskort.observability import observability
from danmarkskort.render.job import RenderJob
from danmarkskort.settings import load_settings

obs = observability()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config_changed = isinstance(event, dict) and event.get("detail-type") == "Object Created"
    settings = load_settings().need("data_bucket", "site_bucket", "event_bus", "state_table")
    job = RenderJob(
        data=Bucket(settings.data_bucket),
        site=Bucket(settings.site_bucket),
        bus=EventBus(settings.event_bus),
        site_url=settings.site_url,
        once=once_per_extract(settings.state_table, context, data_keyword="detail"),
    )
    if config_changed:
        result = job.rerender(parse_event(event, ObjectCreatedEvent))
    else:
        computed = parse_event(event, RatesComputedEvent).detail
        obs.correlate(computed.extract_id)
        result = job.run(computed)
    if result["status"] != "published":
        # Figures equal to what is published (or older), or nothing published yet to
        # re-render: no new version, no SitePublished.
        obs.logger.info("nothing to publish", extra={"result": result})
        obs.count("NothingPublished", 1)
        return result
    obs.logger.info(
        "site published", extra={"version": result["version"], "files": result["files"]}
    )
    obs.count("SiteFiles", result["files"])
    return result
