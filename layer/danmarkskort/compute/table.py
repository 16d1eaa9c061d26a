"""The extract as one table: which shape its header fits, canonical column names, the rows.

Shared by the CSV and the XLSX reader (docs/design.md §3): the header may sit below title
rows, its spelling varies between senders, and the columns it names decide the shape.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from danmarkskort.compute.report import Report, shown

Shape = Literal["cases", "aggregated"]
SHAPES: tuple[Shape, ...] = ("cases", "aggregated")
SHAPE_NAMES = {
    "cases": "sagsniveau (én række pr. sag)",
    "aggregated": "aggregeret (antal pr. udfald)",
}
# Columns that tell the shapes apart.
DISTINCTIVE = {
    "cases": ("sagsnummer", "afgoerelse", "dato"),
    "aggregated": ("stadfaestet", "aendret_ophaevet", "hjemvist", "afvist"),
}
HEADER_SEARCH_ROWS = 20  # non-empty rows searched for the header (title rows above it)
ALT_INSTANS = "instans_alt"  # a second instance column (Kommune beside Kommunekode)
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "§": "paragraf"})


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # canonical
    label: str  # as the contract names it, for messages
    required: bool
    keys: frozenset[str]
    order: tuple[str, ...] = ()  # the same keys, most preferred first
    unless: tuple[str, ...] = ()  # not required when one of these columns is there


@dataclass
class Table:
    """The extract's rows under canonical column names, all values as text."""

    shape: Shape
    frame: pd.DataFrame
    lines: pd.Series  # the file's line (CSV) or sheet row (XLSX) of each row
    headers: dict[str, str]  # canonical name -> header as written in the file
    facts: dict[str, str] = field(default_factory=dict)


