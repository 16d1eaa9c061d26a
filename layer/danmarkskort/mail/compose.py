"""One Danish mail per municipality: its figures, remarks, links, the council's duty, and the
figures as attachments, as a raw MIME message (stdlib ``email``; multipart/mixed holding a
multipart/alternative text + HTML part and the attachments).

Pure: figures, config and links in, bytes out. Sending and recording are someone else's job.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass, field
from datetime import datetime
from email import encoders
from email.charset import QP, Charset
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from functools import cache
from typing import Any

from danmarkskort import council_pdf
from danmarkskort.config.fields import unsafe_character
from danmarkskort.domain import comparison
from danmarkskort.domain.areas import Mapping
from danmarkskort.domain.beneficiaries import BeneficiaryTable
from danmarkskort.domain.figures import Figure, FiguresDoc
from danmarkskort.domain.municipalities import Municipality, registry
from danmarkskort.domain.record import correction_text
from danmarkskort.domain.remarks import KIND_LABELS, Remark, RemarkBook
from danmarkskort.log import child_logger
from danmarkskort.mail import attachments as att
from danmarkskort.mail.recipients import (
    Recipient,
    RecipientBook,
    address_header,
    check_address,
    check_header_text,
)
from danmarkskort.mail.texts import MailTexts, comment_deadline
from danmarkskort.text import (
    cases,
    join_and,
    long_date,
    national_name,
    no_break,
    number,
    pct,
    pct_range,
    pp,
    year_span,
)

# SES v2 accepts raw messages up to 40 MB, attachments and encoding included.
MAX_RAW_BYTES = 40 * 1024 * 1024


class MailTooLarge(ValueError):
    """The composed message exceeds what SES accepts; it is recorded as failed, never sent."""


@dataclass(frozen=True)
class Links:
    """Absolute URLs: notify's own SITE_URL and the link patterns of the published manifest."""

    site_url: str
    reading_guide: str
    municipality_page: str  # with {kommunekode} and {slug}
    year_page: str = ""  # with {aar}

    def absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.site_url.rstrip("/") + "/" + path.lstrip("/")

    def municipality(self, m: Municipality) -> str:
        path = self.municipality_page.replace("{kommunekode}", m.code).replace("{slug}", m.slug)
        return self.absolute(path)

    def year(self, aar: int) -> str:
        return self.absolute(self.year_page.replace("{aar}", str(aar))) if self.year_page else ""

    def guide(self) -> str:
        return self.absolute(self.reading_guide)


@dataclass(frozen=True)
class Sender:
    """The verified SES identity the mails come from, and an optional Reply-To."""

    address: str
    display_name: str = ""
    reply_to: str = ""

    @classmethod
    def checked(cls, address: str, display_name: str, reply_to: str = "") -> Sender:
        """Refuse malformed or injected values now, naming the environment variable."""
        return cls(
            address=check_address(address, "environment variable SENDER_ADDRESS"),
            display_name=check_header_text(display_name, "mail.json field 'afsender_navn'"),
            reply_to=check_address(reply_to, "environment variable REPLY_TO_ADDRESS")
            if reply_to
            else "",
        )


@dataclass(frozen=True)
class ComposedMail:
    kommunekode: str
    kommune: str
    subject: str
    recipients: tuple[str, ...]  # bare addresses, for SES's Destination
    attachments: tuple[str, ...]  # file names
    raw: bytes  # the whole message without Date (added when it is sent)

    @property
    def size(self) -> int:
        return len(self.raw)

    def with_date(self, when: datetime) -> bytes:
        """The message as sent: Date is the moment of sending, not of composing."""
        return f"Date: {email.utils.format_datetime(when)}\r\n".encode("ascii") + self.raw

    def check_size(self, limit: int = MAX_RAW_BYTES) -> None:
        if self.size > limit:
            raise MailTooLarge(
                f"the mail to {self.kommune} is {self.size:,} bytes; SES accepts at most {limit:,}"
            )


@dataclass(frozen=True)
class NoRecipient:
    """A municipality in the figures that recipients.json gives no address."""

    kommunekode: str
    kommune: str


