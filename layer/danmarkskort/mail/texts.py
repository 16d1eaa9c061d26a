"""The mail's words: mail.json (bundled default, overridable in the data bucket's config/).

Legal text lives in data because the law changes (§ 79 b, stk. 2-3 may lapse on 1 January
2026); code only decides where each text goes and fills in its placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import ContactEntry, MailFile
from danmarkskort.config.sources import ConfigSource
from danmarkskort.text import NBSP, danish_time, long_date, no_break


@dataclass(frozen=True)
class MailTexts:
    afsender_navn: str
    emne: str
    hilsen: str
    indledning: str
    pligt_79b: str
    handlingsplan: str
    laesevejledning: str
    afslutning: str
    automatisk: str
    handlingsplan_sidste_aar: int | None
    frist: date | None  # None: 31 December of the publication year
    rettelse_emne: str = ""
    rettelse_indledning: str = ""
    rettelse_tidligere: str = ""
    kontakt: ContactEntry | None = None
    spoergsmaal: str = ""  # said instead of the contact when there is none
    sagsnummer: str = ""
    hoering_emne: str = ""
    hoering_indledning: str = ""
    hoering_frist: str = ""
    hoering_link: str = ""

    def deadline(self, newest_year: int) -> date:
        """The council's deadline: the end of the year the map is published (§ 79 b, stk. 1)."""
        return self.frist or date(newest_year + 1, 12, 31)

    def values(self, newest_year: int, kommune: str) -> dict[str, str]:
        return {
            "aar": str(newest_year),
            "kommune": kommune,
            "frist": long_date(self.deadline(newest_year)),
            "offentliggoerelsesaar": str(newest_year + 1),
        }

    def fill(self, field: str, newest_year: int, kommune: str) -> str:
        return no_break(getattr(self, field).format_map(self.values(newest_year, kommune)))

    def fill_invitation(
        self, field: str, newest_year: int, kommune: str, kommentarfrist: str
    ) -> str:
        """A consultation round's text: the mail's placeholders and {kommentarfrist}."""
        values = self.values(newest_year, kommune) | {"kommentarfrist": kommentarfrist}
        return no_break(getattr(self, field).format_map(values))

    def action_plan(self, newest_year: int, kommune: str) -> str:
        """The handlingsplan text, or '' once the configured last publication year has passed."""
        last = self.handlingsplan_sidste_aar
        if not self.handlingsplan or (last is not None and newest_year + 1 > last):
            return ""
        return self.fill("handlingsplan", newest_year, kommune)

    def questions(self, newest_year: int, kommune: str) -> str:
        """Whom to ask about the figures: the configured contact, else 'spoergsmaal'."""
        if self.kontakt is None:
            return self.fill("spoergsmaal", newest_year, kommune)
        return no_break(contact_sentence(self.kontakt))

    def legal_text(self, newest_year: int) -> LegalText:
        """Whether the § 79 b, stk. 2 text goes into the mails of this publication, and which
        setting decided it: a change of law must never pass unnoticed."""
        return LegalText(
            included=bool(self.action_plan(newest_year, "")),
            configured=bool(self.handlingsplan),
            last_publication_year=self.handlingsplan_sidste_aar,
            publication_year=newest_year + 1,
        )


LAST_YEAR_SETTING = "mail.json handlingsplan_sidste_offentliggoerelsesaar"


@dataclass(frozen=True)
class LegalText:
    """The § 79 b, stk. 2 (handlingsplan) text of one publication's mails."""

    included: bool
    configured: bool  # False: mail.json has no 'handlingsplan' text at all
    last_publication_year: int | None
    publication_year: int

    def warning(self) -> str:
        """One English line for logs and summaries; '' when the text is included."""
        if self.included:
            return ""
        if not self.configured:
            why = "mail.json has no 'handlingsplan' text"
        else:
            why = (
                f"{LAST_YEAR_SETTING} = {self.last_publication_year}; "
                f"publication year {self.publication_year}"
            )
        return (
            f"Mails leave out the § 79 b, stk. 2 text ({why}): the ministry must confirm the law."
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "handlingsplan_included": self.included,
            "setting": LAST_YEAR_SETTING,
            "last_publication_year": self.last_publication_year,
            "publication_year": self.publication_year,
        }
        if not self.included:
            out["warning"] = self.warning()
        return out


def comment_deadline(moment: datetime) -> str:
    """'15. december 2026 kl. 23.59': the round's deadline in Danish time, as said in the
    invitation and on the comment page."""
    local = danish_time(moment)
    return f"{long_date(local)} kl. {local:%H.%M}"


def contact_sentence(kontakt: ContactEntry) -> str:
    """'Spørgsmål til tallene kan stilles til Kontoret for X, Social- og Boligministeriet,
    Holmens Kanal 22, 1060 København K, tlf. 33 92 93 00, e-mail x@sm.dk.' (only the fields
    given)."""
    parts = [p for p in (kontakt.navn, kontakt.enhed, kontakt.adresse) if p]
    if kontakt.telefon:
        parts.append(f"tlf.{NBSP}{kontakt.telefon.replace(' ', NBSP)}")  # never wrapped apart
    if kontakt.email:
        parts.append(f"e-mail {kontakt.email}")
    return "Spørgsmål til tallene kan stilles til " + ", ".join(parts) + "."


def parse_mail_texts(data: bytes) -> MailTexts:
    """mail.json's bytes as MailTexts: every text and placeholder is checked now, so a typo
    fails the run before any mail is sent."""
    return _texts(parse(data, MailFile))


def load_mail_texts(source: ConfigSource) -> MailTexts:
    """mail.json from the source (the bundled default stands last)."""
    return _texts(load(source, MailFile))


def _texts(doc: MailFile) -> MailTexts:
    return MailTexts(
        afsender_navn=doc.afsender_navn,
        emne=doc.emne,
        hilsen=doc.hilsen,
        indledning=doc.indledning,
        pligt_79b=doc.pligt_79b,
        handlingsplan=doc.handlingsplan or "",
        laesevejledning=doc.laesevejledning,
        afslutning=doc.afslutning,
        automatisk=doc.automatisk or "",
        handlingsplan_sidste_aar=doc.handlingsplan_sidste_offentliggoerelsesaar,
        frist=doc.frist,
        rettelse_emne=doc.rettelse_emne,
        rettelse_indledning=doc.rettelse_indledning,
        rettelse_tidligere=doc.rettelse_tidligere,
        kontakt=doc.kontakt,
        spoergsmaal=doc.spoergsmaal,
        sagsnummer=doc.sagsnummer or "",
        hoering_emne=doc.hoering_emne,
        hoering_indledning=doc.hoering_indledning,
        hoering_frist=doc.hoering_frist,
        hoering_link=doc.hoering_link,
    )
