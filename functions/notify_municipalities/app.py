"""notify_municipalities: SitePublished → one mail per municipality (SES), exactly once.

The Lambda timeout must cover 98 mails at the SES sandbox rate of 1/s; when time runs short
the run stops and fails on purpose, and the retry sends only what is missing.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from danmarkskort.adapters.eventbridge import EventBus
from danmarkskort.adapters.ledger import Ledger
from danmarkskort.adapters.ses import SesSender
from danmarkskort.adapters.s3 import Bucket
from danmarkskort.mail.job import NotifyJob
from danmarkskort.mail.notify import NotificationsIncomplete
from danmarkskort.settings import load_settings

logger = Logger()
tracer = Tracer()
# The template sets the namespace; the default keeps a run without it (a bare local
# invocation) from failing at the very end, when the metrics are flushed.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Danmarkskort")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings().need("event_bus", "state_table", "sender")
    detail = EventBridgeEvent(event).detail
    logger.set_correlation_id(str(detail.get("extract_id", "")))
    sender = SesSender(send_rate=settings.send_rate)
    job = NotifyJob(
        settings=settings,
        data=Bucket(detail.get("data_bucket") or settings.data_bucket),
        bus=EventBus(settings.event_bus),
        ledger=Ledger(settings.state_table),
        sender=sender,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000.0,
    )
    try:
        summary = job.run(detail)
    except NotificationsIncomplete as exc:
        _metrics(exc.summary, sender)
        logger.warning(str(exc), extra={"summary": exc.summary})
        raise
    _metrics(summary, sender)
    logger.info("municipalities notified", extra={"summary": summary})
    return summary


def _metrics(summary: dict[str, Any], sender: SesSender) -> None:
    metrics.add_metric(name="MailsSent", unit=MetricUnit.Count, value=summary["sent_this_run"])
    metrics.add_metric(name="MailsFailed", unit=MetricUnit.Count, value=len(summary["failed"]))
    metrics.add_metric(
        name="MunicipalitiesWithoutRecipient",
        unit=MetricUnit.Count,
        value=len(summary["no_recipient"]),
    )
    metrics.add_metric(name="SesThrottled", unit=MetricUnit.Count, value=sender.throttled)