@dataclass(frozen=True)
class Invitation:
    """A consultation round's invitation instead of the publication mail: the deadline for
    comments and each municipality's personal link to its comment page."""

    round_id: str
    frist: datetime
    links: dict[str, str]  # kommunekode -> the personal link


@dataclass(frozen=True)
class Context:
    """Everything composing needs besides the municipality: loaded once per run."""

    doc: FiguresDoc
    mapping: Mapping
    remarks: RemarkBook
    recipients: RecipientBook
    texts: MailTexts
    sender: Sender
    links: Links
    # A correction: only these municipalities are mailed, each with its changed figures,
    # about the corrected year (render decides it from the record: domain/record.py).
    corrections: dict[str, tuple[CorrectedFigure, ...]] = field(default_factory=dict)
    correction_year: int | None = None
    # A partial year's publication: only these municipalities are mailed (None: all).
    only: frozenset[str] | None = None
    invitation: Invitation | None = None
    # Danmarks Statistik's recipients of benefits (None: absent or rejected, not shown).
    beneficiaries: BeneficiaryTable | None = None
    newest_year: int = field(init=False)
    index: att.FigureIndex = field(init=False, repr=False)
    # The council PDF of each municipality, from what all of them share (built once).
    council: council_pdf.CouncilPdfs = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.doc.figures:
            raise ValueError("the figures hold no records")
        year = self.correction_year or max(f.aar for f in self.doc.figures)
        object.__setattr__(self, "newest_year", year)
        object.__setattr__(self, "index", att.FigureIndex(self.doc))
        pdfs = council_pdf.CouncilPdfs(
            self.doc, self.mapping, self.remarks, self.beneficiaries, self.links.site_url
        )
        object.__setattr__(self, "council", pdfs)


@dataclass(frozen=True)
class CorrectedFigure:
    """One corrected (year, area) of a municipality, as the correction mail names it."""

    aar: int
    omraade: str
    old: Figure
    new: Figure


def municipalities_in(doc: FiguresDoc) -> list[Municipality]:
    """The municipalities the figures cover, in kommunekode order (the country excluded)."""
    reg = registry()
    codes = sorted({f.kommunekode for f in doc.figures if not f.is_national})
    out = []
    for code in codes:
        try:
            out.append(reg.by_code(code))
        except KeyError as exc:
            raise ValueError(f"figures.json has kommunekode {code!r}, not one of the 98") from exc
    return out


def compose_all(ctx: Context) -> list[ComposedMail | NoRecipient]:
    """Every municipality's mail; in a correction, only those whose figures changed."""
    wanted = municipalities_in(ctx.doc)
    if ctx.correction_year is not None:
        wanted = [m for m in wanted if m.code in ctx.corrections]
    if ctx.only is not None:
        wanted = [m for m in wanted if m.code in ctx.only]
    return [compose(ctx, m) for m in wanted]


@dataclass(frozen=True)
class Draft:
    """A municipality's mail before it is MIME-encoded: what mime_message turns into bytes."""

    kommunekode: str
    kommune: str
    subject: str
    sender: Recipient
    to: tuple[Recipient, ...]
    reply_to: Recipient | None
    headers: tuple[tuple[str, str], ...]  # Message-ID and the X-Danmarkskort-* headers
    text: str
    html: str
    files: tuple[att.Attachment, ...]

    @property
    def recipients(self) -> tuple[str, ...]:
        """The bare addresses, for SES's Destination."""
        return tuple(r.address for r in self.to)

    @property
    def people(self) -> list[tuple[str, tuple[Recipient, ...]]]:
        """From, To and (if any) Reply-To, each with its people."""
        out = [("From", (self.sender,)), ("To", self.to)]
        return [*out, ("Reply-To", (self.reply_to,))] if self.reply_to is not None else out


def compose(ctx: Context, m: Municipality) -> ComposedMail | NoRecipient:
    d = draft(ctx, m)
    if isinstance(d, NoRecipient):
        return d
    return ComposedMail(
        kommunekode=d.kommunekode,
        kommune=d.kommune,
        subject=d.subject,
        recipients=d.recipients,
        attachments=tuple(a.filename for a in d.files),
        raw=mime_message(d),
    )


