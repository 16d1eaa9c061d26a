"""The three map areas and which provisions count in them, from the year-versioned data file
config/areas.json (the ministry's lists are not fixed in law, so they are data, not code).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import AreasFile
from danmarkskort.config.sources import ConfigSource, layered
from danmarkskort.domain.provisions import parse_paragraph


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


def parse_mapping(data: bytes) -> Mapping:
    """areas.json's bytes as a Mapping; ConfigError names the file, the entry and the field."""
    return _mapping(parse(data, AreasFile))


def _mapping(doc: AreasFile) -> Mapping:
    areas = tuple(Area(a.slug, a.navn, a.kort or a.navn, a.beskrivelse) for a in doc.areas)
    laws = tuple(
        Law(
            slug=law.slug,
            navn=law.navn,
            forkortelse=law.forkortelse,
            aliases=tuple(" ".join(x.lower().split()) for x in law.aliases),
            gyldig_fra=law.gyldig_fra or 0,
            gyldig_til=law.gyldig_til,
        )
        for law in doc.laws
    )
    rules = tuple(
        _Rule(
            m.omraade,
            m.lov,
            m.gyldig_fra,
            m.gyldig_til,
            None
            if m.bestemmelser is None
            else frozenset(s for item in m.bestemmelser for s in parse_paragraph(f"§ {item}")),
        )
        for m in doc.mappings
    )
    return Mapping(areas, laws, rules)


@cache
def default_mapping() -> Mapping:
    """The bundled mapping (labels for pages and mails when no config overrides it)."""
    return load_mapping(layered())


def load_mapping(source: ConfigSource) -> Mapping:
    """areas.json from the source (it must have one: the bundled default stands last)."""
    return _mapping(load(source, AreasFile))
