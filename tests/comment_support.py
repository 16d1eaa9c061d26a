"""Test helper for the comment function: a consultation round's documents built with the
models of hoering/round.py (render_site writes them in production), an in-memory blob
store, and the key and links of the round."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from danmarkskort.hoering.round import AreaFigures, CurrentRound, Round, RoundMunicipality
from danmarkskort.hoering.tokens import sign

from tests.figures_support import figure

KEY = b"k" * 48
OTHER_KEY = b"o" * 48
ROUND_ID = "0123456789abcdef"
OLD_ROUND_ID = "fedcba9876543210"
OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FRIST = datetime(2026, 12, 15, 11, 0, tzinfo=UTC)  # 12.00 Danish time
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
AREAS = (("boernehandicap", "Børnehandicap"), ("voksenhandicap", "Voksenhandicap"))
MUNICIPALITIES = {"155": "Dragør Kommune", "101": "Københavns Kommune"}


def make_round(round_id: str = ROUND_ID, frist: datetime = FRIST, max_tegn: int = 1000) -> Round:
    munis = {}
    for code, navn in MUNICIPALITIES.items():
        areas = []
        for i, (slug, area_navn) in enumerate(AREAS):
            if code == "155" and slug == "voksenhandicap":
                f = figure(2024, slug, code, navn, 5, 2, 1, 1, threshold=20)  # few cases
            else:
                f = figure(2024, slug, code, navn, 300 + i, 90, 10, 7, threshold=20)
            national = figure(2024, slug, "000", "Hele landet", 9000, 2500, 500, 300, 20)
            areas.append(
                AreaFigures(
                    omraade=slug, navn=area_navn, figure=asdict(f), national=asdict(national)
                )
            )
        munis[code] = RoundMunicipality(kommunekode=code, navn=navn, areas=tuple(areas))
    return Round(
        round_id=round_id,
        extract_id="ab" * 32,
        extract_file="udtraek.csv",
        aar=2024,
        years=(2023, 2024),
        opened=OPENED,
        frist=frist,
        max_tegn=max_tegn,
        municipalities=munis,
    )


def make_current(
    round_id: str = ROUND_ID, status: str = "open", frist: datetime = FRIST
) -> CurrentRound:
    return CurrentRound.model_validate(
        {"round_id": round_id, "status": status, "frist": frist, "changed": OPENED}
    )


def token(
    code: str = "155", round_id: str = ROUND_ID, key: bytes = KEY, expires: datetime = FRIST
) -> str:
    return sign(key, round_id, code, expires)


class MemoryBlobs:
    """ports.BlobStore in a dict (what RoundStore needs of it)."""

    name = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def get_or_none(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def size(self, key: str) -> int:
        return len(self.objects[key])

    def sha256(self, key: str) -> str:
        return hashlib.sha256(self.objects[key]).hexdigest()

    def exists(self, key: str) -> bool:
        return key in self.objects

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def resolve_key(self, key: str) -> str:
        return key

    def put(self, key, body, *, content_type=None, cache_control=None, metadata=None) -> str:
        self.objects[key] = body.encode() if isinstance(body, str) else body
        return key

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def create(self, key, body, *, content_type=None) -> bool:
        if key in self.objects:
            return False
        self.put(key, body)
        return True

    def copy_in(self, source_key, target_key, metadata, *, content_type=None) -> str:
        self.objects[target_key] = self.objects[source_key]
        return target_key


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)
