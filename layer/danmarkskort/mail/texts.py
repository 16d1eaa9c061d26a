"""The mail's words: mail.json (bundled default, overridable in the data bucket's config/).

Legal text lives in data because the law changes (§ 79 b, stk. 2-3 may lapse on 1 January
2026); code only decides where each text goes and fills in its placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import MailFile
from danmarkskort.config.sources import ConfigSource
from danmarkskort.text import long_date

NBSP = "\u00a0"
# '§ 79 b', 'stk. 2', '1. januar': keep them on one line when the text is wrapped.
_NO_BREAK = re.compile(
    r"(§§?|stk\.|nr\.|\b\d{1,2}\.) "
    r"(?=\d|januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)"
)


def no_break(text: str) -> str:
    """Non-breaking spaces inside legal references and dates."""
    return _NO_BREAK.sub(lambda m: m.group(1) + NBSP, text)


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

    def action_plan(self, newest_year: int, kommune: str) -> str:
        """The handlingsplan text, or '' once the configured last publication year has passed."""
        last = self.handlingsplan_sidste_aar
        if not self.handlingsplan or (last is not None and newest_year + 1 > last):
            return ""
        return self.fill("handlingsplan", newest_year, kommune)


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
    )
