"""render_site's work, given a RatesComputed event: read figures and config, render, publish,
announce. Buckets and bus come in from the handler as ports, so this never imports boto3.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from danmarkskort.config.loader import load
from danmarkskort.config.models import HoeringFile
from danmarkskort.config.sources import CONFIG_PREFIX, BucketSource, ConfigSource, layered
from danmarkskort.domain.areas import load_mapping
from danmarkskort.domain.beneficiaries import load_reported
from danmarkskort.domain.figures import FiguresDoc, load_announced
from danmarkskort.domain.record import (
    Merge,
    Record,
    merge,
    plan_mailing,
    published_doc,
    with_round_comments,
)
from danmarkskort.domain.remarks import load_remark_book, with_comments
from danmarkskort.events import (
    ConsultationDue,
    ConsultationOpened,
    EventError,
    ObjectCreatedEvent,
    RatesComputed,
    SiteKeys,
    SiteLinks,
    SitePublished,
)
from danmarkskort.hoering.round import (
    CurrentRound,
    Round,
    preview_prefix,
    published_key,
    round_figures_key,
    round_key,
)
from danmarkskort.hoering.store import RoundStore
from danmarkskort.ports import BlobStore, EventPublisher, Once, Scheduler, always
from danmarkskort.render.geojson import geometry_from_geojson
from danmarkskort.render.geometry import MapGeometry, tilegrid
from danmarkskort.render.publish import publish_site
from danmarkskort.render.publisher import load_publisher
from danmarkskort.render.record_store import RecordStore, state_key
from danmarkskort.render.round import (
    PrefixedStore,
    deadline,
    published_comments,
    round_doc,
    round_id,
)
from danmarkskort.render.site import build_site
from danmarkskort.render.style import load_style

GEOJSON_FILE = "kommuner.geojson"


def load_geometry(source: ConfigSource) -> MapGeometry:
    """The geographic map when kommuner.geojson is configured, else the tile grid."""
    data = source.read(GEOJSON_FILE)
    if data is None:
        return tilegrid()
    return geometry_from_geojson(data, source=GEOJSON_FILE)


class ForeignBucket(EventError):
    """The event names a bucket that is not this stack's: never read from it."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def schedule_name(rid: str) -> str:
    """The round's one schedule (EventBridge Scheduler names: 1-64 of [0-9a-zA-Z-_.])."""
    return f"hoering-{rid}"


