"""A complete figures document for the notify tests: 98 municipalities × 3 areas × 3 years,
national records, per-provision counts, built from ``danmarkskort.figures`` directly (the
same format compute_rates writes)."""

from __future__ import annotations

import math
import random

from danmarkskort.figures import Figure, FiguresDoc, Provision, new_doc
from danmarkskort.municipalities import NATIONAL_CODE, NATIONAL_NAME, registry

AREAS = ("socialomraadet", "boernehandicap", "voksenhandicap")
YEARS = (2022, 2023, 2024)
EXTRACT_ID = "5f" * 32
LOW_N = 20
INJECTION = '=HYPERLINK("http://evil.example.invalid","klik")'


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return 100 * (centre - half), 100 * (centre + half)


def _figure(aar, omraade, code, name, s, a, h, afv, previous):
    n = s + a + h
    rate = 100 * (a + h) / n if n else None
    lo, hi = wilson(a + h, n)
    change = None if rate is None or previous is None else rate - previous
    return Figure(aar, omraade, code, name, s, a, h, afv, n, rate, lo, hi, n < LOW_N, change)


def build_doc(
    *, extract_id: str = EXTRACT_ID, years: tuple[int, ...] = YEARS, seed: int = 7
) -> FiguresDoc:
    rng = random.Random(seed)
    figures: list[Figure] = []
    provisions: list[Provision] = []
    previous: dict[tuple[str, str], float | None] = {}
    for aar in years:
        totals: dict[str, list[int]] = {a: [0, 0, 0, 0] for a in AREAS}
        for m in registry().municipalities:
            small = m.code in {"825", "741", "492", "563"}  # Læsø, Samsø, Ærø, Fanø
            for omraade in AREAS:
                scale = 3 if small else rng.randint(15, 160)
                if omraade == "socialomraadet":
                    scale *= 3
                if m.code == "155" and omraade == "voksenhandicap" and aar == 2024:
                    scale = 0  # Dragør: no decided cases this year
                s = rng.randint(0, scale)
                a = rng.randint(0, max(1, scale // 6)) if scale else 0
                h = rng.randint(0, max(1, scale // 3)) if scale else 0
                afv = rng.randint(0, 4)
                f = _figure(
                    aar, omraade, m.code, m.name, s, a, h, afv, previous.get((m.code, omraade))
                )
                previous[(m.code, omraade)] = f.omgoerelsesprocent
                figures.append(f)
                for i, v in enumerate((s, a, h, afv)):
                    totals[omraade][i] += v
            provisions.append(
                Provision(
                    aar,
                    m.code,
                    "Serviceloven",
                    "§ 41",
                    ("socialomraadet", "boernehandicap"),
                    rng.randint(0, 9),
                    rng.randint(0, 3),
                    rng.randint(0, 4),
                    1,
                )
            )
            provisions.append(
                Provision(
                    aar,
                    m.code,
                    "Serviceloven",
                    "§ 85",
                    ("socialomraadet", "voksenhandicap"),
                    rng.randint(0, 9),
                    rng.randint(0, 3),
                    rng.randint(0, 4),
                    0,
                )
            )
            if m.code == "101":
                provisions.append(
                    Provision(
                        aar, m.code, "Serviceloven", INJECTION, ("socialomraadet",), 1, 1, 0, 0
                    )
                )
        for omraade in AREAS:
            s, a, h, afv = totals[omraade]
            f = _figure(
                aar,
                omraade,
                NATIONAL_CODE,
                NATIONAL_NAME,
                s,
                a,
                h,
                afv,
                previous.get((NATIONAL_CODE, omraade)),
            )
            previous[(NATIONAL_CODE, omraade)] = f.omgoerelsesprocent
            figures.append(f)
    return new_doc(
        extract_id=extract_id,
        extract_file="udtraek-2024.csv",
        received="2025-06-02T09:15:00+00:00",
        figures=figures,
        provisions=provisions,
        lav_n_threshold=LOW_N,
    )