def draft(ctx: Context, m: Municipality) -> Draft | NoRecipient:
    """Everything of the mail but its encoding (bench/notify.py times the two apart)."""
    recipients = ctx.recipients.for_municipality(m.code)
    if not recipients:
        return NoRecipient(m.code, m.full_name)
    y = ctx.newest_year
    if ctx.invitation is not None:
        emne = "hoering_emne"
        said = comment_deadline(ctx.invitation.frist)
        filled = ctx.texts.fill_invitation(emne, y, m.full_name, said)
    else:
        emne = "emne" if ctx.correction_year is None else "rettelse_emne"
        filled = ctx.texts.fill(emne, y, m.full_name)
    subject = check_header_text(filled, f"mail.json field '{emne}'")
    files = _attachments(ctx, m)
    view = _view(ctx, m, files)
    env = environment()
    text = env.get_template("body.txt.j2").render(view)
    html = env.get_template("body.html.j2").render(view)

    headers: list[tuple[str, str]] = []
    if ctx.invitation is None:
        headers.append(("Message-ID", _message_id(ctx.doc.extract_id, m.code, ctx.sender.address)))
    else:
        rid = ctx.invitation.round_id
        headers.append(("Message-ID", _message_id(rid, m.code, ctx.sender.address, kind="hoering")))
        headers.append(("X-Danmarkskort-Round", rid))
    headers.append(("X-Danmarkskort-Extract", ctx.doc.extract_id))
    headers.append(("X-Danmarkskort-Kommunekode", m.code))
    return Draft(
        kommunekode=m.code,
        kommune=m.full_name,
        subject=subject,
        sender=Recipient(ctx.sender.address, ctx.sender.display_name),
        to=tuple(recipients),
        reply_to=Recipient(ctx.sender.reply_to) if ctx.sender.reply_to else None,
        headers=tuple(headers),
        text=text,
        html=html,
        files=tuple(files),
    )


# The legacy (compat32) classes of the stdlib email package, not EmailMessage: measured in
# bench/notify.py's run, EmailMessage's header registry and content manager took two to three
# times as long for the same 98 mails (README, "Design choices"). Every header value here is
# checked where it comes from (plain ASCII addresses, no line breaks), so its parsing buys
# nothing; mime_message checks every value once more, since compat32 would write a line
# break as it is.
# CRLF line ends for SES and SMTP; no ">From " mangling (that is for mbox files), as the
# SMTP policy of the modern API.
_CRLF = compat32.clone(linesep="\r\n", mangle_from_=False)
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # the Danish text stays readable in the raw message
# "=_" cannot occur in quoted-printable or base64 text, so a fixed boundary never collides
# with a part, and the generator need not search every body for a free one.
_BOUNDARY = "=_danmarkskort_"


def mime_message(d: Draft) -> bytes:
    """multipart/mixed: multipart/alternative (plain text, HTML), then the attachments, each
    base64 with its file name. Non-ASCII header text becomes RFC 2047 encoded words."""
    values = [("Subject", d.subject), *d.headers]
    values += [(name, v) for name, rs in d.people for r in rs for v in (r.name, r.address)]
    for name, value in values:
        if problem := unsafe_character(value):
            raise ValueError(f"mail header {name}: {value!r} contains {problem}")
    msg = MIMEMultipart("mixed", boundary=_BOUNDARY + "mixed")
    msg["Subject"] = d.subject
    for name, rs in d.people:
        msg[name] = address_header(name, rs)
    for name, value in d.headers:
        msg[name] = value
    body = MIMEMultipart("alternative", boundary=_BOUNDARY + "alternative")
    for text, subtype in ((d.text, "plain"), (d.html, "html")):
        part = MIMENonMultipart("text", subtype, charset="utf-8")
        part.set_payload(text, _UTF8_QP)
        body.attach(_part(part))
    msg.attach(_part(body))
    for a in d.files:
        maintype, _, rest = a.content_type.partition("/")
        subtype, _, param = rest.partition(";")
        subtype = subtype.strip()
        part = (
            MIMENonMultipart(maintype, subtype, charset="utf-8")
            if "charset" in param
            else MIMENonMultipart(maintype, subtype)
        )
        part.set_payload(a.data)
        encoders.encode_base64(part)
        filename = a.filename if a.filename.isascii() else ("utf-8", "", a.filename)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        msg.attach(_part(part))
    return msg.as_bytes(policy=_CRLF)


