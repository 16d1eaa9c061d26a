"""The published figures (docs/design.md §4, a contract): record shape, CSV/JSON form, and loading.

Pure Python, no pandas: render_site and notify_municipalities read figures through this
module, and they must stay light to import.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from danmarkskort import __version__
from danmarkskort.domain.municipalities import NATIONAL_CODE, NATIONAL_NAME
from danmarkskort.ports import BlobStore

COUNT_FIELDS = ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist")

FIELDS = (
    "aar",
    "omraade",
    "kommunekode",
    "kommune",
    "stadfaestet",
    "aendret_ophaevet",
    "hjemvist",
    "afvist",
    "realitetsbehandlede",
    "omgoerelsesprocent",
    "ci_lav",
    "ci_hoej",
    "lav_n",
    "aendring_pp",
)


# A year in which at least this many municipalities have a realitetsbehandlet case is a
# delivery of the whole country ('Hele landet'); the bundled udtraek.json's min_kommuner.
WHOLE_COUNTRY = 90


class FiguresError(ValueError):
    """figures.json is missing, corrupt or not of the contract's shape."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One record: a municipality (or the country, code '000') × area × year."""

    aar: int
    omraade: str
    kommunekode: str
    kommune: str
    stadfaestet: int
    aendret_ophaevet: int
    hjemvist: int
    afvist: int
    realitetsbehandlede: int
    omgoerelsesprocent: float | None
    ci_lav: float | None
    ci_hoej: float | None
    lav_n: bool
    aendring_pp: float | None

    @property
    def omgjort(self) -> int:
        """Numerator of the rate: changed/annulled plus sent back."""
        return self.aendret_ophaevet + self.hjemvist

    @property
    def is_national(self) -> bool:
        return self.kommunekode == NATIONAL_CODE


@dataclass(frozen=True, slots=True)
class Provision:
    """Counts per legal provision, kept so municipalities can see what lies behind a rate."""

    aar: int
    kommunekode: str
    lov: str
    paragraf: str
    omraader: tuple[str, ...]
    stadfaestet: int
    aendret_ophaevet: int
    hjemvist: int
    afvist: int

    @property
    def omgjort(self) -> int:
        return self.aendret_ophaevet + self.hjemvist

    @property
    def realitetsbehandlede(self) -> int:
        return self.stadfaestet + self.aendret_ophaevet + self.hjemvist


@dataclass(frozen=True, slots=True)
class FiguresDoc:
    """figures.json: the records plus where they came from (the audit trail of §3 of the primer)."""

    extract_id: str
    extract_file: str
    received: str  # ISO 8601, UTC
    software_version: str
    figures: tuple[Figure, ...]
    provisions: tuple[Provision, ...] = ()
    lav_n_threshold: int = 20
    years: tuple[int, ...] = field(default=())
    areas: tuple[str, ...] = field(default=())

    def for_municipality(self, kommunekode: str) -> list[Figure]:
        return [f for f in self.figures if f.kommunekode == kommunekode]

    def national(self, aar: int, omraade: str) -> Figure | None:
        for f in self.figures:
            if f.is_national and f.aar == aar and f.omraade == omraade:
                return f
        return None

    @property
    def coverage(self) -> dict[int, int]:
        """Per year, how many municipalities have a realitetsbehandlet case (any area);
        derived from the figures, so it can never disagree with them."""
        return {aar: len(codes) for aar, codes in covered(self.figures).items()}

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "extract_id": self.extract_id,
            "extract_file": self.extract_file,
            "received": self.received,
            "software_version": self.software_version,
            "lav_n_threshold": self.lav_n_threshold,
            "years": list(self.years),
            "areas": list(self.areas),
            "coverage": {str(aar): n for aar, n in self.coverage.items()},
            "figures": [asdict(f) for f in self.figures],
            "provisions": [asdict(p) for p in self.provisions],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1)


def covered(figures: Iterable[Figure]) -> dict[int, frozenset[str]]:
    """Per year of the figures, the municipalities with a realitetsbehandlet case in any area
    (the measure udtraek.json's min_kommuner applies to)."""
    return _municipalities(figures, lambda f: f.realitetsbehandlede > 0)


def with_cases(figures: Iterable[Figure]) -> dict[int, frozenset[str]]:
    """Per year, the municipalities the extract has any case of (also only afviste): those
    a partial year's national figure sums and its mails go to."""
    return _municipalities(figures, lambda f: f.realitetsbehandlede + f.afvist > 0)


def _municipalities(
    figures: Iterable[Figure], counts: Callable[[Figure], bool]
) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    for f in figures:
        codes = found.setdefault(f.aar, set())
        if not f.is_national and counts(f):
            codes.add(f.kommunekode)
    return {aar: frozenset(found[aar]) for aar in sorted(found)}


def is_whole_country(n_covered: int) -> bool:
    """A year with this many covered municipalities is 'Hele landet' (see WHOLE_COUNTRY)."""
    return n_covered >= WHOLE_COUNTRY


def comparable(figure: Figure, previous: Figure) -> bool:
    """May the change from last year be computed? Not between national figures of different
    scope: a partial year's 'De 12 kommuner i udtrækket' is not the country of the year before."""
    if not figure.is_national:
        return True
    return figure.kommune == previous.kommune == NATIONAL_NAME