@dataclass
class RenderJob:
    data: BlobStore  # figures and config/
    site: BlobStore  # the published site
    bus: EventPublisher
    site_url: str
    once: Once = always
    # The consultation round: HOERING (the template's parameter) turns it on for every
    # extract, as hoering.json's "aktiv" does; the scheduler publishes at the deadline.
    consultation: bool = False
    scheduler: Scheduler | None = None
    now: Callable[[], datetime] = field(default=_utc_now)
    # After a round stops taking comments, how long to let a comment request that had
    # already passed its checks finish writing (the comment function's timeout).
    settle_seconds: float = 0.0

    def run(self, event: RatesComputed) -> dict[str, Any]:
        """Render and publish the site once per extract; returns the SitePublished detail."""
        if event.bucket != self.data.name:
            raise ForeignBucket(
                f"RatesComputed names bucket {event.bucket!r}, not the data bucket "
                f"{self.data.name!r}: refused"
            )
        return self.once(self._publish)(detail=event.to_detail())

    def rerender(self, changed: ObjectCreatedEvent) -> dict[str, Any]:
        """A file under config/ changed (remarks, cooperation, recipients, ...): the current
        site again from the record, under the new configuration. No mail: the figures are
        the same. Deterministic per event (the version is made from it), so a redelivery
        rewrites the same version."""
        bucket, key = changed.detail.bucket.name, changed.detail.object.key
        if bucket != self.data.name or not key.startswith(CONFIG_PREFIX):
            raise ForeignBucket(
                f"s3://{bucket}/{key} is not under {CONFIG_PREFIX} of the data bucket "
                f"{self.data.name!r}: refused"
            )
        record = RecordStore(self.data).load()
        if not record.sources:
            return {"status": "nothing_published", "config": key}
        newest = max(record.sources, key=lambda s: (s.applied, s.extract_id))
        doc, figures_key = load_announced(
            self.data, f"results/{newest.extract_id}/figures.json", newest.extract_id
        )
        seed = f"{record.seq}|{key}|{changed.detail.object.sequencer}|{changed.time.isoformat()}"
        return self._render(
            record,
            doc,
            figures_key,
            version=hashlib.sha256(seed.encode()).hexdigest()[:16],
            mailing={"kind": "none"},
            record_key=state_key(record.seq),
            extra={"reason": f"configuration changed: {key}"},
        )

    def _publish(self, detail: dict[str, Any]) -> dict[str, Any]:
        event = RatesComputed.model_validate(detail)
        doc, figures_key = load_announced(self.data, event.keys.figures_json, event.extract_id)
        store = RecordStore(self.data)
        # A year's figures count as published when their extract was received: deterministic,
        # so a retry merges to the very same state.
        merged = merge(store.load(), doc, applied=doc.received)
        outcomes = {str(o.aar): o.kind for o in merged.outcomes}
        if not merged.changed:
            # Figures equal to what is published (or only older than it): nothing to show
            # or send. The record stays as it is.
            return {"status": "unchanged", "extract_id": doc.extract_id, "years": outcomes}
        mailing = plan_mailing(merged)
        if mailing["kind"] == "publication":
            # A new year's maps go to the municipalities first when the round is on;
            # corrections and older years are published at once, as without it.
            rules = load(layered(BucketSource(self.data)), HoeringFile)
            if self.consultation or rules.aktiv:
                return self._open_round(merged, doc, figures_key, rules)
        record_key = store.write(merged.record)
        result = self._render(
            merged.record,
            doc,
            figures_key,
            version=None,
            mailing=mailing,
            record_key=record_key,
            extra={"extract_years": outcomes},
        )
        # In force last: a failure before this point is retried from the old record, writes
        # the same state and version again, and notify's ledger sends no mail twice.
        store.make_current(merged.record)
        return result

    # --- the consultation round ------------------------------------------------------------

    def _open_round(
        self, merged: Merge, doc: FiguresDoc, figures_key: str, rules: HoeringFile
    ) -> dict[str, Any]:
        """Instead of publishing: the whole site as a private preview, the round's documents,
        its schedule, and ConsultationOpened for the invitations. Nothing public changes and
        the record stays as it is; the figures are merged again when the round is published.
        A retry opens the same round (same id, the first opening's deadline)."""
        rounds = RoundStore(self.data)
        rid = round_id(doc.extract_id, merged.record.seq)
        published = published_doc(merged.record, doc)
        source = layered(BucketSource(self.data))
        if self.data.exists(round_key(rid)):
            opened = rounds.round(rid)
        else:
            now = self.now()
            opened = round_doc(
                rid=rid,
                published=published,
                mapping=load_mapping(source),
                opened=now,
                frist=deadline(now, rules.frist_dage),
                max_tegn=rules.max_tegn,
            )
        preview_figures = round_figures_key(rid)
        self.data.put(preview_figures, published.to_json(), content_type="application/json")
        preview = PrefixedStore(self.data, preview_prefix(rid))
        self._render(
            merged.record,
            doc,
            figures_key,
            version=rid,
            mailing={"kind": "none"},
            record_key="",
            extra={"preview_of_round": rid},
            target=preview,
            announce=False,
        )
        current = rounds.current()
        superseded = None
        replacing = ("open", "superseded")  # "superseded": an interrupted earlier attempt
        if current is not None and current.round_id != rid and current.status in replacing:
            # A newer extract while a round is open: it replaces that round. The comments
            # already made are kept: they come into the new round (and may be changed there).
            # The old round stops taking comments first, and what the comment function had
            # begun to write is let finish, so none is left behind in the old round.
            superseded = current.round_id
            if current.status == "open":
                rounds.set_current(
                    CurrentRound(
                        round_id=superseded,
                        status="superseded",
                        frist=current.frist,
                        changed=self.now(),
                    )
                )
                if self.settle_seconds:
                    time.sleep(self.settle_seconds)
            self._carry_over(rounds, superseded, opened)
            if self.scheduler is not None:
                self.scheduler.cancel(schedule_name(superseded))
        rounds.put_round(opened)
        if current is None or current.round_id != rid:
            rounds.set_current(
                CurrentRound(round_id=rid, status="open", frist=opened.frist, changed=self.now())
            )
        detail = ConsultationDue(round_id=rid)
        if self.scheduler is not None:
            self.scheduler.at(schedule_name(rid), opened.frist, detail)
        event = ConsultationOpened(
            round_id=rid,
            extract_id=doc.extract_id,
            years=list(published.years),
            data_bucket=self.data.name,
            round_key=round_key(rid),
            figures_key=preview_figures,
            preview_prefix=preview_prefix(rid),
            frist=opened.frist.isoformat(),
            superseded=superseded,
        )
        self.bus.emit(event)
        return {"status": "consultation_opened", **event.to_detail()}

    def _carry_over(self, rounds: RoundStore, old: str, new: Round) -> None:
        """The old round's comments into the new one, each with an audit entry saying so."""
        from danmarkskort.hoering.round import AuditEntry, Comment

        if self.data.exists(round_key(new.round_id)):
            return  # carried on the first attempt
        now = self.now()
        for code, comment in rounds.comments(old).items():
            if new.municipality(code) is None or rounds.comment(new.round_id, code):
                continue
            slugs = set(new.area_slugs)
            words = {k: v for k, v in comment.kommentarer.items() if k in slugs}
            carried = Comment(
                round_id=new.round_id,
                kommunekode=code,
                kommentarer=words,
                saved=comment.saved,
                revision=1,
                token_id=comment.token_id,
            )
            audit = AuditEntry(
                round_id=new.round_id,
                kommunekode=code,
                action="carried_over",
                kommentarer=words,
                received=now,
                revision=1,
                token_id=comment.token_id,
                request_id=f"from round {old}",
            )
            rounds.save_comment(carried, audit, nonce=old)

    def publish_round(self, due: ConsultationDue) -> dict[str, Any]:
        """Publish the open round with its comments: once, however often this arrives (the
        schedule and the ministry may both ask). A round that is not the current one (it
        was replaced by a newer extract, or never existed) publishes nothing."""
        rid = due.round_id
        rounds = RoundStore(self.data)
        if self.data.exists(published_key(rid)):
            return {"status": "already_published", "round_id": rid}
        current = rounds.current()
        if current is None or current.round_id != rid or current.status == "superseded":
            return {
                "status": "not_current",
                "round_id": rid,
                "current": None if current is None else current.round_id,
            }
        if current.status == "open":
            # From now on the comment function takes no comment; what it has begun to write
            # is let finish before the comments are read.
            current = CurrentRound(
                round_id=rid, status="publishing", frist=current.frist, changed=self.now()
            )
            rounds.set_current(current)
            if self.settle_seconds:
                time.sleep(self.settle_seconds)
        opened = rounds.round(rid)
        doc, figures_key = load_announced(
            self.data, f"results/{opened.extract_id}/figures.json", opened.extract_id
        )
        store = RecordStore(self.data)
        base = store.load()
        # When publishing began: the same on a retry, so the record state is the same too.
        merged = merge(base, doc, applied=current.changed.isoformat())
        comments = published_comments(opened, rounds.comments(rid).values())
        # Unchanged figures (the same extract was published meanwhile with consultation
        # mode off): the comments alone make the new state.
        record = replace(with_round_comments(merged.record, opened.aar, comments), seq=base.seq + 1)
        record_key = store.write(record)
        mailing = plan_mailing(Merge(record, merged.outcomes))
        result = self._render(
            record,
            doc,
            figures_key,
            version=None,
            mailing=mailing,
            record_key=record_key,
            extra={
                "extract_years": {str(o.aar): o.kind for o in merged.outcomes},
                "round_id": rid,
                "comments": len(comments),
                "requested_by": due.requested_by,
            },
        )
        store.make_current(record)
        self.data.put(
            published_key(rid),
            json.dumps(
                {
                    "round_id": rid,
                    "published": self.now().isoformat(),
                    "version": result["version"],
                    "comments": len(comments),
                    "requested_by": due.requested_by,
                },
                indent=1,
            ),
            content_type="application/json",
        )
        rounds.set_current(
            CurrentRound(round_id=rid, status="published", frist=current.frist, changed=self.now())
        )
        if self.scheduler is not None:
            self.scheduler.cancel(schedule_name(rid))
        return {**result, "round_id": rid, "comments": len(comments)}

    def _render(
        self,
        record: Record,
        doc: FiguresDoc,
        figures_key: str,
        *,
        version: str | None,
        mailing: dict[str, Any],
        record_key: str,
        extra: dict[str, Any],
        target: BlobStore | None = None,
        announce: bool = True,
    ) -> dict[str, Any]:
        """The site of this record, published (into the site bucket, or ``target``) and
        announced (unless not ``announce``: a round's preview)."""
        published_figures = published_doc(record, doc)
        source = layered(BucketSource(self.data))
        mapping = load_mapping(source)
        beneficiaries = load_reported(source, mapping, doc.extract_id)
        site = build_site(
            published_figures,
            remarks=with_comments(load_remark_book(source, mapping), record.comments),
            mapping=mapping,
            geometry=load_geometry(source),
            style=load_style(source),
            site_url=self.site_url,
            version=version,
            provenance={
                s.aar: {
                    "extract_id": s.extract_id,
                    "extract_file": s.extract_file,
                    "received": s.received,
                }
                for s in record.sources
            },
            changelog=record.changelog,
            publisher=load_publisher(source),
            beneficiaries=beneficiaries.table,
        )
        years = list(published_figures.years)
        about = {
            "extract_id": doc.extract_id,
            "extract_file": doc.extract_file,
            "received": doc.received,
            "years": years,
            **extra,
            # The optional recipients input: used, or rejected with its problems (never
            # absent from the figures' publication for it).
            **(
                {"beneficiaries": beneficiaries.report()}
                if beneficiaries.status != "absent"
                else {}
            ),
            "figures_key": figures_key,
            "record_key": record_key,
            "links": site.links,
            "mailing": mailing,
        }
        written = publish_site(target or self.site, site, about=about)
        if not announce:
            return {"status": "preview", "version": site.version, "files": written["files"]}
        published = SitePublished(
            extract_id=doc.extract_id,
            years=years,
            bucket=self.site.name,
            data_bucket=self.data.name,
            figures_key=figures_key,
            version=site.version,
            site_url=self.site_url,
            keys=SiteKeys.model_validate(
                {
                    "index": written["index"],
                    "manifest": written["manifest"],
                    "versions": written["versions"],
                    "reading_guide": site.links["reading_guide"],
                    "year_pages": {str(y): f"{site.prefix}{y}/index.html" for y in years},
                    "open_data": {
                        str(y): {
                            "csv": f"{site.prefix}{y}/data/omgoerelser-{y}.csv",
                            "json": f"{site.prefix}{y}/data/omgoerelser-{y}.json",
                        }
                        for y in years
                    },
                }
            ),
            files=written["files"],
            entry_points=written["entry_points"],
            links=SiteLinks.model_validate(site.links),
        )
        self.bus.emit(published)
        result: dict[str, Any] = {"status": "published", **published.to_detail()}
        if beneficiaries.status != "absent":
            result["beneficiaries"] = beneficiaries.report()
        return result