def _part(part: MIMEBase) -> MIMEBase:
    """MIME-Version belongs to the message only (RFC 2045 § 4); compat32 puts it on every
    part."""
    del part["MIME-Version"]
    return part


# --- attachments ----------------------------------------------------------------------------


def _attachments(ctx: Context, m: Municipality) -> list[att.Attachment]:
    """The council PDF and spreadsheets, never HTML: municipal mail filters quarantine HTML
    attachments, so remarks go in the body (and the PDF)."""
    y = ctx.newest_year
    stem = att.file_stem("omgoerelsesprocenter", y, m)
    figures = att.figure_table(ctx.doc, m.code, ctx.mapping, ctx.index, ctx.council.per_map)
    provisions = att.provision_table(ctx.doc, m.code, ctx.mapping, ctx.index)
    out = [
        att.Attachment(
            f"{stem}.csv",
            att.CSV_TYPE,
            att.to_csv(figures),
            "tallene for alle år og områder i udtrækket som CSV (åbner i Excel)",
        )
    ]
    if provisions is not None:
        name = att.file_stem("omgoerelsesprocenter-paragraffer", y, m) + ".csv"
        out.append(
            att.Attachment(
                name, att.CSV_TYPE, att.to_csv(provisions), "sagerne fordelt på paragraffer (CSV)"
            )
        )
    # The council's paper belongs to the publication, not to a round's invitation: before
    # the deadline the figures are not public and the comments not yet in.
    pdf = None if ctx.invitation is not None else _council_pdf(ctx, m)
    if pdf is not None:
        out.insert(0, pdf)
    sheets = [figures, *([provisions] if provisions else []), att.source_table(ctx.doc)]
    about = "de samme tal som Excel-regneark" + (
        ", også fordelt på paragraffer" if provisions else ""
    )
    out.append(
        att.Attachment(
            f"{stem}.xlsx",
            att.XLSX_TYPE,
            att.to_xlsx(sheets),
            about + ", og hvilket udtræk de stammer fra",
        )
    )
    return out


def _council_pdf(ctx: Context, m: Municipality) -> att.Attachment | None:
    """The council PDF (the same file as on the municipality's page); a PDF that cannot be
    made is logged and left out, never stopping the mail."""
    try:
        data = ctx.council.pdf(m)
    except Exception:
        _logger().exception("council PDF of %s not made; the mail goes without it", m.full_name)
        return None
    return att.Attachment(
        council_pdf.file_name(m, ctx.council.latest),
        council_pdf.PDF_TYPE,
        data,
        "tallene, sammenligningen med landet, bemærkningerne og kilden som PDF på én til to "
        "A4-sider, klar til kommunalbestyrelsens dagsorden (den samme PDF ligger på "
        "kommunens side)",
    )


@dataclass(frozen=True)
class RemarkView:
    kind: str
    label: str
    kilde: str
    text: str
    omraader: str  # '' = every area
    years: str  # e.g. '2022-2024' or '2024'

    @property
    def about(self) -> str:
        """'Kilde: Dragør Kommune. Gælder tallene for 2024, børnehandicap.'"""
        return (
            f"Kilde: {self.kilde}. Gælder tallene for {self.years}, "
            f"{self.omraader or 'alle områder'}."
        )


def _remark_view(ctx: Context, r: Remark, years: list[int]) -> RemarkView:
    names = [att.area_name(ctx.mapping, s).lower() for s in r.omraader]
    return RemarkView(
        kind=r.kind,
        label=KIND_LABELS.get(r.kind, r.kind),
        kilde=r.kilde,
        text=no_break(r.text),
        omraader=join_and(names),
        years=year_span(years),
    )


def _remarks_by_year(ctx: Context, m: Municipality) -> list[RemarkView]:
    """Every remark on any year of the extract, each once, with the years it concerns."""
    newest_first = sorted(ctx.doc.years or {f.aar for f in ctx.doc.figures}, reverse=True)
    years = ctx.remarks.over_years(m.code, newest_first)
    return [_remark_view(ctx, r, ys) for r, ys in years.items()]


