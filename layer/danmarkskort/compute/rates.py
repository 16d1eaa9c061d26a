"""Omgørelsesprocenter from counts (domain primer §1, docs/design.md §4).

Rates are Σ numerators / Σ denominators at every level (never a mean of rates), unrounded;
the uncertainty is a 95 % Wilson score interval, which behaves at n = 1 and at 0 % / 100 %.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from danmarkskort.compute.validation import OUTCOMES, PROVISION_KEYS
from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.figures import Figure, Provision
from danmarkskort.domain.municipalities import NATIONAL_CODE, NATIONAL_NAME, registry
from danmarkskort.domain.provisions import parse_paragraph

Z95 = 1.959963984540054


def wilson_interval(
    omgjort: np.ndarray, n: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval in percent; NaN where n = 0."""
    omgjort = np.asarray(omgjort, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = omgjort / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        # The bounds are exactly 0 and 100 at p = 0 and p = 1 (no floating-point 99.999…).
        low = np.where(omgjort == 0, 0.0, np.clip(centre - half, 0, 1) * 100)
        high = np.where(omgjort == n, 100.0, np.clip(centre + half, 0, 1) * 100)
        low = np.where(n > 0, low, np.nan)
        high = np.where(n > 0, high, np.nan)
    return low, high


def area_counts(counts: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Sum provision counts into (aar, omraade, kommunekode); a provision may count in two areas."""
    combos = counts[["lov", "paragraf", "aar"]].drop_duplicates()
    pairs = [
        (lov, paragraf, aar, area)
        for lov, paragraf, aar in combos.itertuples(index=False)
        if lov
        for area in mapping.areas_for(lov, paragraf, int(aar))
    ]
    table = pd.DataFrame(pairs, columns=["lov", "paragraf", "aar", "omraade"])
    flat = counts.astype({"lov": str, "paragraf": str, "kommunekode": str})
    joined = flat.merge(table.astype({"aar": flat["aar"].dtype}), on=["lov", "paragraf", "aar"])
    return joined.groupby(["aar", "omraade", "kommunekode"], observed=True)[list(OUTCOMES)].sum()


def compute_figures(counts: pd.DataFrame, mapping: Mapping, lav_n_threshold: int) -> list[Figure]:
    """Every municipality × area × year of the extract (zeros where no cases) plus the country."""
    years = sorted(int(y) for y in counts["aar"].unique())
    codes = [m.code for m in registry().municipalities]
    grid = pd.MultiIndex.from_product(
        [years, list(mapping.slugs), codes], names=["aar", "omraade", "kommunekode"]
    )
    by_area = area_counts(counts, mapping)
    by_area.index = by_area.index.set_levels(by_area.index.levels[0].astype(int), level=0)
    municipal = by_area.reindex(grid, fill_value=0)
    national = municipal.groupby(level=["aar", "omraade"]).sum()
    national["kommunekode"] = NATIONAL_CODE
    national = national.set_index("kommunekode", append=True)
    table = pd.concat([municipal, national]).reset_index()
    return _records(table, lav_n_threshold)


def _records(table: pd.DataFrame, lav_n_threshold: int) -> list[Figure]:
    s, a, h = (
        table[c].to_numpy(dtype=np.int64) for c in ("stadfaestet", "aendret_ophaevet", "hjemvist")
    )
    real = s + a + h
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(real > 0, 100.0 * (a + h) / real, np.nan)
    low, high = wilson_interval(a + h, real)
    table = table.assign(realitetsbehandlede=real, rate=rate, low=low, high=high)
    previous = table[["aar", "omraade", "kommunekode", "rate"]].assign(aar=table["aar"] + 1)
    table = table.merge(
        previous.rename(columns={"rate": "prev"}), on=["aar", "omraade", "kommunekode"], how="left"
    )
    reg = registry()
    out = []
    for row in table.itertuples(index=False):
        name = (
            NATIONAL_NAME if row.kommunekode == NATIONAL_CODE else reg.by_code(row.kommunekode).name
        )
        out.append(
            Figure(
                aar=int(row.aar),
                omraade=str(row.omraade),
                kommunekode=str(row.kommunekode),
                kommune=name,
                stadfaestet=int(row.stadfaestet),
                aendret_ophaevet=int(row.aendret_ophaevet),
                hjemvist=int(row.hjemvist),
                afvist=int(row.afvist),
                realitetsbehandlede=int(row.realitetsbehandlede),
                omgoerelsesprocent=_num(row.rate),
                ci_lav=_num(row.low),
                ci_hoej=_num(row.high),
                lav_n=bool(row.realitetsbehandlede < lav_n_threshold),
                aendring_pp=_num(row.rate - row.prev),
            )
        )
    out.sort(key=lambda f: (f.aar, f.omraade, f.kommunekode != NATIONAL_CODE, f.kommunekode))
    return out


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def provision_label(label: str) -> str:
    """One way to write a provision: '§86', 'BL § 86' and 'Barnets lov § 86' are all '§ 86';
    '§ 32a' is '§ 32 a'; '§§ 68, 76' is '§§ 68 og 76'; '§§ 82-84, 86' is '§§ 82-84 og 86'.
    Sections are put in order ('§§ 76, 68' is '§§ 68 og 76'). A label that names no section
    keeps its text (whitespace made single)."""
    sections = sorted(parse_paragraph(label), key=_section_order)
    if not sections:
        return " ".join(str(label).split())
    parts: list[str] = []
    run: list[int] = []

    def close() -> None:
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run.clear()

    for section in sections:
        # parse_paragraph reads a range only up to 20 apart: longer runs are split.
        if section.isdigit() and run and int(section) == run[-1] + 1 and len(run) <= 20:
            run.append(int(section))
            continue
        close()
        if section.isdigit():
            run.append(int(section))
        else:  # '32a': a lettered section stands alone, as the law writes it
            number, letter = _section_order(section)
            parts.append(f"{number} {letter}")
    close()
    sign = "§" if len(sections) == 1 else "§§"
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]
    return f"{sign} {body}"


def _section_order(section: str) -> tuple[int, str]:
    letter = section.lstrip("0123456789")
    return int(section[: len(section) - len(letter)]), letter


def provision_records(counts: pd.DataFrame, mapping: Mapping) -> list[Provision]:
    """Counts per legal provision, the detail a municipality needs to explain its rate.

    Grouped by the provision (law and parsed sections), not by the label as written: one
    municipality's 'BL § 86', '§ 86' and '§86' are one row with one rate, as in the areas."""
    law_names = {law.slug: law.navn for law in mapping.laws}
    flat = counts.astype({"lov": str, "paragraf": str, "kommunekode": str})
    labels = {label: provision_label(label) for label in flat["paragraf"].unique()}
    grouped = (
        flat.assign(paragraf=flat["paragraf"].map(labels))
        .groupby(PROVISION_KEYS, sort=True)[list(OUTCOMES)]
        .sum()
        .reset_index()
    )
    out = []
    # Column lists, not itertuples: its rows step through pandas' string arrays one element
    # at a time (with a keyword dict per row, a third of the cost of a national extract's).
    columns = ("kommunekode", "lov", "paragraf", "aar", *OUTCOMES)  # the names unpacked below
    for kode, law, paragraf, aar, stadf, aendret, hjemvist, afvist in zip(
        *(grouped[c].tolist() for c in columns), strict=True
    ):
        lov = str(law)
        out.append(
            Provision(
                aar=int(aar),
                kommunekode=str(kode),
                lov=law_names.get(lov, lov or "ukendt lov"),
                paragraf=str(paragraf),
                omraader=mapping.areas_for(lov, paragraf, int(aar)) if lov else (),
                stadfaestet=int(stadf),
                aendret_ophaevet=int(aendret),
                hjemvist=int(hjemvist),
                afvist=int(afvist),
            )
        )
    return out
