"""notify_municipalities' work, given its event detail: read figures and config, compose every
mail, then send what the ledger says is not yet sent. Adapters come in from the handler.

Each mail is claimed in the ledger before it is sent and recorded after, so a duplicated
event or a retry after a crash sends only what is missing. The run stops before the
invocation's time runs out and fails on purpose (NotificationsIncomplete); Lambda's retry
then resumes with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from danmarkskort import events
from danmarkskort.domain.areas import load_mapping
from danmarkskort.config.sources import BucketSource, ConfigSource, layered
from danmarkskort.domain.figures import FiguresDoc, load_announced
from danmarkskort.mail.compose import Context, Sender, compose_all, require_links
from danmarkskort.mail.notify import Run
from danmarkskort.mail.outbox import BucketOutbox
from danmarkskort.mail.recipients import load_recipients
from danmarkskort.mail.texts import load_mail_texts
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.settings import Settings


def mail_context(
    doc: FiguresDoc,
    config: ConfigSource,
    *,
    sender: str,
    reply_to: str,
    links: dict[str, Any],
    site_url: str,
) -> Context:
    """Everything composing needs, read and checked from the config (ConfigError names the
    file, entry and field)."""
    mapping = load_mapping(config)
    texts = load_mail_texts(config)
    return Context(
        doc=doc,
        mapping=mapping,
        remarks=load_remark_book(config, mapping),
        recipients=load_recipients(config),
        texts=texts,
        sender=Sender.checked(sender, texts.afsender_navn, reply_to),
        links=require_links(links, site_url),
    )


@dataclass
class NotifyJob:
    settings: Settings
    data: Any  # adapters.storage.Bucket: figures, config/ and the notifications/ record
    bus: Any  # adapters.bus.EventBus
    ledger: Any  # adapters.ledger.Ledger
    sender: Any  # adapters.ses.SesSender (not used in a dry run)
    time_left: Callable[[], float]  # seconds the invocation has left

    def run(self, detail: dict[str, Any]) -> dict[str, Any]:
        """The run's summary; NotificationsIncomplete (with the summary) to be retried."""
        events.require(
            detail, "extract_id", "figures_key", "links", detail_type=events.SITE_PUBLISHED
        )
        extract_id = str(detail["extract_id"])
        doc, _ = load_announced(self.data, detail["figures_key"], extract_id)
        ctx = mail_context(
            doc,
            layered(BucketSource(self.data)),
            sender=self.settings.sender,
            reply_to=self.settings.reply_to,
            links=detail["links"],
            site_url=detail.get("site_url") or self.settings.site_url,
        )
        mails = compose_all(ctx)  # all composed (and checked) before the first is sent
        sender = None if self.settings.dry_run else self.sender
        if sender is not None:
            sender.check_identity(ctx.sender.address)  # an unverified sender sends nothing
        outbox = BucketOutbox(self.data)
        run = Run(
            extract_id=extract_id,
            from_address=ctx.sender.address,
            ledger=self.ledger,
            sender=sender,
            outbox=outbox,
            announce=lambda d: self.bus.emit(events.MUNICIPALITY_NOTIFIED, d),
            dry_run=self.settings.dry_run,
            time_left=self.time_left,
        )
        summary = run.run(mails)
        outbox.write_summary(extract_id, summary)
        return summary
