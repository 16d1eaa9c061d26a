"""The three map areas and which provisions count in them, from the year-versioned data file
config/areas.json (the ministry's lists are not fixed in law, so they are data, not code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


_MEMO_ENTRIES = 100_000  # bounds the memo of a hostile extract's distinct labels
_MEMO_CHARS = 200


@dataclass(frozen=True, slots=True)
class Mapping:
    """What a (law, provision, year) counts towards; the outcome for unknowns is a warning."""

    areas: tuple[Area, ...]
    laws: tuple[Law, ...]
    rules: tuple[_Rule, ...]
    # areas_for per (law, provision, year): asked once per provision and year by validation
    # and by the rate computation. The mapping is immutable, so the answers never change.
    _memo: dict[tuple[str, str, int], tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

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
        cached = isinstance(paragraf, str) and len(paragraf) <= _MEMO_CHARS
        if cached and (hit := self._memo.get((lov, str(paragraf), aar))) is not None:
            return hit
        sections = parse_paragraph(paragraf)
        found = tuple(dict.fromkeys(r.omraade for r in self.rules if r.applies(lov, aar, sections)))
        if cached:
            if len(self._memo) >= _MEMO_ENTRIES:
                self._memo.clear()
            self._memo[(lov, str(paragraf), aar)] = found
        return found


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
