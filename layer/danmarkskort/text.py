"""Numbers and dates as Danish readers expect them (decimal comma, "19 %", "1. januar 2007"),
and the one rule by which every rate, interval and change is shown.

One number everywhere: the site, the map snippets, the mails and their attachments all show a
figure through ``shown_percent`` and ``shown_change`` (or ``shown_figure``, which applies both
to a record), so an agenda paper quoting the mail matches the public map and the press. The
open data keep the unrounded values next to the shown ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from danmarkskort.domain.municipalities import NATIONAL_NAME

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
EN_DASH = "\u2013"
# '§ 79 b', 'stk. 2', '1. januar': keep them on one line when the text is wrapped.
_NO_BREAK = re.compile(
    r"(§§?|stk\.|nr\.|\b\d{1,2}\.) "
    r"(?=\d|januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)"
)


def no_break(text: str) -> str:
    """Non-breaking spaces inside legal references and dates (mails and the council PDF)."""
    return _NO_BREAK.sub(lambda m: m.group(1) + NBSP, text)


def round_half_up(value: float, decimals: int) -> Decimal:
    """Half up on the shown digit (12.25 → 12.3), never Python's banker's rounding."""
    return _round_half_up(repr(value), decimals)


@lru_cache(maxsize=65536)
def _round_half_up(written: str, decimals: int) -> Decimal:
    """Cached by the value as written (so -0.0 and 0.0, 1 and 1.0 stay apart): a site shows
    each rate and bound on several pages, 100,000 calls for 5 years, a few thousand values."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(written).quantize(quantum, rounding=ROUND_HALF_UP)


# --- the one rounding rule -------------------------------------------------------------------


def shown_percent(value: float | None) -> int | None:
    """A percentage as every reader sees it: a whole percent, rounded half up (18,5 → 19).

    The rule of Ankestyrelsen's own publications (24 / 129 = 18,6 % is published as "19 %"),
    used for rates, the shares of the split and the bounds of the 95 % interval alike. A
    decimal would claim a precision a rate of a few hundred cases does not have, and two
    precisions side by side (38,5 % in the mail, 38 % on the map) read as two different
    figures. Rounding is monotone, so the shown interval always contains the shown rate.
    """
    return None if value is None else int(round_half_up(value, 0))


def shown_change(rate: float | None, previous: float | None) -> int | None:
    """The change from last year as shown: the difference of the two *shown* rates.

    Not the rounded difference: a reader who sees 39 % this year and 21 % last year checks
    the change by subtracting, and must get the +18 we print. The rounded difference of
    38,5 and 21,4 would say +17 and look like an error in every local news story and
    council paper. The price is that the shown change may be off from the unrounded one
    by up to one point (38,49 → 38,51 shows as 38 % → 39 %, +1); the open data carry the
    unrounded change beside the shown one.
    """
    now, before = shown_percent(rate), shown_percent(previous)
    return None if now is None or before is None else now - before


