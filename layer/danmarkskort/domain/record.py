"""The system of record of published figures: what is public, year by year, and since when.

Each accepted extract is merged into one cumulative record. Per year the record holds the
figures of the latest-received extract that covers it, with that extract's id, file name
and time; years an extract does not cover stay as they were. A year's figures change only
when a later-received extract brings different counts (a correction: Ankestyrelsen's late
registrations), and every such change is kept in the change log with its old and new
figures. ``aendring_pp`` is the change from the previous year *in the record*, whichever
extract that year came from.

Pure Python: merging and (de)serialising take and return plain data. Storing the states
is render/record_store.py's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from danmarkskort.domain.figures import (
    COUNT_FIELDS,
    Figure,
    FiguresDoc,
    FiguresError,
    Provision,
    comparable,
    covered,
    figure_from_dict,
    is_whole_country,
    provision_from_dict,
    with_cases,
)
from danmarkskort.text import cases, pct

FORMAT = 1

YearKind = Literal["first", "corrected", "unchanged", "older"]


class RecordError(ValueError):
    """The stored record is damaged or missing: never publish an empty or partial site."""


@dataclass(frozen=True, slots=True)
class YearSource:
    """Where a published year's figures come from."""

    aar: int
    extract_id: str
    extract_file: str
    received: str  # when the extract was received (ISO 8601)
    applied: str  # when its figures for this year were published (ISO 8601)
    first_published: str  # when this year was first published (kept across corrections)


@dataclass(frozen=True, slots=True)
class Correction:
    """One (year, area, municipality) whose counts a later extract changed."""

    aar: int
    omraade: str
    kommunekode: str
    old: Figure
    new: Figure


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One correction of a published year, as the change log shows it."""

    aar: int
    applied: str
    extract_id: str
    extract_file: str
    previous_extract_id: str
    corrections: tuple[Correction, ...]


@dataclass(frozen=True, slots=True)
class PublishedComment:
    """A municipality's own comment on one area's figures of one year, published with that
    year at the end of a consultation round (hoering/): its words, never HTML."""

    aar: int
    kommunekode: str
    omraade: str
    tekst: str
    round_id: str
    saved: str  # when the municipality saved it (ISO 8601)


@dataclass(frozen=True, slots=True)
class Record:
    seq: int = 0  # 0: nothing published yet
    figures: tuple[Figure, ...] = ()
    provisions: tuple[Provision, ...] = ()
    sources: tuple[YearSource, ...] = ()
    changelog: tuple[ChangeEntry, ...] = ()
    lav_n_threshold: int = 20
    comments: tuple[PublishedComment, ...] = ()

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(s.aar for s in self.sources))

    def source(self, aar: int) -> YearSource | None:
        return next((s for s in self.sources if s.aar == aar), None)

    def corrections_of(self, aar: int) -> tuple[ChangeEntry, ...]:
        return tuple(e for e in self.changelog if e.aar == aar)


@dataclass(frozen=True, slots=True)
class YearOutcome:
    aar: int
    kind: YearKind
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True, slots=True)
class Merge:
    """The record after an extract, and what the extract did to each of its years."""

    record: Record
    outcomes: tuple[YearOutcome, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any(o.kind in ("first", "corrected") for o in self.outcomes)

    def years(self, kind: YearKind) -> tuple[int, ...]:
        return tuple(o.aar for o in self.outcomes if o.kind == kind)


def _counts(f: Figure) -> tuple[int, ...]:
    return tuple(getattr(f, name) for name in COUNT_FIELDS)


def _later(doc: FiguresDoc, source: YearSource) -> bool:
    """Does this extract win the year? The later received does; a tie goes by extract id, so
    two uploads at the same moment give the same record in either order."""
    return (doc.received, doc.extract_id) > (source.received, source.extract_id)


def merge(record: Record, doc: FiguresDoc, applied: str) -> Merge:
    """The record with this extract's years merged in (see the module docstring)."""
    by_year: dict[int, list[Figure]] = {}
    for f in record.figures:
        by_year.setdefault(f.aar, []).append(f)
    new_by_year: dict[int, list[Figure]] = {}
    for f in doc.figures:
        new_by_year.setdefault(f.aar, []).append(f)
    sources = {s.aar: s for s in record.sources}
    provisions = {p for p in record.provisions}
    changelog = list(record.changelog)
    outcomes: list[YearOutcome] = []
    for aar in sorted(new_by_year):
        incoming = new_by_year[aar]
        old_source = sources.get(aar)
        source = YearSource(
            aar=aar,
            extract_id=doc.extract_id,
            extract_file=doc.extract_file,
            received=doc.received,
            applied=applied,
            first_published=old_source.first_published if old_source else applied,
        )
        if old_source is None:
            outcomes.append(YearOutcome(aar, "first"))
        elif not _later(doc, old_source):
            outcomes.append(YearOutcome(aar, "older"))
            continue
        else:
            corrections = _corrections(aar, by_year.get(aar, []), incoming)
            if not corrections:
                outcomes.append(YearOutcome(aar, "unchanged"))
                continue  # the published figures stand, with the extract that first had them
            outcomes.append(YearOutcome(aar, "corrected", corrections))
            changelog.append(
                ChangeEntry(
                    aar=aar,
                    applied=applied,
                    extract_id=doc.extract_id,
                    extract_file=doc.extract_file,
                    previous_extract_id=old_source.extract_id,
                    corrections=corrections,
                )
            )
        by_year[aar] = incoming
        sources[aar] = source
        provisions = {p for p in provisions if p.aar != aar} | {
            p for p in doc.provisions if p.aar == aar
        }
    changed = any(o.kind in ("first", "corrected") for o in outcomes)
    if not changed:
        return Merge(record, tuple(outcomes))
    figures = _with_changes([f for aar in sorted(by_year) for f in by_year[aar]])
    return Merge(
        Record(
            seq=record.seq + 1,
            figures=tuple(figures),
            provisions=tuple(sorted(provisions, key=_provision_order)),
            sources=tuple(sources[a] for a in sorted(sources)),
            changelog=tuple(changelog),
            lav_n_threshold=doc.lav_n_threshold,
            comments=record.comments,
        ),
        tuple(outcomes),
    )