# --- the body -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaView:
    navn: str
    rate: str
    ci: str
    n: str
    split: str
    afvist: str
    low_n: str
    change: str  # a sentence for the text part: 'Ændring fra 2023: +6 procentpoint.'
    national: str  # 'Hele landet: 38 % af 8.781 sager.'
    change_label: str  # the HTML table's row label and value, without repeating it
    change_value: str
    national_label: str  # the national figure's own name ('Hele landet', or a partial one)
    national_value: str
    comparison: str = ""  # within / above / below what chance gives (domain.comparison)
    modtagere: str = ""  # Danmarks Statistik's count (or that it has none), per 1,000 cases


def _area_view(ctx: Context, f: Figure, previous_year: int | None) -> AreaView:
    """One area's figures in the words and the rounding of the site (text.shown_figure)."""
    doc = ctx.doc
    navn = att.area_name(ctx.mapping, f.omraade)
    shown = ctx.index.shown(f)
    if f.omgoerelsesprocent is None:
        rate = f"Ingen realitetsbehandlede sager i {f.aar}"
        ci = ""
    else:
        rate = pct(f.omgoerelsesprocent)
        ci = (
            f"95 %-usikkerhedsinterval: {pct_range(f.ci_lav, f.ci_hoej)}"
            if f.ci_lav is not None and f.ci_hoej is not None
            else ""
        )
    split = (
        f"stadfæstet {number(f.stadfaestet)}, ændret/ophævet {number(f.aendret_ophaevet)}, "
        f"hjemvist {number(f.hjemvist)}"
    )
    afvist = (
        f"Desuden {cases(f.afvist)} afvist eller henvist; "
        f"{'den indgår' if f.afvist == 1 else 'de indgår'} ikke i procenten."
        if f.afvist
        else ""
    )
    low_n = ""
    if f.lav_n and f.realitetsbehandlede:  # shown after the label 'Få sager:'
        low_n = (
            f"færre end {doc.lav_n_threshold} realitetsbehandlede sager. "
            "Procenten er derfor usikker og kan svinge meget fra år til år."
        )
    if previous_year is None:
        change_label = "Ændring"
        change_value = "Der er ingen tal for året før i dette udtræk."
        change = change_value
    elif shown.change is None:
        empty_year = f.aar if f.omgoerelsesprocent is None else previous_year
        change_label = f"Ændring fra {previous_year}"
        change_value = f"Ingen sammenligning (ingen realitetsbehandlede sager i {empty_year})."
        change = (
            f"Ingen sammenligning med {previous_year} "
            f"(ingen realitetsbehandlede sager i {empty_year})."
        )
    else:
        change_label = f"Ændring fra {previous_year}"
        change_value = pp(shown.change)
        change = f"{change_label}: {change_value}."
    land = ctx.index.national.get((f.aar, f.omraade))
    if land is None or land.omgoerelsesprocent is None:
        national_value = "ingen tal"
    else:
        national_value = f"{pct(land.omgoerelsesprocent)} af {cases(land.realitetsbehandlede)}"
    national_label = national_name(land)
    national = f"{national_label}: {national_value}."
    return AreaView(
        navn=navn,
        rate=rate,
        ci=ci,
        n=cases(f.realitetsbehandlede),
        split=split,
        afvist=afvist,
        low_n=low_n,
        change=change,
        national=national,
        change_label=change_label,
        change_value=change_value,
        national_label=national_label,
        national_value=national_value,
        comparison=comparison.sentence(comparison.verdict(f, land), national_label),
        modtagere=_recipients(ctx, f, national_label),
    )


def _recipients(ctx: Context, f: Figure, national_label: str) -> str:
    """'40 borgere modtog ydelser på området i 2023 (Danmarks Statistik). Det svarer til …',
    as on the site; '' without the input."""
    if ctx.council.per_map is None:
        return ""
    m = registry().by_code(f.kommunekode)
    shown = ctx.council.per_map.shown(f, m.name, national_label)
    return no_break(" ".join(filter(None, (shown.sentence, shown.rate_sentence))))


