"""Numbers and dates as Danish readers expect them (decimal comma, "19 %", "1. januar 2007").

Rounding follows Ankestyrelsen's publications: half up on the shown digit (18,6 % → "19 %"),
never Python's banker's rounding.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
NBSP = "\u00a0"
MINUS = "\u2212"


def round_half_up(value: float, decimals: int) -> Decimal:
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def number(value: float | int, decimals: int = 0) -> str:
    """1234.5 → '1.234,5'; thousands with '.', decimals with ','; a real minus sign."""
    d = round_half_up(float(value), decimals)
    sign = MINUS if d < 0 else ""
    whole, _, frac = f"{abs(d):.{decimals}f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return sign + (f"{text},{frac}" if frac else text)


def pct(value: float | None, decimals: int = 0, empty: str = "–") -> str:
    """A percentage with a non-breaking space before '%': 18.6 → '19 %'; None → '–'."""
    if value is None:
        return empty
    return f"{number(value, decimals)}{NBSP}%"


def pp(value: float | None, decimals: int = 0, empty: str = "–") -> str:
    """A change in percentage points with its sign: '+4 procentpoint', '−2,5 procentpoint'."""
    return _change(value, decimals, empty, unit="procentpoint", zero="0")


def pp_short(value: float | None, decimals: int = 0, empty: str = "–") -> str:
    """Compact change for tables and tooltips: '+4 pp'."""
    return _change(value, decimals, empty, unit="pp", zero="±0")


def _change(value: float | None, decimals: int, empty: str, *, unit: str, zero: str) -> str:
    if value is None:
        return empty
    shown = round_half_up(value, decimals)
    if shown == 0:
        return f"{zero}{NBSP}{unit}"
    sign = "+" if shown > 0 else ""
    return f"{sign}{number(value, decimals)}{NBSP}{unit}"


def long_date(value: date | datetime | str) -> str:
    """date(2007, 1, 1) → '1. januar 2007' (ISO strings accepted)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def join_and(items: list[str] | tuple[str, ...]) -> str:
    """['a', 'b', 'c'] → 'a, b og c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def year_span(years: list[int] | tuple[int, ...]) -> str:
    """[2024] → '2024', [2022, 2023, 2024] → '2022–2024', [2022, 2024] → '2022 og 2024'."""
    years = sorted(years)
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}\u2013{years[-1]}"
    return join_and([str(a) for a in years])


def cases(n: int) -> str:
    """'1 sag', '12 sager', '1.204 sager'."""
    return f"{number(n)} {'sag' if n == 1 else 'sager'}"
