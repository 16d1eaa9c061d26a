"""notify_municipalities' work, given a SitePublished event: read figures and config, compose
every mail, then send what the ledger says is not yet sent. Ports come in from the handler.

What the mails link to comes from notify's own SITE_URL and the manifest render_site wrote
for the announced version in the site bucket, never from the event: a forged SitePublished
cannot make 98 mails link anywhere else, nor point notify at another bucket.

Each mail is claimed in the ledger before it is sent and recorded after, so a duplicated
event or a retry after a crash sends only what is missing. The run stops before the
invocation's time runs out and fails on purpose (NotificationsIncomplete); Lambda's retry
then resumes with the rest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from danmarkskort.config.sources import BucketSource, ConfigSource, layered
from danmarkskort.domain.areas import load_mapping
from danmarkskort.domain.beneficiaries import load_reported
from danmarkskort.domain.figures import FiguresDoc, figure_from_dict, load_announced
from danmarkskort.domain.record import PublishedComment, load_record, published_doc
from danmarkskort.domain.remarks import load_remark_book, with_comments
from danmarkskort.events import (
    ConsultationOpened,
    EventError,
    MunicipalityNotified,
    SitePublished,
)
from danmarkskort.hoering import tokens
from danmarkskort.hoering.round import round_figures_key
from danmarkskort.hoering.store import RoundStore
from danmarkskort.log import child_logger
from danmarkskort.mail.compose import (
    ComposedMail,
    Context,
    CorrectedFigure,
    Invitation,
    Links,
    NoRecipient,
    Sender,
    compose_all,
)
from danmarkskort.mail.notify import Run
from danmarkskort.mail.outbox import BucketOutbox
from danmarkskort.mail.recipients import load_recipients
from danmarkskort.mail.texts import load_mail_texts
from danmarkskort.ports import BlobStore, Clock, EventPublisher, MailLedger, MailSender
from danmarkskort.render.manifest import Mailing, manifest_key, read_manifest


def invitation_id(round_id: str) -> str:
    """The ledger's and the outbox's name of a round's invitations (an id of the same
    shape as an extract's, and never one: the hash of another text)."""
    return hashlib.sha256(f"hoering-invitation|{round_id}".encode()).hexdigest()


def mail_context(
    doc: FiguresDoc,
    config: ConfigSource,
    *,
    sender: str,
    reply_to: str,
    links: Links,
    mailing: Mailing | None = None,
    comments: Iterable[PublishedComment] = (),
    invitation: Invitation | None = None,
) -> Context:
    """Everything composing needs, read and checked from the config (ConfigError names the
    file, entry and field). ``comments``: the municipalities' own published comments (the
    record's), shown among the remarks."""
    mapping = load_mapping(config)
    texts = load_mail_texts(config)
    corrections = _corrections(mailing) if mailing is not None else {}
    correction_year = mailing.aar if mailing is not None and mailing.kind == "correction" else None
    # A rejected file never stops the mails: they go without it (and the log says why).
    beneficiaries = load_reported(config, mapping, doc.extract_id)
    return Context(
        doc=doc,
        mapping=mapping,
        remarks=with_comments(load_remark_book(config, mapping), comments),
        recipients=load_recipients(config),
        texts=texts,
        sender=Sender.checked(sender, texts.afsender_navn, reply_to),
        links=links,
        corrections=corrections,
        correction_year=correction_year,
        only=None if mailing is None or mailing.kommuner is None else frozenset(mailing.kommuner),
        invitation=invitation,
        beneficiaries=beneficiaries.table,
    )


def _corrections(mailing: Mailing) -> dict[str, tuple[CorrectedFigure, ...]]:
    return {
        code: tuple(
            CorrectedFigure(c.aar, c.omraade, figure_from_dict(c.old), figure_from_dict(c.new))
            for c in changes
        )
        for code, changes in mailing.corrections.items()
    }


@dataclass(frozen=True)
class NotifySettings:
    sender: str
    reply_to: str
    site_url: str
    dry_run: bool


