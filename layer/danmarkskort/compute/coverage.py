"""Partial deliveries: how many of the 98 municipalities a year of an extract covers.

An extract holding one municipality used to be published as 'Hele landet', and the other
97 were mailed 'no cases'. A year in which fewer than udtraek.json's ``min_kommuner``
municipalities have a realitetsbehandlet case is rejected; a lower ``min_kommuner`` lets a
deliberate partial extract through, and then its national figure is labelled as covering
only the municipalities in the extract, never as 'Hele landet' (domain/figures.py
WHOLE_COUNTRY decides that, whatever an override lets through).

Pure Python on the computed figures: the same counts as the maps, any area.
"""

from __future__ import annotations

from dataclasses import replace

from danmarkskort.compute.report import Report
from danmarkskort.config.loader import load
from danmarkskort.config.models import UdtraekFile
from danmarkskort.config.sources import ConfigSource
from danmarkskort.domain.figures import (
    Figure,
    comparable,
    covered,
    is_whole_country,
    with_cases,
)
from danmarkskort.domain.municipalities import registry

ALL = 98
NAMED_COVERED = 10  # at most this many covered municipalities are named in the error
NAMED_MISSING = 15  # or at most this many without a case


def min_kommuner(config: ConfigSource) -> int:
    """udtraek.json's min_kommuner (the bundled default stands last)."""
    return load(config, UdtraekFile).min_kommuner


def national_label(n: int) -> str:
    """The national figure's name in a partial year: 'De 12 kommuner i udtrækket'."""
    return "Den ene kommune i udtrækket" if n == 1 else f"De {n} kommuner i udtrækket"


def check_coverage(figures: list[Figure], minimum: int, report: Report) -> None:
    """An error per year covering fewer than ``minimum`` municipalities; a warning per
    accepted year that is not the whole country. Adds the per-year coverage to the facts."""
    by_year = covered(figures)
    in_extract = with_cases(figures)
    report.facts["coverage"] = "; ".join(
        f"{aar}: {len(codes)} af {ALL}" for aar, codes in by_year.items()
    )
    for aar, codes in by_year.items():
        n = len(codes)
        if n < minimum:
            report.error("partial_extract", _partial_message(aar, codes, minimum))
        elif not is_whole_country(n):
            n_in = len(in_extract[aar])
            report.warning(
                "partial_year",
                f"I {aar} har kun {n} af de {ALL} kommuner realitetsbehandlede sager. Året er "
                f"godkendt, fordi udtraek.json tillader ned til {_kommuner(minimum)}. Landstallet "
                f"for {aar} hedder «{national_label(n_in)}», ikke «Hele landet», og kun "
                "kommunerne i udtrækket får mail om året.",
            )


def _partial_message(aar: int, codes: frozenset[str], minimum: int) -> str:
    n = len(codes)
    reg = registry()
    who = f"har {'ingen' if n == 0 else f'kun {n}'} af de {ALL} kommuner"
    text = (
        f"I {aar} {who} realitetsbehandlede sager; der kræves mindst {_kommuner(minimum)} "
        "(udtraek.json, min_kommuner). Det ligner en delleverance, ikke hele landet."
    )
    missing = [m for m in reg.municipalities if m.code not in codes]
    if 0 < n <= NAMED_COVERED:
        text += " Udtrækket har sager fra " + _names([reg.by_code(c).name for c in sorted(codes)])
        text += "."
    elif 0 < len(missing) <= NAMED_MISSING:
        text += " Uden sager: " + _names([m.name for m in missing]) + "."
    return text + (
        " Send et udtræk for alle kommuner. Dækker udtrækket med vilje kun nogle kommuner, "
        "så sæt min_kommuner i udtraek.json ned; landstallet vises da som tal for "
        "kommunerne i udtrækket, ikke for hele landet."
    )


def _kommuner(n: int) -> str:
    return "1 kommune" if n == 1 else f"{n} kommuner"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def label_partial_years(figures: list[Figure]) -> list[Figure]:
    """The national figures of a year that is not the whole country named for what they
    sum ('De 12 kommuner i udtrækket'), and without a change from a year of other scope."""
    n_covered = {aar: len(codes) for aar, codes in covered(figures).items()}
    n_in = {aar: len(codes) for aar, codes in with_cases(figures).items()}
    labelled = [
        replace(f, kommune=national_label(n_in[f.aar]))
        if f.is_national and not is_whole_country(n_covered[f.aar])
        else f
        for f in figures
    ]
    national = {(f.aar, f.omraade): f for f in labelled if f.is_national}
    out = []
    for f in labelled:
        previous = national.get((f.aar - 1, f.omraade)) if f.is_national else None
        if previous is not None and f.aendring_pp is not None and not comparable(f, previous):
            f = replace(f, aendring_pp=None)
        out.append(f)
    return out
