"""notify_municipalities: SitePublished → one mail per municipality (SES), exactly once;
ConsultationOpened → one invitation per municipality with its personal link, exactly once.

The Lambda timeout must cover 98 mails at the SES sandbox rate of 1/s; when time runs short
the run stops and fails on purpose, and the retry sends only what is missing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.ledger import Ledger
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.adapters.secrets import signing_key
from danmarkskort.adapters.ses import SesSender
from danmarkskort.clock import SystemClock
from danmarkskort.events import ConsultationOpenedEvent, SitePublishedEvent, parse_event
from danmarkskort.mail.job import NotifyJob, NotifySettings
from danmarkskort.mail.notify import NotificationsIncomplete
from danmarkskort.observability import observability
from danmarkskort.ports import Clock, MailSender
from danmarkskort.settings import load_settings

obs = observability()
# The time of the sending loop, the ledger's leases and SES pacing: one clock, which tests
# replace with their own to move time forward.
clock: Clock = SystemClock()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    invitation = isinstance(event, dict) and event.get("detail-type") == "ConsultationOpened"
    settings = load_settings().need(
        "data_bucket", "site_bucket", "event_bus", "state_table", "sender", "site_url"
    )
    if invitation:
        settings.need("comment_key_secret")
    sender = SesSender(send_rate=settings.send_rate, clock=clock)
    job = NotifyJob(
        settings=NotifySettings(
            sender=settings.sender,
            reply_to=settings.reply_to,
            site_url=settings.site_url,
            dry_run=settings.dry_run,
        ),
        data=Bucket(settings.data_bucket),
        site=Bucket(settings.site_bucket),
        bus=EventBus(settings.event_bus),
        ledger=Ledger(settings.state_table, clock=clock),
        sender=sender,
        clock=clock,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000.0,
        signing_key=lambda: signing_key(settings.comment_key_secret),
    )
    try:
        if invitation:
            opened = parse_event(event, ConsultationOpenedEvent).detail
            obs.correlate(opened.round_id)
            summary = job.invite(opened)
        else:
            published = parse_event(event, SitePublishedEvent).detail
            obs.correlate(published.extract_id)
            summary = job.run(published)
    except NotificationsIncomplete as exc:
        _metrics(exc.summary, sender)
        obs.logger.warning(str(exc), extra={"summary": exc.summary})
        raise
    _metrics(summary, sender)
    obs.logger.info("municipalities notified", extra={"summary": summary})
    return summary


def _metrics(summary: dict[str, Any], sender: MailSender) -> None:
    obs.count("MailsSent", summary["sent_this_run"])
    obs.count("MailsFailed", len(summary["failed"]))
    obs.count("MunicipalitiesWithoutRecipient", len(summary["no_recipient"]))
    obs.count("SesThrottled", sender.throttled)
