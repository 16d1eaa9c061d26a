"""The small trend chart on a municipality page, as coordinates for the SVG template."""

from __future__ import annotations

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
