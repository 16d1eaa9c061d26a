"""Test helper: a complete, consistent FiguresDoc without the compute step, for the render
and notify tests and benchmarks (the same format compute_rates writes).

Counts are random (seeded) but every derived field follows docs/design.md §4: realitetsbehandlede is
the sum, the rate is unrounded, the Wilson interval, lav_n by threshold, national records as
Σ/Σ, aendring_pp against the previous year in the same document.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from danmarkskort.domain.beneficiaries import BeneficiaryTable
from danmarkskort.domain.figures import Figure, FiguresDoc, Provision, new_doc
from danmarkskort.domain.municipalities import NATIONAL_CODE, NATIONAL_NAME, registry

AREAS = ("socialomraadet", "boernehandicap", "voksenhandicap")
SMALL = {"825", "741", "492", "563", "155"}  # Læsø, Samsø, Ærø, Fanø, Dragør
BIG = {"101", "751", "461", "851"}  # København, Aarhus, Odense, Aalborg: never few cases
# A provision label that a spreadsheet would run as a formula (the mail attachments' test).
INJECTION = '=HYPERLINK("http://evil.example.invalid","klik")'
MAIL_EXTRACT_ID = "5f" * 32
MAIL_YEARS = (2022, 2023, 2024)


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    if n == 0:
        return None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return 100 * max(0.0, c - h), 100 * min(1.0, c + h)


def figure(
    aar: int,
    omraade: str,
    code: str,
    name: str,
    s: int,
    a: int,
    h: int,
    af: int,
    threshold: int,
    prev_rate: float | None = None,
) -> Figure:
    n = s + a + h
    rate = 100.0 * (a + h) / n if n else None
    ci = wilson(a + h, n)
    return Figure(
        aar=aar,
        omraade=omraade,
        kommunekode=code,
        kommune=name,
        stadfaestet=s,
        aendret_ophaevet=a,
        hjemvist=h,
        afvist=af,
        realitetsbehandlede=n,
        omgoerelsesprocent=rate,
        ci_lav=ci[0] if ci else None,
        ci_hoej=ci[1] if ci else None,
        lav_n=n < threshold,
        aendring_pp=(rate - prev_rate) if rate is not None and prev_rate is not None else None,
    )


def make_doc(
    years: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024),
    seed: int = 7,
    threshold: int = 20,
    zero: tuple[tuple[int, str, str], ...] = ((2024, "voksenhandicap", "825"),),
    extract_id: str = "ab" * 32,
    names: dict[str, str] | None = None,
    provisions: bool = False,
) -> FiguresDoc:
    rnd = random.Random(seed)
    names = names or {}
    figs: list[Figure] = []
    provs: list[Provision] = []
    prev: dict[tuple[str, str], float | None] = {}
    size = {
        m.code: (
            3
            if m.code in SMALL
            else 600
            if m.code in BIG
            else rnd.choice([12, 25, 40, 60, 90, 160, 300])
        )
        for m in registry().municipalities
    }
    for aar in years:
        for omraade in AREAS:
            scale = {"socialomraadet": 1.0, "boernehandicap": 0.25, "voksenhandicap": 0.3}[omraade]
            tot = [0, 0, 0, 0]
            rows = []
            for m in registry().municipalities:
                if (aar, omraade, m.code) in zero:
                    s = a = h = af = 0
                else:
                    n = max(0, int(rnd.gauss(size[m.code] * scale, size[m.code] * scale * 0.2)))
                    p = min(0.9, max(0.05, rnd.gauss(0.36, 0.1)))
                    omg = sum(rnd.random() < p for _ in range(n))
                    a = sum(rnd.random() < 0.25 for _ in range(omg))
                    h, s = omg - a, n - omg
                    af = rnd.randint(0, max(1, n // 8))
                name = names.get(m.code, m.name)
                f = figure(
                    aar, omraade, m.code, name, s, a, h, af, threshold, prev.get((omraade, m.code))
                )
                prev[(omraade, m.code)] = f.omgoerelsesprocent
                rows.append(f)
                for i, v in enumerate((s, a, h, af)):
                    tot[i] += v
            nat_s, nat_a, nat_h, nat_af = tot
            nat = figure(
                aar,
                omraade,
                NATIONAL_CODE,
                NATIONAL_NAME,
                nat_s,
                nat_a,
                nat_h,
                nat_af,
                threshold,
                prev.get((omraade, NATIONAL_CODE)),
            )
            prev[(omraade, NATIONAL_CODE)] = nat.omgoerelsesprocent
            figs.append(nat)
            figs.extend(rows)
        if provisions:
            provs.extend(_provisions(aar, rnd))
    return new_doc(
        extract_id=extract_id,
        extract_file="udtraek_2024.csv",
        received="2025-06-02T08:15:00+00:00",
        figures=figs,
        provisions=provs,
        lav_n_threshold=threshold,
    )


def _provisions(aar: int, rnd: random.Random) -> list[Provision]:
    """Per-provision counts for every municipality, plus one formula-looking label."""
    out = []
    for m in registry().municipalities:
        for paragraf, areas in (("§ 41", "boernehandicap"), ("§ 85", "voksenhandicap")):
            counts = (rnd.randint(0, 9), rnd.randint(0, 3), rnd.randint(0, 4), rnd.randint(0, 1))
            out.append(
                Provision(aar, m.code, "Serviceloven", paragraf, ("socialomraadet", areas), *counts)
            )
        if m.code == "101":
            out.append(
                Provision(aar, m.code, "Serviceloven", INJECTION, ("socialomraadet",), 1, 1, 0, 0)
            )
    return out


def mail_doc(
    *, extract_id: str = MAIL_EXTRACT_ID, years: tuple[int, ...] = MAIL_YEARS, seed: int = 7
) -> FiguresDoc:
    """The notify tests' document: three years, provisions, and no Dragør voksenhandicap cases
    in 2024 (a municipality with an area without decided cases)."""
    return make_doc(
        years=years,
        seed=seed,
        extract_id=extract_id,
        zero=((2024, "voksenhandicap", "155"),),
        provisions=True,
    )


def doc_without(doc: FiguresDoc, code: str) -> FiguresDoc:
    return FiguresDoc(
        extract_id=doc.extract_id,
        extract_file=doc.extract_file,
        received=doc.received,
        software_version=doc.software_version,
        figures=tuple(f for f in doc.figures if f.kommunekode != code),
        lav_n_threshold=doc.lav_n_threshold,
        years=doc.years,
        areas=doc.areas,
    )


def corrected(
    doc: FiguresDoc, aar: int, code: str, extra_hjemvist: int, omraade: str = "socialomraadet"
) -> FiguresDoc:
    """The same figures with one (year, area, municipality) given more hjemviste cases, as a
    later extract with late registrations (efterregistreringer) would have them."""
    out = []
    for f in doc.figures:
        if (f.aar, f.omraade, f.kommunekode) == (aar, omraade, code):
            f = figure(
                aar,
                omraade,
                code,
                f.kommune,
                f.stadfaestet,
                f.aendret_ophaevet,
                f.hjemvist + extra_hjemvist,
                f.afvist,
                doc.lav_n_threshold,
            )
        out.append(f)
    return replace(doc, figures=tuple(out))


def beneficiary_table(doc: FiguresDoc) -> BeneficiaryTable:
    """Danmarks Statistik's recipients for every municipality, area and year of ``doc`` and
    the year before (the map's reference year), as a full Statistikbanken file gives them:
    for the benchmarks, so that a site and its mails have every part."""
    years = {f.aar for f in doc.figures}
    years |= {aar - 1 for aar in years}
    areas = {f.omraade for f in doc.figures}
    counts: dict[tuple[str, str, int], int | None] = {
        (m.code, omraade, aar): 150 + int(m.code) * 7 % 2900
        for m in registry().municipalities
        for omraade in areas
        for aar in years
    }
    return BeneficiaryTable(counts)
