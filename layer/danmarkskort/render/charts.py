"""The small trend chart on a municipality page, as coordinates for the SVG template."""

from __future__ import annotations

import math
from typing import Any

from danmarkskort import text as fmt
from danmarkskort.domain.figures import Figure

WIDTH, HEIGHT = 340.0, 150.0
LEFT, RIGHT, TOP, BOTTOM = 40.0, 14.0, 12.0, 26.0


def _x(i: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + inner / 2 if count == 1 else LEFT + inner * i / (count - 1)


def _y(rate: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - rate / 100.0)


def _line(points: list[tuple[float, float] | None]) -> str:
    """Path through the points; a missing value (no cases) breaks the line."""
    parts, pen = [], "M"
    for p in points:
        if p is None:
            pen = "M"
            continue
        parts.append(f"{pen}{p[0]:.1f} {p[1]:.1f}")
        pen = "L"
    return " ".join(parts)


def trend_chart(figures: list[Figure], national: list[Figure | None]) -> dict[str, Any]:
    """Rate per year (hollow marker when few cases), 95 % interval whiskers, national line."""
    count = len(figures)
    own: list[tuple[float, float] | None] = []
    nat: list[tuple[float, float] | None] = []
    points = []
    for i, f in enumerate(figures):
        x = _x(i, count)
        if f.omgoerelsesprocent is None:
            own.append(None)
        else:
            y = _y(f.omgoerelsesprocent)
            own.append((x, y))
            points.append(
                {
                    "x": x,
                    "y": y,
                    "lav_n": f.lav_n,
                    "ci": (
                        (_y(f.ci_hoej), _y(f.ci_lav))
                        if f.ci_lav is not None and f.ci_hoej is not None
                        else None
                    ),
                    "label": f"{f.aar}: {fmt.pct(f.omgoerelsesprocent)} af "
                    f"{fmt.cases(f.realitetsbehandlede)}",
                }
            )
        n = national[i]
        nat.append(
            (x, _y(n.omgoerelsesprocent)) if n and n.omgoerelsesprocent is not None else None
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "grid": [{"y": _y(v), "label": f"{v}\u00a0%"} for v in (0, 25, 50, 75, 100)],
        "years": [{"x": _x(i, count), "label": str(f.aar)} for i, f in enumerate(figures)],
        "own": _line(own),
        "national": _line(nat),
        "points": points,
        "bottom": HEIGHT - BOTTOM,
    }


# --- the funnel plot of a year and area -----------------------------------------------------

F_WIDTH, F_HEIGHT = 620.0, 300.0
F_LEFT, F_RIGHT, F_TOP, F_BOTTOM = 46.0, 16.0, 12.0, 40.0


def _nice_max(n: int) -> int:
    """The x axis' end: the largest municipality's cases, rounded up to a readable tick."""
    for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if n <= step * 5:
            return max(step, -(-n // step) * step)
    return -(-n // 10000) * 10000


def funnel_chart(points: list[dict[str, Any]], national_rate: float) -> dict[str, Any]:
    """Coordinates of a funnel plot: each municipality's rate (y) against its number of
    realitetsbehandlede cases (x), the national rate, and the 95 % and 99.8 % limits of a
    municipality of each size if it were like the country (domain.comparison).
    ``points``: dicts with 'n', 'rate' (and whatever the template shows) for n >= 1."""
    from danmarkskort.domain.comparison import LEVELS, funnel_at

    xmax = _nice_max(max((p["n"] for p in points), default=10))
    inner_w = F_WIDTH - F_LEFT - F_RIGHT
    inner_h = F_HEIGHT - F_TOP - F_BOTTOM

    def x(n: float) -> float:
        # A square-root scale: most municipalities have under a hundred cases, and a linear
        # axis would pile them against the left edge beside the few large ones.
        return F_LEFT + inner_w * math.sqrt(n / xmax)

    def y(rate: float) -> float:
        return F_TOP + inner_h * (1 - rate / 100.0)

    # Dense where the funnel bends (small n), sparser further out.
    ns = sorted({max(2, round(2 * (xmax / 2) ** (i / 80))) for i in range(81)})
    curves: dict[str, list[str]] = {}
    for i, level in enumerate(LEVELS):
        low, high = [], []
        for n in ns:
            lim = funnel_at(n, national_rate, LEVELS)[i]
            low.append(f"{x(n):.1f} {y(lim.low):.1f}")
            high.append(f"{x(n):.1f} {y(lim.high):.1f}")
        curves[f"{level:.3f}"] = ["M" + " L".join(low), "M" + " L".join(high)]
    ticks = [v for v in (0, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000) if v < xmax * 0.8]
    return {
        "width": F_WIDTH,
        "height": F_HEIGHT,
        "left": F_LEFT,
        "right": F_WIDTH - F_RIGHT,
        "top": F_TOP,
        "bottom": F_HEIGHT - F_BOTTOM,
        "national_y": y(national_rate),
        "limits95": curves[f"{LEVELS[0]:.3f}"],
        "limits998": curves[f"{LEVELS[1]:.3f}"],
        "xticks": [{"x": x(v), "label": fmt.number(v)} for v in (*ticks, xmax)],
        "yticks": [{"y": y(v), "label": f"{v}\u00a0%"} for v in (0, 25, 50, 75, 100)],
        "points": [{**p, "cx": x(p["n"]), "cy": y(p["rate"])} for p in points],
    }