def with_round_comments(record: Record, aar: int, comments: Iterable[PublishedComment]) -> Record:
    """The record with a round's comments as the comments of year ``aar``: those the round
    held replace whatever that year had (a withdrawn comment is gone); other years keep
    theirs."""
    kept = tuple(c for c in record.comments if c.aar != aar)
    new = tuple(sorted(comments, key=lambda c: (c.kommunekode, c.omraade)))
    if any(c.aar != aar for c in new):
        raise ValueError(f"a round's comments must all be on year {aar}")
    return replace(record, comments=tuple(sorted(kept + new, key=lambda c: c.aar)))


def _corrections(aar: int, old: list[Figure], new: list[Figure]) -> tuple[Correction, ...]:
    before = {(f.omraade, f.kommunekode): f for f in old}
    after = {(f.omraade, f.kommunekode): f for f in new}
    out = []
    for key in sorted(before.keys() | after.keys()):
        o, n = before.get(key), after.get(key)
        if o is None or n is None:
            # An area that appears or disappears (a new mapping): every figure in it changes.
            base = n or o
            if base is None:
                continue
            empty = replace(
                base,
                stadfaestet=0,
                aendret_ophaevet=0,
                hjemvist=0,
                afvist=0,
                realitetsbehandlede=0,
                omgoerelsesprocent=None,
                ci_lav=None,
                ci_hoej=None,
            )
            o, n = o or empty, n or empty
        if _counts(o) != _counts(n):
            out.append(Correction(aar, key[0], key[1], o, n))
    return tuple(out)


def _with_changes(figures: list[Figure]) -> list[Figure]:
    """aendring_pp against the previous year of the record (unrounded, like compute); none
    between national figures of different scope (a partial year and the whole country)."""
    by_key = {(f.aar, f.omraade, f.kommunekode): f for f in figures}
    out = []
    for f in figures:
        before = by_key.get((f.aar - 1, f.omraade, f.kommunekode))
        change = None
        if (
            before is not None
            and f.omgoerelsesprocent is not None
            and before.omgoerelsesprocent is not None
            and comparable(f, before)
        ):
            change = f.omgoerelsesprocent - before.omgoerelsesprocent
        out.append(f if change == f.aendring_pp else replace(f, aendring_pp=change))
    out.sort(key=lambda f: (f.aar, f.omraade, not f.is_national, f.kommunekode))
    return out


def _provision_order(p: Provision) -> tuple[Any, ...]:
    return (p.aar, p.kommunekode, p.lov, p.paragraf)