def _view(ctx: Context, m: Municipality, files: list[att.Attachment]) -> dict[str, Any]:
    y = ctx.newest_year
    texts = ctx.texts
    order = {slug: i for i, slug in enumerate(ctx.mapping.slugs)}
    figures = sorted(
        (f for f in ctx.index.of(m.code) if f.aar == y),
        key=lambda f: (order.get(f.omraade, len(order)), f.omraade),
    )
    years = set(ctx.doc.years or {f.aar for f in ctx.doc.figures})
    previous = y - 1 if y - 1 in years else None
    return {
        "kommune": m.full_name,
        "aar": y,
        "rettelse": (
            texts.fill("rettelse_indledning", y, m.full_name)
            if ctx.correction_year is not None
            else texts.fill("rettelse_tidligere", y, m.full_name)
            if m.code in ctx.corrections
            else ""
        ),
        "rettelser": [_correction_line(ctx, c) for c in ctx.corrections.get(m.code, ())],
        "rettelse_foerst": ctx.correction_year is not None,
        "hilsen": texts.fill("hilsen", y, m.full_name),
        "indledning": texts.fill("indledning", y, m.full_name),
        "areas": [_area_view(ctx, f, previous) for f in figures],
        "remarks": _remarks_by_year(ctx, m),
        "pligt": texts.fill("pligt_79b", y, m.full_name),
        "handlingsplan": texts.action_plan(y, m.full_name),
        "laesevejledning": texts.fill("laesevejledning", y, m.full_name),
        "afslutning": texts.fill("afslutning", y, m.full_name).splitlines(),
        "automatisk": texts.fill("automatisk", y, m.full_name) if texts.automatisk else "",
        "spoergsmaal": texts.questions(y, m.full_name),
        "sagsnummer": texts.sagsnummer,
        "link_kommune": ctx.links.municipality(m),
        "link_guide": ctx.links.guide(),
        "link_aar": ctx.links.year(y),
        "attachments": [{"name": a.filename, "about": a.about} for a in files],
        "hoering": _invitation_view(ctx, m),
        "extract_file": ctx.doc.extract_file,
        "extract_id": ctx.doc.extract_id,
        "received_date": _received_date(ctx.doc.received),
    }


def _invitation_view(ctx: Context, m: Municipality) -> dict[str, str] | None:
    """The invitation's own paragraphs and the personal link; None in any other mail."""
    inv = ctx.invitation
    if inv is None:
        return None
    link = inv.links.get(m.code)
    if not link:
        raise ValueError(f"the invitation has no personal link for {m.full_name}")
    said = comment_deadline(inv.frist)
    fill = ctx.texts.fill_invitation
    return {
        "indledning": fill("hoering_indledning", ctx.newest_year, m.full_name, said),
        "frist": fill("hoering_frist", ctx.newest_year, m.full_name, said),
        "link": link,
        "link_note": fill("hoering_link", ctx.newest_year, m.full_name, said),
        "kommentarfrist": said,
    }


def _correction_line(ctx: Context, c: CorrectedFigure) -> str:
    return no_break(correction_text(att.area_name(ctx.mapping, c.omraade), c.aar, c.old, c.new))


# --- helpers --------------------------------------------------------------------------------


def _received_date(received: str) -> str:
    """'2025-06-02T08:00:00+00:00' → '2. juni 2025', as on the site; unparsable text as is."""
    try:
        return long_date(received)
    except (TypeError, ValueError):
        return received


@cache
def environment() -> Any:
    """Jinja2, autoescaping the HTML templates; created on first use (import stays light)."""
    import jinja2

    from danmarkskort.templates import with_built_bytecode

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("danmarkskort.mail", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return with_built_bytecode(env, "danmarkskort.mail")


def _message_id(extract_id: str, code: str, sender: str, kind: str = "omgoerelser") -> str:
    """Stable per (extract or round, municipality): a resent copy is recognisable as the
    same mail."""
    domain = sender.partition("@")[2] or "danmarkskort.invalid"
    return f"<{kind}.{extract_id[:32]}.{code}@{domain}>"


def _logger() -> logging.Logger:
    return child_logger(__name__)
