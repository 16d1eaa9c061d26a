"""Configuration for tests that judge small, hand-written extracts.

The bundled udtraek.json rejects a year in which fewer than 90 municipalities have a case
(a partial delivery). Tests of the reader and the figures use extracts of a few
municipalities on purpose; they say so by evaluating under `SMALL_EXTRACTS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from danmarkskort.config.sources import Layered, layered


@dataclass(frozen=True)
class MemorySource:
    """Config files held in memory: {file name: bytes}."""

    files: dict[str, bytes] = field(default_factory=dict)

    def read(self, name: str) -> bytes | None:
        return self.files.get(name)


def with_files(**files: object) -> Layered:
    """The bundled config with some files replaced: with_files(udtraek={"min_kommuner": 1})."""
    return layered(
        MemorySource({f"{name}.json": json.dumps(doc).encode() for name, doc in files.items()})
    )


SMALL_EXTRACTS = with_files(udtraek={"min_kommuner": 1})


def small_config_dir(root: Path) -> Path:
    """A config directory for the CLI's --config that lets small extracts through."""
    directory = root / "config-small-extracts"
    directory.mkdir(exist_ok=True)
    (directory / "udtraek.json").write_text('{"min_kommuner": 1}\n', encoding="utf-8")
    return directory
