"""The events between the functions (design §6, a contract): names and detail shapes."""

from __future__ import annotations

from typing import Any

SOURCE = "danmarkskort"
RATES_COMPUTED = "RatesComputed"
EXTRACT_REJECTED = "ExtractRejected"
SITE_PUBLISHED = "SitePublished"
MUNICIPALITY_NOTIFIED = "MunicipalityNotified"


class EventError(ValueError):
    """An event that does not carry what its detail type promises."""


def require(detail: dict[str, Any], *keys: str, detail_type: str = "event") -> None:
    """Fail with a message naming the event and the missing keys, never a KeyError later."""
    missing = [k for k in keys if k not in detail or detail[k] in (None, "")]
    if missing:
        raise EventError(f"{detail_type} detail lacks {', '.join(missing)}: {detail!r}"[:500])
