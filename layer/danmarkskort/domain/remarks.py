"""Remarks on municipalities' figures: their own comments, ministry remarks, and remarks
generated from cooperation arrangements (one municipality deciding cases for another).

Both come from config files (remarks.json, cooperation.json) so the ministry can change
them without a release; pages, map tooltips and mails all ask the same ``RemarkBook``.
Texts are plain Danish, never HTML: whoever shows them escapes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from danmarkskort.domain.areas import Mapping, default_mapping
from danmarkskort.config.sources import ConfigError, ConfigSource
from danmarkskort.domain.municipalities import Municipality, registry
from danmarkskort.text import join_and, long_date

REMARKS_FILE = "remarks.json"
COOPERATION_FILE = "cooperation.json"

Kind = Literal["kommentar", "bemaerkning", "samarbejde"]
KINDS: tuple[str, ...] = ("kommentar", "bemaerkning", "samarbejde")
# Shown in this order: what explains the figures' scope first, then remarks, then comments.
_ORDER = {"samarbejde": 0, "bemaerkning": 1, "kommentar": 2}


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


def load_remark_book(source: ConfigSource, mapping: Mapping | None = None) -> RemarkBook:
    """Read and check remarks.json and cooperation.json from the config source."""
    mapping = mapping or default_mapping()
    remarks: list[Remark] = []
    arrangements: list[Arrangement] = []
    data = source.read(COOPERATION_FILE)
    if data is not None:
        arrangements, generated = parse_cooperation(data, mapping)
        remarks.extend(generated)
    data = source.read(REMARKS_FILE)
    if data is not None:
        remarks.extend(parse_remarks(data, mapping))
    return RemarkBook(remarks, arrangements)


# --- remarks.json -------------------------------------------------------------------------


def parse_remarks(data: bytes, mapping: Mapping, source: str = REMARKS_FILE) -> list[Remark]:
    doc = _json(data, source)
    entries = doc.get("remarks") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: the top level must be an object with a list 'remarks'")
    out = []
    for i, entry in enumerate(entries):
        where = f"{source}: remarks[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        unknown = set(entry) - {
            "kommunekode",
            "kind",
            "text",
            "omraader",
            "aar_fra",
            "aar_til",
            "kilde",
            "_comment",
        }
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        municipality = _municipality(entry.get("kommunekode"), where, "kommunekode")
        kind = entry.get("kind")
        if kind not in ("kommentar", "bemaerkning"):
            raise ConfigError(
                f"{where}: field 'kind' = {kind!r} must be 'kommentar' or 'bemaerkning'"
            )
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: field 'text' must be a non-empty text")
        kilde = entry.get("kilde")
        if kilde is None and kind == "kommentar":
            kilde = municipality.full_name
        if not isinstance(kilde, str) or not kilde.strip():
            raise ConfigError(f"{where}: field 'kilde' must name who makes the remark")
        aar_fra = _year(entry.get("aar_fra"), where, "aar_fra")
        aar_til = _year(entry.get("aar_til"), where, "aar_til")
        if aar_fra is not None and aar_til is not None and aar_til < aar_fra:
            raise ConfigError(f"{where}: field 'aar_til' = {aar_til} is before aar_fra = {aar_fra}")
        out.append(
            Remark(
                kommunekode=municipality.code,
                kind=kind,
                text=text.strip(),
                omraader=_areas(
                    entry.get("omraader"), mapping, where, "omraader", allow_empty=True
                ),
                aar_fra=aar_fra,
                aar_til=aar_til,
                kilde=kilde.strip(),
            )
        )
    return out


# --- cooperation.json ---------------------------------------------------------------------

_ARRANGEMENT_FIELDS = ("vaert", "betjent", "omraader", "ogsaa_under", "gyldig_fra", "gyldig_til")


def parse_cooperation(
    data: bytes, mapping: Mapping, source: str = COOPERATION_FILE
) -> tuple[list[Arrangement], list[Remark]]:
    """The arrangements and the two remarks (served, host) each one generates."""
    doc = _json(data, source)
    if not isinstance(doc, dict) or not isinstance(doc.get("arrangements"), list):
        raise ConfigError(f"{source}: the top level must be an object with a list 'arrangements'")
    kilde = doc.get("kilde")
    if not isinstance(kilde, str) or not kilde.strip():
        raise ConfigError(f"{source}: field 'kilde' must name who makes the generated remarks")
    texts = doc.get("tekster")
    if not isinstance(texts, dict) or not all(
        isinstance(texts.get(k), str) and texts[k].strip() for k in ("betjent", "vaert")
    ):
        raise ConfigError(f"{source}: field 'tekster' must hold the texts 'betjent' and 'vaert'")
    arrangements: list[Arrangement] = []
    remarks: list[Remark] = []
    for i, entry in enumerate(doc["arrangements"]):
        where = f"{source}: arrangements[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        # A misspelt 'gyldig_til' must not leave an ended arrangement in force forever.
        unknown = set(entry) - {*_ARRANGEMENT_FIELDS, "_comment"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        vaert = _municipality(entry.get("vaert"), where, "vaert")
        betjent = _municipality(entry.get("betjent"), where, "betjent")
        if vaert.code == betjent.code:
            raise ConfigError(f"{where}: fields 'vaert' and 'betjent' are the same municipality")
        omraader = _areas(entry.get("omraader"), mapping, where, "omraader", allow_empty=False)
        ogsaa = _areas(entry.get("ogsaa_under"), mapping, where, "ogsaa_under", allow_empty=True)
        fra = _date(entry.get("gyldig_fra"), where, "gyldig_fra", required=True)
        til = _date(entry.get("gyldig_til"), where, "gyldig_til", required=False)
        assert fra is not None
        if til is not None and til < fra:
            raise ConfigError(
                f"{where}: field 'gyldig_til' = {til.isoformat()} is before gyldig_fra = "
                f"{fra.isoformat()}"
            )
        arrangement = Arrangement(vaert.code, betjent.code, omraader, ogsaa, fra, til)
        arrangements.append(arrangement)
        remarks.extend(
            _generated(arrangement, vaert, betjent, mapping, texts, kilde.strip(), where)
        )
    return arrangements, remarks


def _generated(
    a: Arrangement,
    vaert: Municipality,
    betjent: Municipality,
    mapping: Mapping,
    texts: dict[str, str],
    kilde: str,
    where: str,
) -> list[Remark]:
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
        try:
            text = texts[role].format(**values)
            if a.ogsaa_under and texts.get("ogsaa_under"):
                text += " " + texts["ogsaa_under"].format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"{COOPERATION_FILE}: tekster.{role}: unknown placeholder {exc} (for {where})"
            ) from exc
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


# --- field checks -------------------------------------------------------------------------


def _json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: not valid JSON: {exc}") from exc


def _municipality(value: object, where: str, field: str) -> Municipality:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
        raise ConfigError(f"{where}: field '{field}' must be a kommunekode such as \"155\"")
    hit = registry().resolve(value)
    if hit.kind != "municipality" or hit.municipality is None:
        raise ConfigError(
            f"{where}: field '{field}' = {value!r} is not one of the 98 municipalities"
        )
    return hit.municipality


def _areas(
    value: object, mapping: Mapping, where: str, field: str, *, allow_empty: bool
) -> tuple[str, ...]:
    if value is None and allow_empty:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: field '{field}' must be a list of area slugs")
    if not value and not allow_empty:
        raise ConfigError(f"{where}: field '{field}' must name at least one area")
    for slug in value:
        if slug not in mapping.slugs:
            raise ConfigError(
                f"{where}: field '{field}' has unknown area {slug!r} "
                f"(known: {', '.join(mapping.slugs)})"
            )
    return tuple(dict.fromkeys(value))


def _year(value: object, where: str, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
        raise ConfigError(f"{where}: field '{field}' = {value!r} is not a year")
    return value


def _date(value: object, where: str, field: str, *, required: bool) -> date | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: field '{field}' = {value!r} must be a date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: field '{field}' = {value!r} is not a valid date YYYY-MM-DD"
        ) from exc
    if not 1970 <= parsed.year <= 2100:
        raise ConfigError(f"{where}: field '{field}' = {value!r} is not a plausible date")
    return parsed
