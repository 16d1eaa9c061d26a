"""Who publishes the site and how readers reach them, and the accessibility statement, from
config/udgiver.json: every page names them (webtilgængelighedsloven asks a public-sector
site for a statement, linked from every page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import ContactEntry, UdgiverFile
from danmarkskort.config.sources import ConfigSource, layered

STATEMENT_PAGE = "tilgaengelighed.html"


@dataclass(frozen=True, slots=True)
class Contact:
    navn: str = ""
    enhed: str = ""
    email: str = ""
    telefon: str = ""
    adresse: str = ""

    @property
    def who(self) -> str:
        """'Kontoret for X, Social- og Boligministeriet', or whichever of the two is given."""
        return ", ".join(p for p in (self.navn, self.enhed) if p)

    @classmethod
    def of(cls, entry: ContactEntry) -> Contact:
        return cls(
            navn=entry.navn or "",
            enhed=entry.enhed or "",
            email=entry.email or "",
            telefon=entry.telefon or "",
            adresse=entry.adresse or "",
        )


@dataclass(frozen=True, slots=True)
class Publisher:
    name: str
    url: str  # '' = none given
    contact: Contact
    statement_url: str  # the statement elsewhere (was.digst.dk), or ''
    statement_paragraphs: tuple[str, ...]  # the statement's text, published as a page
    statement_updated: date | None

    @property
    def has_statement_page(self) -> bool:
        return not self.statement_url

    def statement_href(self, base: str) -> str:
        """Where the footer links: the external statement, or this site's own page."""
        return self.statement_url or f"{base}{STATEMENT_PAGE}"


def _publisher(doc: UdgiverFile) -> Publisher:
    statement = doc.tilgaengelighedserklaering
    paragraphs = tuple(
        " ".join(p.split()) for p in (statement.tekst or "").split("\n\n") if p.strip()
    )
    return Publisher(
        name=doc.udgiver.navn,
        url=doc.udgiver.url or "",
        contact=Contact.of(doc.kontakt),
        statement_url=statement.url or "",
        statement_paragraphs=paragraphs,
        statement_updated=statement.opdateret,
    )


def load_publisher(source: ConfigSource) -> Publisher:
    """udgiver.json from the source (the bundled default stands last)."""
    return _publisher(load(source, UdgiverFile))


def parse_publisher(data: bytes) -> Publisher:
    """udgiver.json's bytes as a Publisher; ConfigError names the file and the field."""
    return _publisher(parse(data, UdgiverFile))


def bundled_publisher() -> Publisher:
    return load_publisher(layered())