@dataclass
class NotifyJob:
    settings: NotifySettings
    data: BlobStore  # figures, config/ and the notifications/ record
    site: BlobStore  # the published site: the announced version's manifest
    bus: EventPublisher
    ledger: MailLedger
    sender: MailSender  # not used in a dry run
    clock: Clock
    time_left: Callable[[], float]  # seconds the invocation has left
    signing_key: Callable[[], bytes] | None = None  # the round key (invitations only)

    def run(self, event: SitePublished) -> dict[str, Any]:
        """The run's summary; NotificationsIncomplete (with the summary) to be retried."""
        for named, own in ((event.data_bucket, self.data.name), (event.bucket, self.site.name)):
            if named != own:
                raise EventError(
                    f"SitePublished names bucket {named!r}, not this stack's {own!r}: refused"
                )
        extract_id = event.extract_id
        manifest = read_manifest(
            self.site.get_or_none(manifest_key(event.version)),
            version=event.version,
            extract_id=extract_id,
        )
        doc, _ = load_announced(self.data, manifest.figures_key, extract_id)
        comments: tuple[PublishedComment, ...] = ()
        if manifest.record_key is not None:
            # What the site shows: every published year, whichever extract it came from.
            key = manifest.record_key
            record = load_record(self.data.get(key), key)
            doc, comments = published_doc(record, doc), record.comments
        ctx = mail_context(
            doc,
            layered(BucketSource(self.data)),
            sender=self.settings.sender,
            reply_to=self.settings.reply_to,
            links=Links(
                site_url=self.settings.site_url,
                reading_guide=manifest.links.reading_guide,
                municipality_page=manifest.links.municipality_page,
                year_page=manifest.links.year_page,
            ),
            mailing=manifest.mailing,
            comments=comments,
        )
        # All composed (and checked) before the first is sent; none when the publication
        # changed nothing a municipality must hear about (render's decision, in the manifest).
        mails = [] if manifest.mailing.kind == "none" else compose_all(ctx)
        legal = ctx.texts.legal_text(ctx.newest_year)
        if mails and not legal.included:
            _logger().warning(
                legal.warning(),
                extra={"legal_text": legal.as_dict(), "extract_id": extract_id},
            )
        return self._send(extract_id, ctx, mails, legal.as_dict() if mails else None)

    def invite(self, event: ConsultationOpened) -> dict[str, Any]:
        """A consultation round's invitations: each municipality's figures as the preview
        shows them, the deadline and its personal link; once per round (the ledger's key is
        the round's, not the extract's, so the final mails after publication are separate)."""
        if event.data_bucket != self.data.name:
            raise EventError(
                f"ConsultationOpened names bucket {event.data_bucket!r}, not this stack's "
                f"{self.data.name!r}: refused"
            )
        opened = RoundStore(self.data).round(event.round_id)
        if opened.extract_id != event.extract_id:
            raise EventError(
                f"round {event.round_id} is of extract {opened.extract_id[:12]}, the event "
                f"says {event.extract_id[:12]}: refused"
            )
        doc, _ = load_announced(self.data, round_figures_key(event.round_id), event.extract_id)
        if self.signing_key is None:
            raise EventError("an invitation needs the round key (COMMENT_KEY_SECRET)")
        key = self.signing_key()
        links = {
            code: tokens.link(
                self.settings.site_url, tokens.sign(key, opened.round_id, code, opened.frist)
            )
            for code in opened.municipalities
        }
        ctx = mail_context(
            doc,
            layered(BucketSource(self.data)),
            sender=self.settings.sender,
            reply_to=self.settings.reply_to,
            links=Links(site_url=self.settings.site_url, reading_guide="", municipality_page=""),
            invitation=Invitation(round_id=opened.round_id, frist=opened.frist, links=links),
        )
        mails = [m for m in compose_all(ctx) if m.kommunekode in opened.municipalities]
        return self._send(invitation_id(opened.round_id), ctx, mails, None, opened.round_id)

    def _send(
        self,
        ledger_id: str,
        ctx: Context,
        mails: list[ComposedMail | NoRecipient],
        legal_text: dict[str, Any] | None,
        round_id: str | None = None,
    ) -> dict[str, Any]:
        sender = None if self.settings.dry_run else self.sender
        if sender is not None:
            sender.check_identity(ctx.sender.address)  # an unverified sender sends nothing
        outbox = BucketOutbox(self.data)
        run = Run(
            extract_id=ledger_id,
            from_address=ctx.sender.address,
            ledger=self.ledger,
            sender=sender,
            outbox=outbox,
            announce=self._announce,
            clock=self.clock,
            dry_run=self.settings.dry_run,
            time_left=self.time_left,
            legal_text=legal_text,
            round_id=round_id,
        )
        summary = run.run(mails)
        outbox.write_summary(ledger_id, summary)
        return summary

    def _announce(self, detail: dict[str, Any]) -> None:
        self.bus.emit(MunicipalityNotified.model_validate(detail))


def _logger() -> logging.Logger:
    return child_logger(__name__)
