"""Where configuration files come from: the data bucket's config/ prefix, a local directory,
or the defaults bundled in the package. The parsers of each file live with their domain
(areas, remarks, recipients); this module only finds the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

CONFIG_PREFIX = "config/"
BUNDLED = resources.files("danmarkskort.config").joinpath("defaults")


class ConfigError(ValueError):
    """A config file is invalid; the message names the file, the entry and the field."""


class ConfigSource(Protocol):
    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when this source does not have it."""


@dataclass(frozen=True)
class DirSource:
    root: Path

    def read(self, name: str) -> bytes | None:
        path = Path(self.root) / name
        return path.read_bytes() if path.is_file() else None


class BundledSource:
    def read(self, name: str) -> bytes | None:
        path = BUNDLED.joinpath(name)
        return path.read_bytes() if path.is_file() else None


@dataclass(frozen=True)
class BucketSource:
    """config/<name> in the data bucket (a ports.BlobStore)."""

    bucket: object

    def read(self, name: str) -> bytes | None:
        return self.bucket.get_or_none(CONFIG_PREFIX + name)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Layered:
    """First source that has a file wins; the bundled defaults stand last."""

    sources: tuple[ConfigSource, ...]

    def read(self, name: str) -> bytes | None:
        for source in self.sources:
            data = source.read(name)
            if data is not None:
                return data
        return None

    def require(self, name: str) -> bytes:
        return require(self, name)


def layered(*sources: ConfigSource) -> Layered:
    return Layered((*sources, BundledSource()))


def require(source: ConfigSource, name: str) -> bytes:
    """The file's bytes; ConfigError naming the file when no source has it."""
    data = source.read(name)
    if data is None:
        raise ConfigError(f"config file {name} was not found in any config source")
    return data
