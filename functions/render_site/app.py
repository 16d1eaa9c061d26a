"""render_site: RatesComputed → the record and the published site → SitePublished (or, in
consultation mode, a private preview and a round → ConsultationOpened); ConsultationDue →
the round published with its comments → SitePublished; a change under config/ (Object
Created) → the current site again from the record, under the new configuration."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.idempotency import once_per_extract
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.adapters.scheduler import EventScheduler
from danmarkskort.events import (
    ConsultationDueEvent,
    ObjectCreatedEvent,
    RatesComputedEvent,
    parse_event,
)
from danmarkskort.observability import observability
from danmarkskort.render.job import RenderJob
from danmarkskort.settings import load_settings

obs = observability()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = event.get("detail-type") if isinstance(event, dict) else None
    settings = load_settings().need("data_bucket", "site_bucket", "event_bus", "state_table")
    scheduler = None
    if settings.schedule_group:
        settings.need("scheduler_role_arn", "event_bus_arn")
        scheduler = EventScheduler(
            group=settings.schedule_group,
            bus_arn=settings.event_bus_arn,
            role_arn=settings.scheduler_role_arn,
        )
    job = RenderJob(
        data=Bucket(settings.data_bucket),
        site=Bucket(settings.site_bucket),
        bus=EventBus(settings.event_bus),
        site_url=settings.site_url,
        once=once_per_extract(settings.state_table, context, data_keyword="detail"),
        consultation=settings.hoering,
        scheduler=scheduler,
        settle_seconds=settings.comment_settle_seconds,
    )
    if kind == "Object Created":
        result = job.rerender(parse_event(event, ObjectCreatedEvent))
    elif kind == "ConsultationDue":
        due = parse_event(event, ConsultationDueEvent).detail
        obs.correlate(due.round_id)
        result = job.publish_round(due)
    else:
        computed = parse_event(event, RatesComputedEvent).detail
        obs.correlate(computed.extract_id)
        result = job.run(computed)
    if result["status"] == "consultation_opened":
        obs.logger.info(
            "consultation round opened; nothing published",
            extra={"round_id": result["round_id"], "frist": result["frist"]},
        )
        obs.count("ConsultationOpened", 1)
        return result
    if result["status"] != "published":
        # Figures equal to what is published (or older), nothing published yet to
        # re-render, or a round already published: no new version, no SitePublished.
        obs.logger.info("nothing to publish", extra={"result": result})
        obs.count("NothingPublished", 1)
        return result
    obs.logger.info(
        "site published", extra={"version": result["version"], "files": result["files"]}
    )
    obs.count("SiteFiles", result["files"])
    return result
