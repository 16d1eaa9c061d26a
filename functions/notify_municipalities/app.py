"""notify_municipalities: SitePublished → one mail per municipality (SES), exactly once.

Each mail is claimed in the ledger (STATE_TABLE) before it is sent and recorded after, so a
duplicated event or a retry after a crash sends only what is missing. The function stops
before its time runs out and fails on purpose (NotificationsIncomplete); Lambda's retry then
resumes with the rest. The Lambda timeout must cover 98 mails at the sandbox rate of 1/s.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort import events
from danmarkskort.adapters.bus import EventBus
from danmarkskort.adapters.ledger import Ledger
from danmarkskort.adapters.ses import SesSender
from danmarkskort.adapters.storage import Bucket
from danmarkskort.areas import load_mapping
from danmarkskort.config import BucketSource, layered
from danmarkskort.figures import load_figures_json
from danmarkskort.mail.compose import Context, Sender, compose_all, require_links
from danmarkskort.mail.notify import NotificationsIncomplete, Run
from danmarkskort.mail.outbox import BucketOutbox
from danmarkskort.mail.recipients import load_recipients
from danmarkskort.mail.texts import load_mail_texts
from danmarkskort.remarks import load_remark_book
from danmarkskort.settings import load_settings

logger = Logger()
# The template sets the namespace; the default keeps a run without it (a bare local
# invocation) from failing at the very end, when the metrics are flushed.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Danmarkskort")


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings().need("event_bus", "state_table", "sender")
    detail = EventBridgeEvent(event).detail
    events.require(detail, "extract_id", "figures_key", "links", detail_type=events.SITE_PUBLISHED)
    extract_id = str(detail["extract_id"])
    logger.set_correlation_id(extract_id)
    data = Bucket(detail.get("data_bucket") or settings.data_bucket)
    doc = load_figures_json(data.get(data.resolve_key(detail["figures_key"])))
    if doc.extract_id != extract_id:
        raise events.EventError(
            f"{detail['figures_key']} holds extract {doc.extract_id[:12]}, "
            f"but the event is for {extract_id[:12]}"
        )
    config = layered(BucketSource(data))
    mapping = load_mapping(config)
    texts = load_mail_texts(config)
    ctx = Context(
        doc=doc,
        mapping=mapping,
        remarks=load_remark_book(config, mapping),
        recipients=load_recipients(config),
        texts=texts,
        sender=Sender.checked(settings.sender, texts.afsender_navn, settings.reply_to),
        links=require_links(detail["links"], detail.get("site_url") or settings.site_url),
    )
    mails = compose_all(ctx)  # all composed (and checked) before the first is sent
    sender = None
    if not settings.dry_run:
        sender = SesSender(send_rate=settings.send_rate)
        sender.check_identity(ctx.sender.address)
    outbox = BucketOutbox(data)
    bus = EventBus(settings.event_bus)
    run = Run(
        extract_id=extract_id,
        from_address=ctx.sender.address,
        ledger=Ledger(settings.state_table),
        sender=sender,
        outbox=outbox,
        announce=lambda d: bus.emit(events.MUNICIPALITY_NOTIFIED, d),
        dry_run=settings.dry_run,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000.0,
    )
    try:
        summary = run.run(mails)
    except NotificationsIncomplete as exc:
        _metrics(exc.summary, sender)
        logger.warning(str(exc), extra={"summary": exc.summary})
        raise
    outbox.write_summary(extract_id, summary)
    _metrics(summary, sender)
    logger.info("municipalities notified", extra={"summary": summary})
    return summary


def _metrics(summary: dict[str, Any], sender: SesSender | None) -> None:
    metrics.add_metric(name="MailsSent", unit=MetricUnit.Count, value=summary["sent_this_run"])
    metrics.add_metric(name="MailsFailed", unit=MetricUnit.Count, value=len(summary["failed"]))
    metrics.add_metric(
        name="MunicipalitiesWithoutRecipient",
        unit=MetricUnit.Count,
        value=len(summary["no_recipient"]),
    )
    if sender is not None:
        metrics.add_metric(name="SesThrottled", unit=MetricUnit.Count, value=sender.throttled)