class RateFigure(Protocol):
    """What shown_figure reads of a figure (domain.figures.Figure has it)."""

    @property
    def omgoerelsesprocent(self) -> float | None: ...
    @property
    def ci_lav(self) -> float | None: ...
    @property
    def ci_hoej(self) -> float | None: ...
    @property
    def aendring_pp(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class ShownFigure:
    """A figure's percentages as shown everywhere (whole numbers; None when there is none)."""

    rate: int | None
    ci_lav: int | None
    ci_hoej: int | None
    change: int | None  # percentage points, the difference of the shown rates


def shown_figure(f: RateFigure, previous: RateFigure | None) -> ShownFigure:
    """``f`` as shown; ``previous`` is the same municipality and area the year before.

    The change is shown only where the figures have one (``aendring_pp``: both years have
    cases). Without the previous record at hand, its rate is recovered from
    ``aendring_pp`` (rounded to 9 decimals, so float noise cannot flip a half)."""
    change = None
    if f.aendring_pp is not None and f.omgoerelsesprocent is not None:
        if previous is not None and previous.omgoerelsesprocent is not None:
            before = previous.omgoerelsesprocent
        else:
            before = round(f.omgoerelsesprocent - f.aendring_pp, 9)
        change = shown_change(f.omgoerelsesprocent, before)
    return ShownFigure(
        rate=shown_percent(f.omgoerelsesprocent),
        ci_lav=shown_percent(f.ci_lav),
        ci_hoej=shown_percent(f.ci_hoej),
        change=change,
    )


# --- formatting ----------------------------------------------------------------------------


def number(value: float | int, decimals: int = 0) -> str:
    """1234.5 → '1.234,5'; thousands with '.', decimals with ','; a real minus sign."""
    if type(value) is int and decimals == 0:  # counts: no rounding to do
        return (MINUS if value < 0 else "") + f"{abs(value):,}".replace(",", ".")
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


def pct_number(value: float | None, empty: str = "–") -> str:
    """The shown percentage without its sign, for map tiles: 18.6 → '19'; None → '–'."""
    shown = shown_percent(value)
    return empty if shown is None else number(shown)


def pct(value: float | None, empty: str = "–") -> str:
    """The shown percentage with a non-breaking space before '%': 18.6 → '19 %'."""
    shown = shown_percent(value)
    return empty if shown is None else f"{number(shown)}{NBSP}%"


def pct_range(low: float | None, high: float | None, empty: str = "–") -> str:
    """An interval by the same rule as its rate: (31.2, 46.5) → '31–47 %'."""
    lo, hi = shown_percent(low), shown_percent(high)
    if lo is None or hi is None:
        return empty
    return f"{number(lo)}{EN_DASH}{number(hi)}{NBSP}%"


def pp(change: int | None, empty: str = "–") -> str:
    """A shown change (shown_change) with its sign: '+4 procentpoint', '−2 procentpoint'."""
    return _change(change, empty, unit="procentpoint", zero="0")


def pp_short(change: int | None, empty: str = "–") -> str:
    """Compact shown change for tables and tooltips: '+4 pp', '±0 pp'."""
    return _change(change, empty, unit="pp", zero="±0")


def _change(change: int | None, empty: str, *, unit: str, zero: str) -> str:
    if change is None:
        return empty
    if isinstance(change, bool) or not isinstance(change, int):
        # A raw difference would be rounded by another rule than the rates beside it.
        raise TypeError(f"a change is shown from shown_change(), not from {change!r}")
    if change == 0:
        return f"{zero}{NBSP}{unit}"
    return f"{'+' if change > 0 else ''}{number(change)}{NBSP}{unit}"


class NamedFigure(Protocol):
    """What national_name reads of a figure."""

    @property
    def kommune(self) -> str: ...


def national_name(f: NamedFigure | None) -> str:
    """The national figure's own label: 'Hele landet' for a complete extract, e.g. 'De 12
    kommuner i udtrækket' for a deliberately partial one (compute names it in ``kommune``)."""
    return f.kommune if f is not None and f.kommune.strip() else NATIONAL_NAME


def lower_first(text: str) -> str:
    """'Hele landet' → 'hele landet', for a label inside a sentence."""
    return text[:1].lower() + text[1:]


@cache
def _danish_zone() -> ZoneInfo:
    return ZoneInfo("Europe/Copenhagen")


def danish_time(moment: datetime) -> datetime:
    """The moment in Danish time (CET/CEST); a naive moment is taken to be UTC, as S3's are.

    Every date a Danish reader sees is a Danish date: an extract received at 23:30 UTC on
    31 December was received on 1 January."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_danish_zone())


def long_date(value: date | datetime | str) -> str:
    """date(2007, 1, 1) → '1. januar 2007' (ISO strings accepted); a moment with a time
    zone is shown as its Danish date."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = danish_time(value)
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
