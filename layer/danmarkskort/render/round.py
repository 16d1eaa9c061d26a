"""Opening and publishing a consultation round, the pure parts: the round's id and deadline,
what each municipality is shown, and its comments as the record's. render/job.py does the
storing, scheduling and announcing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, time, timedelta
from typing import Any

from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.figures import FiguresDoc
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.record import PublishedComment
from danmarkskort.hoering.round import AreaFigures, Comment, Round, RoundMunicipality
from danmarkskort.ports import BlobStore
from danmarkskort.text import _danish_zone, danish_time

DEADLINE_TIME = time(23, 59)  # comments until this time (Danish) on the last day


def round_id(extract_id: str, record_seq: int) -> str:
    """Deterministic: a retry of the same opening gives the same round."""
    return hashlib.sha256(f"hoering|{extract_id}|{record_seq}".encode()).hexdigest()[:16]


def deadline(opened: datetime, days: int) -> datetime:
    """23:59 Danish time on the ``days``-th day after the opening (in UTC, aware)."""
    last_day = danish_time(opened).date() + timedelta(days=days)
    return datetime.combine(last_day, DEADLINE_TIME, tzinfo=_danish_zone()).astimezone(
        opened.tzinfo
    )


def round_doc(
    *,
    rid: str,
    published: FiguresDoc,
    mapping: Mapping,
    opened: datetime,
    frist: datetime,
    max_tegn: int,
) -> Round:
    """What each municipality is shown on its comment page: the newest year's figures per
    area, its own and the country's, as the maps will show them."""
    aar = max(published.years or {f.aar for f in published.figures})
    newest = [f for f in published.figures if f.aar == aar]
    areas = [s for s in mapping.slugs if any(f.omraade == s for f in newest)]
    by_key = {(f.kommunekode, f.omraade): f for f in newest}
    national = {f.omraade: f for f in newest if f.is_national}
    codes = sorted({f.kommunekode for f in newest if not f.is_national})
    reg = registry()

    def shown(code: str, slug: str) -> dict[str, Any] | None:
        f = by_key.get((code, slug))
        return None if f is None else asdict(f)

    municipalities = {
        code: RoundMunicipality(
            kommunekode=code,
            navn=reg.by_code(code).full_name,
            areas=tuple(
                AreaFigures(
                    omraade=slug,
                    navn=mapping.area(slug).navn,
                    figure=shown(code, slug),
                    national=None if slug not in national else asdict(national[slug]),
                )
                for slug in areas
            ),
        )
        for code in codes
    }
    return Round(
        round_id=rid,
        extract_id=published.extract_id,
        extract_file=published.extract_file,
        aar=aar,
        years=tuple(sorted(published.years)),
        opened=opened,
        frist=frist,
        max_tegn=max_tegn,
        municipalities=municipalities,
    )


def published_comments(doc: Round, comments: Iterable[Comment]) -> list[PublishedComment]:
    """The round's comments as the record keeps them: one per (municipality, area) with
    words, on the round's year; areas no longer in the round are left out."""
    out = []
    for c in comments:
        m = doc.municipality(c.kommunekode)
        if m is None:
            continue
        slugs = {a.omraade for a in m.areas}
        for slug, text in sorted(c.kommentarer.items()):
            if slug in slugs and text.strip():
                out.append(
                    PublishedComment(
                        aar=doc.aar,
                        kommunekode=c.kommunekode,
                        omraade=slug,
                        tekst=text,
                        round_id=doc.round_id,
                        saved=c.saved.isoformat(),
                    )
                )
    return out


class PrefixedStore:
    """A BlobStore under a prefix of another one: the round's preview is the whole site,
    published by the same code as the real one, into the private data bucket."""

    def __init__(self, inner: BlobStore, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix
        self.name = inner.name

    def get(self, key: str) -> bytes:
        return self.inner.get(self.prefix + key)

    def get_or_none(self, key: str) -> bytes | None:
        return self.inner.get_or_none(self.prefix + key)

    def size(self, key: str) -> int:
        return self.inner.size(self.prefix + key)

    def sha256(self, key: str) -> str:
        return self.inner.sha256(self.prefix + key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(self.prefix + key)

    def keys(self, prefix: str) -> list[str]:
        return [k[len(self.prefix) :] for k in self.inner.keys(self.prefix + prefix)]

    def resolve_key(self, key: str) -> str:
        return key

    def put(
        self,
        key: str,
        body: bytes | str,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        self.inner.put(
            self.prefix + key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
        )
        return key

    def delete(self, key: str) -> None:
        self.inner.delete(self.prefix + key)

    def create(self, key: str, body: bytes | str, *, content_type: str | None = None) -> bool:
        return self.inner.create(self.prefix + key, body, content_type=content_type)

    def copy_in(
        self,
        source_key: str,
        target_key: str,
        metadata: dict[str, str],
        *,
        content_type: str | None = None,
    ) -> str:
        self.inner.copy_in(
            self.prefix + source_key, self.prefix + target_key, metadata, content_type=content_type
        )
        return target_key