def header_key(text: object) -> str:
    """Case-, accent- and punctuation-insensitive: 'Ændring/Ophævelse' ~ 'aendring ophaevelse'."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = s.translate(_DANISH_LETTERS)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "", s)
    # Senders drop the Danish letters in different ways ('Afgorelse', 'Aar', 'Andring').
    return s.replace("ae", "a").replace("oe", "o").replace("aa", "a")


def column_key(text: object) -> str:
    """header_key of a column name without a note in brackets: 'Kommunekode (3 cifre)'."""
    bare = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", str(text or ""))
    return header_key(bare) or header_key(text)


@cache
def column_specs() -> dict[str, tuple[Column, ...]]:
    raw = (
        resources.files("danmarkskort").joinpath("data", "extract_columns.json").read_text("utf-8")
    )
    doc = json.loads(raw)
    specs = {}
    for shape in ("cases", "aggregated"):
        columns = []
        for name, spec in doc[shape].items():
            order = tuple(dict.fromkeys(k for k in map(header_key, spec["aliases"]) if k))
            unless = tuple(spec.get("unless", ()))
            columns.append(
                Column(name, spec["label"], spec["required"], frozenset(order), order, unless)
            )
        specs[shape] = tuple(columns)
    return specs


def shape_scores(keys: list[str]) -> dict[Shape, int]:
    specs = column_specs()
    return {
        shape: sum(
            any(k in col.keys for k in keys)
            for col in specs[shape]
            if col.name in DISTINCTIVE[shape]
        )
        for shape in SHAPES
    }


def choose_header(candidates: list[tuple[int, list[str]]], report: Report) -> int | None:
    """Index of the header among the first non-empty rows; title rows above it are warned.

    A row naming two or more distinctive columns is the header, the first such row; failing
    that, the first row when it names one (a lone data cell such as 'Afvist' or a title such
    as 'Resultat' further down is no header).
    """
    scores = [max(shape_scores([column_key(c) for c in cells]).values()) for _, cells in candidates]
    strong = [i for i, score in enumerate(scores) if score >= 2]
    chosen = strong[0] if strong else (0 if scores[0] >= 1 else None)
    if chosen is not None:
        if chosen:
            first, row = candidates[0][0], candidates[chosen][0]
            titles = " / ".join(
                shown(" ".join(c for c in cells if c), 60) for _, cells in candidates[:chosen]
            )
            report.warning(
                "skipped_lines",
                f"{'Række ' + str(first) if first == row - 1 else f'Række {first}-{row - 1}'}"
                f" står over overskriften i række {row} og er sprunget over (fx en "
                f"titel): {titles}",
                row=first,
            )
        return chosen
    row, cells = candidates[0]
    found = " | ".join(shown(h, 40) for h in cells[:30] if h) or "(ingen)"
    if len(cells) > 30:
        found += f" | … ({len(cells)} kolonner i alt)"
    report.error(
        "unknown_shape",
        "Overskriften passer hverken til et aggregeret udtræk (Instans; Lov; Paragraf; Aar; "
        "Stadfæstelse; Ændring/Ophævelse; Hjemvisning; Afvisning/Henvisning) eller til et "
        "udtræk på sagsniveau (Sagsnummer; Afgørelseskommune; Lov; Paragraf; Afgørelse; "
        f"Afgørelsesdato). Fundet: {found}",
        row=row,
    )
    return None


def match_header(
    header: list[str], report: Report, row: int
) -> tuple[Shape, dict[str, int]] | None:
    """Pick the shape the header fits and map canonical names to column positions.

    Two columns that both fit one field ('Stadfæstelse' and 'Stadfæstet', 'Afgørelse' and
    'Resultat') are an error naming both: taking either would be a guess, and a wrong one
    gives wrong figures without a word. The one exception is the municipality's code
    beside its name (Kommunekode and Kommune), which are checked against each other.
    """
    keys = [column_key(h) for h in header]
    specs = column_specs()
    scores = shape_scores(keys)
    shape = max(scores, key=scores.__getitem__)
    other: Shape = "aggregated" if shape == "cases" else "cases"
    if scores[other]:
        also = [
            h for h, k in zip(header, keys, strict=True)
            if any(k in c.keys for c in specs[other] if c.name in DISTINCTIVE[other])
        ]  # fmt: skip
        report.warning(
            "mixed_shape",
            f"Overskriften har kolonner fra begge udtrækstyper; filen læses som "
            f"{SHAPE_NAMES[shape]}, og kolonnerne {', '.join(shown(h, 40) for h in also)} "
            f"(fra {SHAPE_NAMES[other]}) bruges ikke.",
            row=row,
        )
    positions: dict[str, int] = {}
    ok = True
    for col in specs[shape]:
        found = [
            i for i, k in enumerate(keys) if k and k in col.keys and i not in positions.values()
        ]
        if not found:
            continue
        best = min(found, key=lambda i: (col.order.index(keys[i]), i))
        twins = [i for i in found if keys[i] == keys[best]]
        if len(twins) > 1:
            report.error(
                "duplicate_column",
                f"Kolonnen {col.label} står flere gange (kolonne "
                f"{', '.join(str(i + 1) for i in twins)}); det er uklart hvilken der gælder.",
                row=row,
                column=header[twins[1]],
            )
            ok = False
        positions[col.name] = best
        others = [i for i in found if keys[i] != keys[best]]
        if col.name == "instans" and len({keys[i] for i in others}) == 1:
            # Kommunekode and Kommune side by side: the name stands in where the code is
            # empty (a sum row 'I alt'), and the two must agree where both are given.
            positions[ALT_INSTANS] = min(others, key=lambda i: (col.order.index(keys[i]), i))
        elif others:
            named = [best, *sorted({keys[i]: i for i in others}.values())]
            report.error(
                "ambiguous_column",
                f"Kolonnerne {_join_columns(header, named)} passer alle til feltet "
                f"«{col.label}»; det er uklart, hvilken der gælder. Fjern eller omdøb de "
                "andre, så kun én kolonne hedder sådan.",
                row=row,
                column=header[named[1]],
            )
            ok = False
    for col in specs[shape]:
        if col.name in positions or not col.required:
            continue
        if any(u in positions for u in col.unless):
            continue
        report.error(
            "missing_column",
            f"Kolonnen «{col.label}» mangler; den kræves i et udtræk af typen "
            f"{SHAPE_NAMES[shape]}.{_missing_hint(col, positions, header)} Overskriften har: "
            + " | ".join(shown(h, 40) for h in header if h),
            row=row,
            column=col.label,
        )
        ok = False
    if ok and shape == "aggregated":
        ok = _outcome_parts(header, positions, report, row)
    return (shape, positions) if ok else None


def _join_columns(header: list[str], positions: list[int]) -> str:
    names = [f"«{shown(header[i], 40)}» (kolonne {i + 1})" for i in positions]
    return ", ".join(names[:-1]) + " og " + names[-1]


def _missing_hint(col: Column, positions: dict[str, int], header: list[str]) -> str:
    if col.name == "aendret_ophaevet" and "ophaevet" in positions:
        return (
            f" Kolonnen «{shown(header[positions['ophaevet']], 40)}» er der, men ophævelser er "
            "kun en del af udfaldet: ændringer skal også med (en kolonne «Ændring» eller en "
            "samlet «Ændring/Ophævelse»)."
        )
    return ""


def _outcome_parts(header: list[str], positions: dict[str, int], report: Report, row: int) -> bool:
    """Ændring and Ophævelse as two columns are summed into Ændring/Ophævelse (said in the
    report's facts); beside a combined column they would be counted twice, so that is an
    error. Ændring alone stands for the combined outcome, as senders abbreviate it."""
    parts = [n for n in ("aendret", "ophaevet") if n in positions]
    if "aendret_ophaevet" in positions and parts:
        named = [positions["aendret_ophaevet"], *(positions[n] for n in parts)]
        report.error(
            "ambiguous_column",
            f"Kolonnerne {_join_columns(header, named)} "
            "passer alle til udfaldet ændring/ophævelse; de kan ikke både være en sum og dens "
            "dele. Behold enten den samlede kolonne eller delene.",
            row=row,
            column=header[positions[parts[0]]],
        )
        return False
    if parts == ["aendret"]:
        positions["aendret_ophaevet"] = positions.pop("aendret")
    return True


def ignored_columns(header: list[str], positions: dict[str, int]) -> str:
    used = set(positions.values())
    names = [shown(h, 40) for i, h in enumerate(header) if h.strip() and i not in used]
    if len(names) > 15:
        names = [*names[:15], f"… ({len(names)} i alt)"]
    return ", ".join(names)


def make_frame(names: list[str], columns: list[list[str]]) -> pd.DataFrame:
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)), columns=names, dtype="object")
    for name in names:
        if name != "sagsnummer":
            frame[name] = frame[name].astype("category")
    return frame


def note_layout(table: Table, header: list[str], positions: dict[str, int], row: int) -> None:
    if ignored := ignored_columns(header, positions):
        table.facts["ignored_columns"] = ignored
    if row != 1:
        table.facts["header_row"] = str(row)


def drop_blank_rows(table: Table) -> Table:
    """Rows with no text in any used column (blank lines, Excel's empty rows) are not rows."""
    frame = table.frame
    categorical = [n for n in frame.columns if frame[n].dtype == "category"]
    blank = np.ones(len(frame), dtype=bool)
    for name in categorical:
        blank &= blank_cat(frame[name]).to_numpy()
    for name in frame.columns.difference(categorical):
        if blank.any():  # text columns (Sagsnummer: unique values) only where still blank
            at = np.flatnonzero(blank)
            blank[at] = frame[name].iloc[at].astype(str).str.strip().eq("").to_numpy()
    if blank.any():
        table.frame = frame.loc[~blank]
        table.lines = table.lines.loc[~blank]
    return table


def blank_cat(col: pd.Series) -> pd.Series:
    """Blank test on the categories only: a million rows share a few hundred values."""
    blank_cats = pd.Series(col.cat.categories.astype(str)).str.strip().eq("").to_numpy()
    codes = col.cat.codes.to_numpy()
    if not len(blank_cats):
        return pd.Series(True, index=col.index)
    return pd.Series((codes < 0) | blank_cats[np.maximum(codes, 0)], index=col.index)


# Bounds on what a table may hold, for both readers. A real extract's longest cell is a
# Talportal subject of some 100 characters and its columns hold a few thousand distinct
# values at most; beyond these limits a file is broken or hostile, and reading on would
# only carry a 30 MB label into figures.json and a municipality's mail.
MAX_CELL_CHARS = 1_000
MAX_DISTINCT = 50_000
_UNBOUNDED_DISTINCT = frozenset({"sagsnummer"})  # one value per case by design


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def within_bounds(table: Table, report: Report) -> bool:
    """False (with an error per exceeded limit, naming row, column and size) when a cell is
    longer than MAX_CELL_CHARS or a column has more than MAX_DISTINCT different values.

    Checked on the categories where a column has them (a million rows share a few hundred
    values), so the check costs milliseconds on a national extract."""
    ok = True
    for name in table.frame.columns:
        col = table.frame[name]
        label = table.headers.get(name, name)
        if col.dtype == "category":
            values = col.cat.categories.astype(str)
            lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
            long_codes = np.flatnonzero(lengths > MAX_CELL_CHARS)
            rows = np.flatnonzero(np.isin(col.cat.codes.to_numpy(), long_codes))
            distinct = len(values)
        else:
            texts = col.to_numpy(dtype=object)
            rows = np.zeros(0, dtype=np.int64)
            if len(texts) and max(map(len, texts)) > MAX_CELL_CHARS:  # rarely: then find them
                lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
                rows = np.flatnonzero(lengths > MAX_CELL_CHARS)
            distinct = 0
        room = report.room("fejl", "cell_too_long")
        for pos in rows[:room]:
            value = str(col.iat[pos])
            report.error(
                "cell_too_long",
                f"Cellen har {_n(len(value))} tegn; grænsen er {_n(MAX_CELL_CHARS)} tegn pr. "
                "celle (et sagsnummer, en kommune eller en paragraf fylder langt mindre). Er "
                "flere kolonner eller rækker endt i én celle, fx ved et anførselstegn, der ikke "
                "er lukket?",
                row=int(table.lines.iat[pos]),
                column=label,
                value=value[:60],
            )
        report.count_only("fejl", "cell_too_long", max(len(rows) - room, 0))
        ok &= not len(rows)
        if name not in _UNBOUNDED_DISTINCT and distinct > MAX_DISTINCT:
            report.error(
                "too_many_values",
                f"Kolonnen «{shown(label, 40)}» har {_n(distinct)} forskellige værdier; grænsen "
                f"er {_n(MAX_DISTINCT)}. Et udtræk har nogle hundrede kommuner, love, "
                "paragraffer og datoer: står der data i en forkert kolonne?",
                column=label,
            )
            ok = False
    return ok
