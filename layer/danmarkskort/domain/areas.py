"""The three map areas and which provisions count in them, from the year-versioned data file
config/areas.json (the ministry's lists are not fixed in law, so they are data, not code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from danmarkskort.config.sources import ConfigError, ConfigSource, layered, require
from danmarkskort.domain.provisions import parse_paragraph

AREAS_FILE = "areas.json"


@dataclass(frozen=True, slots=True)
class Area:
    slug: str
    navn: str
    kort: str
    beskrivelse: str


@dataclass(frozen=True, slots=True)
class Law:
    slug: str
    navn: str
    forkortelse: str
    aliases: tuple[str, ...]
    gyldig_fra: int
    gyldig_til: int | None


@dataclass(frozen=True, slots=True)
class _Rule:
    omraade: str
    lov: str
    gyldig_fra: int
    gyldig_til: int | None
    bestemmelser: frozenset[str] | None  # None: every provision of the law

    def applies(self, lov: str, aar: int, sections: tuple[str, ...]) -> bool:
        if lov != self.lov or aar < self.gyldig_fra:
            return False
        if self.gyldig_til is not None and aar > self.gyldig_til:
            return False
        return self.bestemmelser is None or any(s in self.bestemmelser for s in sections)


@dataclass(frozen=True, slots=True)
class Mapping:
    """What a (law, provision, year) counts towards; the outcome for unknowns is a warning."""

    areas: tuple[Area, ...]
    laws: tuple[Law, ...]
    rules: tuple[_Rule, ...]

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(a.slug for a in self.areas)

    def area(self, slug: str) -> Area:
        for a in self.areas:
            if a.slug == slug:
                return a
        raise KeyError(slug)

    def law_for(self, label: object) -> Law | None:
        key = " ".join(str(label or "").lower().replace("(", " ").replace(")", " ").split())
        for law in self.laws:
            if key in law.aliases or key == law.slug:
                return law
        return None

    def areas_for(self, lov: str, paragraf: object, aar: int) -> tuple[str, ...]:
        """Area slugs the provision counts in, in the file's order; () when none applies."""
        sections = parse_paragraph(paragraf)
        return tuple(dict.fromkeys(r.omraade for r in self.rules if r.applies(lov, aar, sections)))


def parse_mapping(data: bytes, source: str = AREAS_FILE) -> Mapping:
    """Parse and check areas.json; errors name the file, the entry and the field."""
    where = source
    try:
        doc = json.loads(data)
        areas_list, laws_list = doc["areas"], doc["laws"]
        areas = []
        for i, a in enumerate(areas_list):
            where = f"{source}: areas[{i}]"
            areas.append(
                Area(a["slug"], a["navn"], a.get("kort", a["navn"]), a.get("beskrivelse", ""))
            )
        laws = []
        for i, law in enumerate(laws_list):
            where = f"{source}: laws[{i}]"
            laws.append(
                Law(
                    slug=law["slug"],
                    navn=law["navn"],
                    forkortelse=law.get("forkortelse", ""),
                    aliases=tuple(" ".join(x.lower().split()) for x in law.get("aliases", [])),
                    gyldig_fra=int(law.get("gyldig_fra") or 0),
                    gyldig_til=None if law.get("gyldig_til") is None else int(law["gyldig_til"]),
                )
            )
    except KeyError as exc:
        raise ConfigError(f"{where}: field {exc} is missing") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid areas/laws: {exc!r}") from exc
    area_slugs = {a.slug for a in areas}
    law_slugs = {law.slug for law in laws}
    rules = []
    for i, entry in enumerate(doc.get("mappings", [])):
        where = f"{source}: mappings[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        if entry.get("omraade") not in area_slugs:
            raise ConfigError(f"{where}: field 'omraade' = {entry.get('omraade')!r} is no area")
        if entry.get("lov") not in law_slugs:
            raise ConfigError(f"{where}: field 'lov' = {entry.get('lov')!r} is no law")
        try:
            fra = int(entry["gyldig_fra"])
            til = None if entry.get("gyldig_til") is None else int(entry["gyldig_til"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: field 'gyldig_fra'/'gyldig_til' must be years") from exc
        raw = entry.get("bestemmelser")
        if raw == "*":
            sections = None
        elif isinstance(raw, list) and raw:
            parsed = [parse_paragraph(f"§ {item}") for item in raw]
            bad = [item for item, found in zip(raw, parsed, strict=True) if not found]
            if bad:
                # Dropped silently, its cases would count in no area.
                raise ConfigError(
                    f"{where}: field 'bestemmelser' has {bad[0]!r}, not a section number"
                )
            sections = frozenset(s for found in parsed for s in found)
        else:
            raise ConfigError(f"{where}: field 'bestemmelser' must be '*' or a list of sections")
        rules.append(_Rule(entry["omraade"], entry["lov"], fra, til, sections))
    return Mapping(tuple(areas), tuple(laws), tuple(rules))


@cache
def default_mapping() -> Mapping:
    """The bundled mapping (labels for pages and mails when no config overrides it)."""
    return load_mapping(layered())


def load_mapping(source: ConfigSource) -> Mapping:
    return parse_mapping(require(source, AREAS_FILE))
