"""A clock the tests move by hand (ports.Clock): sleeping advances it instead of waiting."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class FakeClock:
    start: float = field(default_factory=time.time)
    offset: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.start + self.offset

    def monotonic(self) -> float:
        return self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.start, UTC) + timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += max(0.0, seconds)
