"""Remarks on municipalities' figures: their own comments, ministry remarks, and remarks
generated from cooperation arrangements (one municipality deciding cases for another).

Both come from config files (remarks.json, cooperation.json) so the ministry can change
them without a release; pages, map tooltips and mails all ask the same ``RemarkBook``.
Texts are plain Danish, never HTML: whoever shows them escapes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from danmarkskort.config.loader import load_optional, parse
from danmarkskort.config.models import (
    CooperationFile,
    CooperationTexts,
    RemarkEntry,
    RemarksFile,
)
from danmarkskort.config.sources import ConfigSource
from danmarkskort.domain.areas import Mapping, default_mapping
from danmarkskort.domain.municipalities import Municipality, registry
from danmarkskort.domain.record import PublishedComment
from danmarkskort.text import join_and, long_date

COOPERATION_FILE = CooperationFile.FILE

Kind = Literal["kommentar", "bemaerkning", "samarbejde"]
KINDS: tuple[str, ...] = ("kommentar", "bemaerkning", "samarbejde")
# Shown in this order: what explains the figures' scope first, then remarks, then comments.
_ORDER = {"samarbejde": 0, "bemaerkning": 1, "kommentar": 2}
# Each kind's label, as the mail, the council PDF and the pages name it (Danish).
KIND_LABELS = {
    "samarbejde": "Samarbejde om myndighedsopgaven",
    "bemaerkning": "Bemærkning",
    "kommentar": "Kommunens egen kommentar",
}


@dataclass(frozen=True)
class Remark:
    kommunekode: str
    kind: Kind
    text: str  # plain Danish text, never HTML
    omraader: tuple[str, ...]  # () = every area
    aar_fra: int | None
    aar_til: int | None
    kilde: str  # who says it, e.g. "Dragør Kommune", "Social- og Boligministeriet"

    def applies(self, aar: int, omraade: str | None = None) -> bool:
        if self.aar_fra is not None and aar < self.aar_fra:
            return False
        if self.aar_til is not None and aar > self.aar_til:
            return False
        return omraade is None or not self.omraader or omraade in self.omraader


@dataclass(frozen=True)
class Arrangement:
    """The host decides the served municipality's cases on these areas between the dates."""

    vaert: str
    betjent: str
    omraader: tuple[str, ...]
    ogsaa_under: tuple[str, ...]
    gyldig_fra: date
    gyldig_til: date | None


class RemarkBook:
    """Every remark that applies, by municipality, year and area."""

    def __init__(self, remarks: Iterable[Remark], arrangements: Iterable[Arrangement] = ()):
        self.remarks: tuple[Remark, ...] = tuple(remarks)
        self.arrangements: tuple[Arrangement, ...] = tuple(arrangements)
        self._by_code: dict[str, list[Remark]] = {}
        for r in self.remarks:
            self._by_code.setdefault(r.kommunekode, []).append(r)
        for rs in self._by_code.values():
            rs.sort(key=lambda r: _ORDER[r.kind])  # stable: file order within a kind

    def for_municipality(
        self, kommunekode: str, aar: int, omraade: str | None = None
    ) -> list[Remark]:
        """Remarks for this municipality's figures of year ``aar``; omraade None = any area."""
        return [r for r in self._by_code.get(kommunekode, []) if r.applies(aar, omraade)]

    def over_years(self, kommunekode: str, years: Iterable[int]) -> dict[Remark, list[int]]:
        """Each remark on any of the years once, with the years it applies to (in the order
        given)."""
        seen: dict[Remark, list[int]] = {}
        for aar in years:
            for r in self.for_municipality(kommunekode, aar):
                seen.setdefault(r, []).append(aar)
        return seen

    def __len__(self) -> int:
        return len(self.remarks)


def with_comments(book: RemarkBook, comments: Iterable[PublishedComment]) -> RemarkBook:
    """The book with the municipalities' own published comments (from the record, where
    the consultation round put them) added as remarks of kind 'kommentar'."""
    reg = registry()
    extra = [
        Remark(
            kommunekode=c.kommunekode,
            kind="kommentar",
            text=c.tekst,
            omraader=(c.omraade,),
            aar_fra=c.aar,
            aar_til=c.aar,
            kilde=reg.by_code(c.kommunekode).full_name,
        )
        for c in comments
    ]
    return RemarkBook((*book.remarks, *extra), book.arrangements) if extra else book