def published_doc(record: Record, current: FiguresDoc) -> FiguresDoc:
    """The record as the figures document the site and the mails are made from; it names the
    extract that made this publication."""
    return replace(
        current,
        figures=record.figures,
        provisions=record.provisions,
        lav_n_threshold=record.lav_n_threshold,
        years=record.years,
        areas=tuple(dict.fromkeys(f.omraade for f in record.figures)),
    )


# --- the stored form -------------------------------------------------------------------------


def record_to_json(record: Record) -> str:
    return json.dumps({"format": FORMAT, **asdict(record)}, ensure_ascii=False, indent=1)


def load_record(data: bytes | str, where: str) -> Record:
    """A stored record; RecordError naming ``where`` for anything damaged."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise RecordError(f"{where}: not a record of format {FORMAT}")
        return Record(
            seq=int(doc["seq"]),
            figures=tuple(figure_from_dict(f) for f in doc["figures"]),
            provisions=tuple(provision_from_dict(p) for p in doc["provisions"]),
            sources=tuple(YearSource(**s) for s in doc["sources"]),
            changelog=tuple(_change_entry(e) for e in doc["changelog"]),
            lav_n_threshold=int(doc["lav_n_threshold"]),
            # Older states hold none: a record before the first consultation round.
            comments=tuple(PublishedComment(**c) for c in doc.get("comments", ())),
        )
    except RecordError:
        raise
    except (ValueError, TypeError, KeyError, FiguresError) as exc:
        raise RecordError(f"{where} is damaged: {exc!r}"[:500]) from None


def _change_entry(raw: dict[str, Any]) -> ChangeEntry:
    corrections = tuple(
        Correction(
            aar=int(c["aar"]),
            omraade=str(c["omraade"]),
            kommunekode=str(c["kommunekode"]),
            old=figure_from_dict(c["old"]),
            new=figure_from_dict(c["new"]),
        )
        for c in raw["corrections"]
    )
    return ChangeEntry(**{**raw, "corrections": corrections})


def correction_text(area: str, aar: int, old: Figure, new: Figure) -> str:
    """'Socialområdet generelt 2024: 38 % af 129 sager → 40 % af 132 sager', as the pages and
    the correction mails say it (one rounding: text.pct)."""

    def said(f: Figure) -> str:
        return f"{pct(f.omgoerelsesprocent)} af {cases(f.realitetsbehandlede)}"

    return f"{area} {aar}: {said(old)} → {said(new)}"


def changed_municipalities(outcomes: Iterable[YearOutcome]) -> set[str]:
    """Municipalities (not the country) with a corrected figure in any of these years."""
    return {c.kommunekode for o in outcomes for c in o.corrections if not c.old.is_national}


def outside_partial_years(figures: Iterable[Figure]) -> dict[int, frozenset[str]]:
    """Per year that is not the whole country (a deliberate partial extract), the
    municipalities of the 98 it has no case of: their zeros are not known to be zeros."""
    figures = tuple(figures)
    in_extract = with_cases(figures)
    everyone = frozenset(f.kommunekode for f in figures if not f.is_national)
    return {
        aar: everyone - in_extract[aar]
        for aar, codes in covered(figures).items()
        if not is_whole_country(len(codes))
    }


def plan_mailing(m: Merge) -> dict[str, Any]:
    """Who must hear about this merge (render/manifest.Mailing): a first publication of the
    record's newest year goes to every municipality; otherwise corrections go to exactly
    the municipalities whose published figures changed; anything else mails no one.

    In a year from a partial extract, a municipality without a case in it is not mailed
    (neither 'no cases' nor a correction to zero): ``kommuner`` then lists who is."""
    outside = outside_partial_years(m.record.figures)
    corrections: dict[str, list[dict[str, Any]]] = {}
    for outcome in m.outcomes:
        for c in outcome.corrections:
            if c.old.is_national or c.kommunekode in outside.get(c.aar, ()):
                continue
            corrections.setdefault(c.kommunekode, []).append(
                {"aar": c.aar, "omraade": c.omraade, "old": asdict(c.old), "new": asdict(c.new)}
            )
    newest = max(m.record.years, default=None)
    if newest is not None and newest in m.years("first"):
        # Corrections of earlier years ride along in the new year's mail.
        plan: dict[str, Any] = {"kind": "publication", "aar": newest, "corrections": corrections}
        if newest in outside:
            everyone = {f.kommunekode for f in m.record.figures if not f.is_national}
            plan["kommuner"] = sorted(everyone - outside[newest])
        return plan
    if not corrections:
        return {"kind": "none"}
    return {"kind": "correction", "aar": max(m.years("corrected")), "corrections": corrections}
