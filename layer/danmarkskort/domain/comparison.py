"""Is a municipality's rate further from the country's than chance alone would put it?

A funnel plot's limits (Spiegelhalter, "Funnel plots for comparing institutional
performance", Statistics in Medicine 24, 2005): if a municipality's n realitetsbehandlede
cases were like the country's, the number omgjort would be Binomial(n, p) with p the
national rate. The limits are that distribution's exact quantiles, interpolated between
counts so they form smooth curves (Spiegelhalter's appendix): for a probability ``q``, take
the smallest count r with P(X <= r) >= q, then

    limit = (r - a) / n,   a = (P(X <= r) - q) / P(X = r).

A rate above the upper 99.8 % limit happens by chance about once in a thousand
municipalities of that size; that is what "above the range chance alone gives" means. It
says nothing about why, nor about the decisions nobody complained about.

Pure Python (math.lgamma): notify and render never import numpy or scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from danmarkskort.domain.figures import Figure

Verdict = Literal["over", "under", "inden_for"]
LEVELS = (0.95, 0.998)  # the funnel's two pairs of limits
SENTENCE_LEVEL = 0.998  # the sentence in the info box, the page and the mail


def _pmf(n: int, p: float) -> list[float]:
    """P(X = k) for k = 0..n, X ~ Binomial(n, p), in log space (n may be thousands)."""
    if p <= 0.0:
        return [1.0] + [0.0] * n
    if p >= 1.0:
        return [0.0] * n + [1.0]
    lp, lq, lfn = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    return [
        math.exp(lfn - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq)
        for k in range(n + 1)
    ]


def _quantile_rate(pmf: list[float], n: int, q: float) -> float:
    """The interpolated q-quantile of X / n (Spiegelhalter 2005, appendix A.1.1)."""
    cdf = 0.0
    for r, mass in enumerate(pmf):
        cdf += mass
        if cdf >= q - 1e-12:
            a = (cdf - q) / mass if mass > 0 else 0.0
            return max(0.0, (r - a) / n)
    return 1.0


@dataclass(frozen=True, slots=True)
class Limits:
    """The rate (in %) below and above which a municipality of n cases falls by chance with
    probability (1 - level) / 2 each."""

    n: int
    level: float
    low: float
    high: float


def limits(n: int, national_rate: float, level: float) -> Limits:
    """The funnel's limits at n cases around the national rate (both in %)."""
    return funnel_at(n, national_rate, (level,))[0]


@lru_cache(maxsize=8192)
def funnel_at(
    n: int, national_rate: float, levels: tuple[float, ...] = LEVELS
) -> tuple[Limits, ...]:
    """The limits of every level at n cases, from one distribution (the funnel's curves and
    each municipality's verdict ask for the same n many times)."""
    if n < 1:
        raise ValueError(f"limits need at least one case, not {n}")
    if not 0.0 <= national_rate <= 100.0:
        raise ValueError(f"the national rate must be a percentage, not {national_rate}")
    pmf = _pmf(n, national_rate / 100.0)
    out = []
    for level in levels:
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be between 0 and 1, not {level}")
        tail = (1.0 - level) / 2.0
        out.append(
            Limits(
                n=n,
                level=level,
                low=100.0 * _quantile_rate(pmf, n, tail),
                high=100.0 * _quantile_rate(pmf, n, 1.0 - tail),
            )
        )
    return tuple(out)


def verdict(f: Figure, national: Figure | None, level: float = SENTENCE_LEVEL) -> Verdict | None:
    """Above, below or within the limits for its size; None without cases or a national rate."""
    if (
        f.omgoerelsesprocent is None
        or f.realitetsbehandlede < 1
        or national is None
        or national.omgoerelsesprocent is None
    ):
        return None
    lim = limits(f.realitetsbehandlede, national.omgoerelsesprocent, level)
    if f.omgoerelsesprocent > lim.high:
        return "over"
    if f.omgoerelsesprocent < lim.low:
        return "under"
    return "inden_for"


def sentence(v: Verdict | None, national_name: str) -> str:
    """One honest Danish sentence; worded as a statement about chance and the complaints
    that were decided, never as a verdict on the municipality's case handling."""
    if national_name == "Hele landet":
        ref = "landets procent"
    else:  # a deliberately partial extract: 'De 12 kommuner i udtrækket'
        ref = f"procenten for {national_name[:1].lower()}{national_name[1:]}"
    if v in ("over", "under"):
        word = "højere" if v == "over" else "lavere"
        return (
            f"Procenten er {word}, end tilfældigheder alene normalt giver en kommune med så "
            f"mange sager, når den sammenlignes med {ref} (99,8 %-grænsen). Det siger ikke "
            "hvorfor, og det handler kun om de sager, der blev klaget over."
        )
    if v == "inden_for":
        return (
            f"Forskellen fra {ref} er ikke større, end tilfældigheder alene kan give en kommune "
            "med så mange sager (99,8 %-grænsen)."
        )
    return ""


SHORT = {
    "over": "Højere, end tilfældigheder alene normalt giver (99,8 %-grænsen)",
    "under": "Lavere, end tilfældigheder alene normalt giver (99,8 %-grænsen)",
    "inden_for": "Inden for det, tilfældigheder alene kan give",
}
TABLE = {"over": "højere", "under": "lavere", "inden_for": "inden for"}


def short(v: Verdict | None) -> str:
    """The verdict in a tooltip's few words ('' without one)."""
    return SHORT[v] if v else ""


Z95 = 1.959963984540054


def wilson(omgjort: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The 95 % Wilson score interval in percent, as compute/rates.py gives every figure
    (there on arrays, with numpy; here for one pooled figure, without it)."""
    if n <= 0:
        return None
    p = omgjort / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if omgjort == 0 else min(max(centre - half, 0.0), 1.0) * 100
    high = 100.0 if omgjort == n else min(max(centre + half, 0.0), 1.0) * 100
    return low, high


POOLED_YEARS = 3


@dataclass(frozen=True, slots=True)
class Pooled:
    """A municipality's rate over the last published years together: steadier than one
    year's when each year has few cases."""

    years: tuple[int, ...]
    omgjort: int
    n: int
    rate: float
    ci: tuple[float, float]


def pooled(figures: list[Figure]) -> Pooled | None:
    """The figures (one municipality and area, several years) taken together; None when
    fewer than two years have cases."""
    used = [f for f in figures if f.realitetsbehandlede > 0]
    if len(used) < 2:
        return None
    omgjort = sum(f.omgjort for f in used)
    n = sum(f.realitetsbehandlede for f in used)
    ci = wilson(omgjort, n)
    assert ci is not None  # n > 0
    return Pooled(tuple(f.aar for f in used), omgjort, n, 100.0 * omgjort / n, ci)