def load_remark_book(source: ConfigSource, mapping: Mapping | None = None) -> RemarkBook:
    """Read and check remarks.json and cooperation.json from the config source; their areas
    must be areas of the mapping."""
    mapping = mapping or default_mapping()
    context = {"areas": mapping.slugs}
    remarks: list[Remark] = []
    arrangements: list[Arrangement] = []
    cooperation = load_optional(source, CooperationFile, context)
    if cooperation is not None:
        arrangements, generated = _cooperation(cooperation, mapping)
        remarks.extend(generated)
    own = load_optional(source, RemarksFile, context)
    if own is not None:
        remarks.extend(_remark(r) for r in own.remarks)
    return RemarkBook(remarks, arrangements)


def _remark(r: RemarkEntry) -> Remark:
    return Remark(
        kommunekode=r.kommunekode,
        kind=r.kind,
        text=r.text,
        omraader=tuple(dict.fromkeys(r.omraader or ())),
        aar_fra=r.aar_fra,
        aar_til=r.aar_til,
        kilde=r.kilde or registry().by_code(r.kommunekode).full_name,  # a kommentar's own
    )


# --- cooperation.json ---------------------------------------------------------------------


def parse_cooperation(data: bytes, mapping: Mapping) -> tuple[list[Arrangement], list[Remark]]:
    """The arrangements and the two remarks (served, host) each one generates."""
    return _cooperation(parse(data, CooperationFile, {"areas": mapping.slugs}), mapping)


def _cooperation(doc: CooperationFile, mapping: Mapping) -> tuple[list[Arrangement], list[Remark]]:
    reg = registry()
    arrangements: list[Arrangement] = []
    remarks: list[Remark] = []
    for entry in doc.arrangements:
        arrangement = Arrangement(
            entry.vaert,
            entry.betjent,
            tuple(dict.fromkeys(entry.omraader)),
            tuple(dict.fromkeys(entry.ogsaa_under or ())),
            entry.gyldig_fra,
            entry.gyldig_til,
        )
        arrangements.append(arrangement)
        remarks.extend(
            _generated(
                arrangement,
                reg.by_code(entry.vaert),
                reg.by_code(entry.betjent),
                mapping,
                doc.tekster,
                doc.kilde,
            )
        )
    return arrangements, remarks


def _generated(
    a: Arrangement,
    vaert: Municipality,
    betjent: Municipality,
    mapping: Mapping,
    texts: CooperationTexts,
    kilde: str,
) -> list[Remark]:
    """The texts' placeholders are checked against these values when the file is read."""
    periode = f"fra {long_date(a.gyldig_fra)}"
    if a.gyldig_til is not None:
        periode += f" til {long_date(a.gyldig_til)}"
    values = {
        "vaert": vaert.full_name,
        "betjent": betjent.full_name,
        "vaert_kort": vaert.name,
        "betjent_kort": betjent.name,
        "omraader": join_and([mapping.area(s).navn.lower() for s in a.omraader]),
        "periode": periode,
        "ogsaa_under": join_and([mapping.area(s).navn.lower() for s in a.ogsaa_under]),
    }
    out = []
    for role, code in (("betjent", betjent.code), ("vaert", vaert.code)):
        text = getattr(texts, role).format_map(values)
        if a.ogsaa_under and texts.ogsaa_under:
            text += " " + texts.ogsaa_under.format_map(values)
        out.append(
            Remark(
                kommunekode=code,
                kind="samarbejde",
                text=text,
                omraader=(*a.omraader, *(s for s in a.ogsaa_under if s not in a.omraader)),
                aar_fra=a.gyldig_fra.year,
                aar_til=None if a.gyldig_til is None else a.gyldig_til.year,
                kilde=kilde,
            )
        )
    return out