def figures_to_csv(figures: list[Figure] | tuple[Figure, ...]) -> str:
    """The contract's CSV: header row, ',' separator, empty cell for a missing number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for f in figures:
        writer.writerow([csv_cell(getattr(f, name)) for name in FIELDS])
    return out.getvalue()


def csv_cell(value: object) -> object:
    """As the figures contract writes it: full precision, true/false, an empty missing cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return value


def new_doc(
    *,
    extract_id: str,
    extract_file: str,
    received: str,
    figures: list[Figure],
    provisions: list[Provision],
    lav_n_threshold: int,
) -> FiguresDoc:
    return FiguresDoc(
        extract_id=extract_id,
        extract_file=extract_file,
        received=received,
        software_version=__version__,
        figures=tuple(figures),
        provisions=tuple(provisions),
        lav_n_threshold=lav_n_threshold,
        years=tuple(sorted({f.aar for f in figures})),
        areas=tuple(dict.fromkeys(f.omraade for f in figures)),
    )


def load_figures_json(data: bytes | str) -> FiguresDoc:
    """Parse figures.json; a corrupt or incomplete document raises FiguresError, never half data."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FiguresError(f"figures.json is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise FiguresError("figures.json must be an object with 'figures'")
    for key in ("extract_id", "extract_file", "received", "figures"):
        if key not in doc:
            raise FiguresError(f"figures.json lacks the key {key!r}")
    records: list[Figure] = []
    for i, raw in enumerate(doc["figures"]):
        try:
            records.append(figure_from_dict(raw))
        except FiguresError as exc:
            raise FiguresError(f"figures.json record {i}: {exc}") from exc
    if not records:
        raise FiguresError("figures.json holds no records")
    provisions = []
    for i, raw in enumerate(doc.get("provisions", [])):
        try:
            provisions.append(provision_from_dict(raw))
        except FiguresError as exc:
            raise FiguresError(f"figures.json provision {i}: {exc}") from exc
    _check_coverage(doc.get("coverage"), records)
    return FiguresDoc(
        extract_id=str(doc["extract_id"]),
        extract_file=str(doc["extract_file"]),
        received=str(doc["received"]),
        software_version=str(doc.get("software_version", "")),
        figures=tuple(records),
        provisions=tuple(provisions),
        lav_n_threshold=int(doc.get("lav_n_threshold", 20)),
        years=tuple(sorted({f.aar for f in records})),
        areas=tuple(dict.fromkeys(f.omraade for f in records)),
    )


def _check_coverage(stated: object, records: list[Figure]) -> None:
    """A document written before coverage was recorded has none; one that states it must
    state what its figures say."""
    if stated is None:
        return
    derived = {str(aar): len(codes) for aar, codes in covered(records).items()}
    if stated != derived:
        raise FiguresError(
            f"figures.json coverage {stated!r} disagrees with its figures ({derived!r})"[:500]
        )


def load_announced(bucket: BlobStore, key: str, extract_id: str) -> tuple[FiguresDoc, str]:
    """The figures.json an event announced (a ports.BlobStore), with its resolved
    key; a document of another extract than the event's is refused, never published or sent."""
    resolved = bucket.resolve_key(key)
    doc = load_figures_json(bucket.get(resolved))
    if doc.extract_id != extract_id:
        raise FiguresError(
            f"{resolved} holds extract {doc.extract_id[:12]}, the event announced {extract_id[:12]}"
        )
    return doc, resolved


def _opt_float(value: object) -> float | None:
    return None if value is None or value == "" else float(value)  # type: ignore[arg-type]


FIGURE_FIELDS = frozenset(f.name for f in fields(Figure))


def figure_from_dict(raw: object) -> Figure:
    """One checked record (FiguresError says what is wrong with it)."""
    if not isinstance(raw, dict) or set(raw) != FIGURE_FIELDS:
        raise FiguresError(f"a record must have exactly the fields {sorted(FIGURE_FIELDS)}")
    try:
        return _figure(raw)
    except (TypeError, ValueError) as exc:
        raise FiguresError(str(exc)) from exc


def provision_from_dict(raw: object) -> Provision:
    if not isinstance(raw, dict):
        raise FiguresError("a provision must be an object")
    try:
        return Provision(**{**raw, "omraader": tuple(raw["omraader"]), "aar": int(raw["aar"])})
    except (TypeError, KeyError, ValueError) as exc:
        raise FiguresError(repr(exc)) from exc


def _figure(raw: dict[str, Any]) -> Figure:
    counts = {name: int(raw[name]) for name in (*COUNT_FIELDS, "realitetsbehandlede")}
    if any(v < 0 for v in counts.values()):
        raise ValueError("negative count")
    if counts["realitetsbehandlede"] != (
        counts["stadfaestet"] + counts["aendret_ophaevet"] + counts["hjemvist"]
    ):
        raise ValueError("realitetsbehandlede is not the sum of its parts")
    return Figure(
        aar=int(raw["aar"]),
        omraade=str(raw["omraade"]),
        kommunekode=str(raw["kommunekode"]),
        kommune=str(raw["kommune"]),
        omgoerelsesprocent=_opt_float(raw["omgoerelsesprocent"]),
        ci_lav=_opt_float(raw["ci_lav"]),
        ci_hoej=_opt_float(raw["ci_hoej"]),
        lav_n=bool(raw["lav_n"]),
        aendring_pp=_opt_float(raw["aendring_pp"]),
        **counts,
    )
