"""The shape of every config file as a typed model: what each field holds, its limits and the
rules between fields. Unknown fields are refused everywhere; every object may carry a
``_comment`` for whoever edits the file, and a file may name its JSON Schema in ``$schema``.

Checks against another file (a remark's areas must exist in areas.json) read the known area
slugs from the validation context ``{"areas": (...)}``; ``config.loader`` validates.
The domain modules turn these models into the objects the rest of the code uses.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from danmarkskort.config.fields import (
    Colour,
    Comment,
    Description,
    EmailAddress,
    FieldError,
    HeaderName,
    HeaderText,
    IsoDate,
    Kommunekode,
    KommunekodeKey,
    Label,
    LawSlug,
    LawYear,
    Name,
    OptionalParagraph,
    Paragraph,
    Phone,
    Reference,
    RemarkText,
    Slug,
    WebUrl,
    Year,
    kommunekode,
    template,
)
from danmarkskort.domain.provisions import parse_paragraph

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


class Entry(BaseModel):
    """An object of a config file: fixed fields only."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, str_max_length=10_000, defer_build=True
    )

    comment: Comment | None = Field(
        None, alias="_comment", description="A note for whoever edits the file; ignored."
    )


class ConfigFile(Entry):
    """A whole config file; FILE is its name in the config source."""

    FILE: ClassVar[str]

    schema_ref: Reference | None = Field(
        None,
        alias="$schema",
        title="$schema",
        description="Where an editor finds this file's JSON Schema.",
    )


def _no_duplicates(entries: list[Any], key: str, field: str) -> None:
    seen: dict[object, int] = {}
    for i, entry in enumerate(entries):
        v = getattr(entry, key)
        if v in seen:
            raise FieldError(f"duplicate {key}: also {field}[{seen[v]}]", i, key, value=v)
        seen[v] = i


def _known_areas(info: ValidationInfo) -> tuple[str, ...]:
    context = info.context
    if not isinstance(context, dict) or "areas" not in context:
        raise RuntimeError("validate with context={'areas': mapping.slugs}")  # a code error
    return tuple(context["areas"])


def _check_areas(slugs: list[str] | None, info: ValidationInfo) -> None:
    known = _known_areas(info)
    for i, slug in enumerate(slugs or ()):
        if slug not in known:
            raise FieldError(f"is no area of areas.json (known: {', '.join(known)})", i, value=slug)


def _check_period(fra: object, til: object, fra_name: str) -> None:
    if fra is not None and til is not None and til < fra:  # type: ignore[operator]
        raise FieldError(f"is before {fra_name} {fra}")


# --- areas.json -----------------------------------------------------------------------------


def _section(item: str) -> str:
    if not parse_paragraph(f"§ {item}"):
        raise FieldError("is not a section number (such as '41' or '32a')")
    return item


Section = Annotated[str, StringConstraints(min_length=1, max_length=20), AfterValidator(_section)]


def _every_or_list(value: object) -> object:
    if value == "*":
        return None
    if not isinstance(value, list):
        raise FieldError("must be '*' or a list of sections")
    return value


class AreaEntry(Entry):
    slug: Slug
    navn: Name
    kort: Name | None = Field(None, description="Short name on the maps; default: navn.")
    beskrivelse: Description = ""


class LawEntry(Entry):
    slug: LawSlug
    navn: Name
    forkortelse: Label = ""
    aliases: list[Name] = Field(
        default_factory=list,
        max_length=50,
        description="How extracts spell the law (case and spacing do not matter).",
    )
    gyldig_fra: LawYear | None = None
    gyldig_til: LawYear | None = None

    @field_validator("gyldig_til")
    @classmethod
    def _period(cls, value: int | None, info: ValidationInfo) -> int | None:
        _check_period(info.data.get("gyldig_fra"), value, "gyldig_fra")
        return value


class MappingEntry(Entry):
    omraade: Slug
    lov: LawSlug
    gyldig_fra: LawYear
    gyldig_til: LawYear | None = None
    bestemmelser: Annotated[
        Annotated[list[Section], Field(min_length=1, max_length=500)] | None,
        BeforeValidator(_every_or_list, json_schema_input_type=Literal["*"] | list[str]),
        Field(description="'*' (every provision of the law) or a list of sections ('32a')."),
    ]

    @field_validator("gyldig_til")
    @classmethod
    def _period(cls, value: int | None, info: ValidationInfo) -> int | None:
        _check_period(info.data.get("gyldig_fra"), value, "gyldig_fra")
        return value


class AreasFile(ConfigFile):
    """The map areas and which legal provisions count in which area, by year of decision."""

    FILE: ClassVar[str] = "areas.json"
    model_config = ConfigDict(title=FILE)

    areas: list[AreaEntry] = Field(min_length=1, max_length=20)
    laws: list[LawEntry] = Field(min_length=1, max_length=20)
    mappings: list[MappingEntry] = Field(default_factory=list, max_length=500)

    @field_validator("areas", "laws")
    @classmethod
    def _unique_slugs(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        _no_duplicates(value, "slug", info.field_name or "")
        return value

    @model_validator(mode="after")
    def _mappings_name_areas_and_laws(self) -> AreasFile:
        areas = [a.slug for a in self.areas]
        laws = [law.slug for law in self.laws]
        for i, m in enumerate(self.mappings):
            if m.omraade not in areas:
                raise FieldError(
                    f"is no area of this file (known: {', '.join(areas)})",
                    *("mappings", i, "omraade"),
                    value=m.omraade,
                )
            if m.lov not in laws:
                raise FieldError(
                    f"is no law of this file (known: {', '.join(laws)})",
                    *("mappings", i, "lov"),
                    value=m.lov,
                )
        return self


# --- remarks.json ---------------------------------------------------------------------------


class RemarkEntry(Entry):
    kommunekode: Kommunekode
    kind: Literal["kommentar", "bemaerkning"] = Field(
        description="'kommentar': the municipality's own; 'bemaerkning': by the ministry or "
        "Ankestyrelsen (kilde required)."
    )
    text: RemarkText = Field(description="Plain text, never HTML (it is shown escaped).")
    omraader: list[Slug] | None = Field(
        None, max_length=20, description="Area slugs from areas.json; omitted or [] = all."
    )
    aar_fra: Year | None = None
    aar_til: Year | None = None
    kilde: Name | None = Field(
        None, description="Who says it; for a kommentar the default is the municipality."
    )

    @field_validator("omraader")
    @classmethod
    def _areas_exist(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        _check_areas(value, info)
        return value

    @field_validator("aar_til")
    @classmethod
    def _period(cls, value: int | None, info: ValidationInfo) -> int | None:
        _check_period(info.data.get("aar_fra"), value, "aar_fra")
        return value

    @model_validator(mode="after")
    def _remark_by_someone(self) -> RemarkEntry:
        if self.kilde is None and self.kind != "kommentar":
            raise FieldError("must name who makes the remark (required for a bemaerkning)", "kilde")
        return self


class RemarksFile(ConfigFile):
    """Remarks on municipalities' figures: their own comments and remarks by the ministry or
    Ankestyrelsen, shown on the maps, the municipality pages and in the mails."""

    FILE: ClassVar[str] = "remarks.json"
    model_config = ConfigDict(title=FILE)

    remarks: list[RemarkEntry] = Field(max_length=2_000)


# --- cooperation.json -----------------------------------------------------------------------

# str.format values of the generated remarks (domain.remarks fills them).
COOPERATION_PLACEHOLDERS = frozenset(
    {"vaert", "betjent", "vaert_kort", "betjent_kort", "omraader", "periode", "ogsaa_under"}
)
_cooperation_template = template(COOPERATION_PLACEHOLDERS)
CooperationTemplate = Annotated[RemarkText, AfterValidator(_cooperation_template)]


class CooperationTexts(Entry):
    betjent: CooperationTemplate = Field(description="The remark on the served municipality.")
    vaert: CooperationTemplate = Field(description="The remark on the host municipality.")
    ogsaa_under: Annotated[Description, AfterValidator(_cooperation_template)] | None = Field(
        None, description="Appended when the arrangement has ogsaa_under areas."
    )


class ArrangementEntry(Entry):
    vaert: Kommunekode = Field(description="The host: makes the decisions.")
    betjent: Kommunekode = Field(description="The served municipality.")
    omraader: list[Slug] = Field(min_length=1, max_length=20)
    ogsaa_under: list[Slug] | None = Field(
        None, max_length=20, description="Further maps whose figures include the same cases."
    )
    gyldig_fra: IsoDate
    gyldig_til: IsoDate | None = Field(None, description="Inclusive; null = still in force.")

    @field_validator("omraader", "ogsaa_under")
    @classmethod
    def _areas_exist(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        _check_areas(value, info)
        return value

    @field_validator("gyldig_til")
    @classmethod
    def _period(cls, value: Any, info: ValidationInfo) -> Any:
        _check_period(info.data.get("gyldig_fra"), value, "gyldig_fra")
        return value

    @model_validator(mode="after")
    def _two_municipalities(self) -> ArrangementEntry:
        if self.vaert == self.betjent:
            raise FieldError("is the same municipality as vaert", "betjent", value=self.betjent)
        return self


class CooperationFile(ConfigFile):
    """Cooperation arrangements: the host municipality (vaert) decides the served one's
    (betjent) cases on the listed areas; a remark is generated on both municipalities."""

    FILE: ClassVar[str] = "cooperation.json"
    model_config = ConfigDict(title=FILE)

    kilde: Name = Field(description="Who makes the generated remarks.")
    tekster: CooperationTexts
    arrangements: list[ArrangementEntry] = Field(max_length=200)


# --- recipients.json ------------------------------------------------------------------------


class RecipientEntry(Entry):
    address: EmailAddress
    name: HeaderName = ""


def _recipient(value: object) -> object:
    if isinstance(value, str):
        return {"address": value}
    if isinstance(value, dict):
        return value
    raise FieldError("must be an address or an object with 'address'")


def _as_list(value: object) -> object:
    return value if isinstance(value, list) else [value]


RecipientItem = Annotated[
    RecipientEntry, BeforeValidator(_recipient, json_schema_input_type=str | RecipientEntry)
]
Recipients = Annotated[
    list[RecipientItem],
    Field(max_length=20),
    BeforeValidator(
        _as_list,
        json_schema_input_type=str
        | RecipientEntry
        | Annotated[list[str | RecipientEntry], Field(max_length=20)],
    ),
]


class RecipientsFile(ConfigFile):
    """Who receives each municipality's mail: kommunekode -> one or more recipients, each an
    address or an object with 'address' and an optional 'name'."""

    FILE: ClassVar[str] = "recipients.json"
    model_config = ConfigDict(title=FILE)

    recipients: dict[KommunekodeKey, Recipients] = Field(
        max_length=98, json_schema_extra={"additionalProperties": False}
    )

    @field_validator("recipients")
    @classmethod
    def _one_entry_per_municipality(
        cls, value: dict[str, list[RecipientEntry]]
    ) -> dict[str, list[RecipientEntry]]:
        out: dict[str, list[RecipientEntry]] = {}
        for key, entries in value.items():
            code = kommunekode(key)
            if code in out:
                raise FieldError(f"kommunekode {code} appears more than once", key, value=key)
            out[code] = entries
        return out


# --- mail.json ------------------------------------------------------------------------------

# str.format values of every mail text but afsender_navn (mail.texts fills them).
MAIL_PLACEHOLDERS = frozenset({"aar", "kommune", "frist", "offentliggoerelsesaar"})
_mail_template = template(MAIL_PLACEHOLDERS)
MailText = Annotated[Paragraph, AfterValidator(_mail_template)]
OptionalMailText = Annotated[OptionalParagraph, AfterValidator(_mail_template)]


RETTELSE_EMNE = "Rettelse: Danmarkskort over omgørelsesprocenter {aar} – {kommune}"
RETTELSE_INDLEDNING = (
    "Tallene for {aar} på danmarkskortet over omgørelsesprocenter er rettet, fordi "
    "Ankestyrelsen har registreret flere afgørelser efter offentliggørelsen. Denne mail "
    "erstatter den, vi sendte tidligere. Rettelsen ændrer disse af {kommune}s tal:"
)

RETTELSE_TIDLIGERE = (
    "Med det nye udtræk er også tal, der er offentliggjort tidligere, rettet, fordi "
    "Ankestyrelsen har registreret flere afgørelser. Det ændrer disse af {kommune}s tal:"
)

SPOERGSMAAL = "Spørgsmål til tallene kan stilles ved at svare på mailen."

# The consultation round's invitation (hoering.json): the mail texts' placeholders and
# {kommentarfrist}, the deadline for comments ('15. december 2026 kl. 23.59').
HOERING_PLACEHOLDERS = MAIL_PLACEHOLDERS | {"kommentarfrist"}
_hoering_template = template(HOERING_PLACEHOLDERS)
HoeringText = Annotated[Paragraph, AfterValidator(_hoering_template)]
HOERING_EMNE = "Høring: Danmarkskort over omgørelsesprocenter {aar} – {kommune}"
HOERING_INDLEDNING = (
    "Social- og Boligministeriet offentliggør snart danmarkskortet over "
    "omgørelsesprocenter med tallene for {aar}. Inden da kan {kommune} se sine tal og "
    "skrive en kommentar til dem. Kommentaren kommer til at stå på kortet og på kommunens "
    "side som kommunens egne ord. Tallene er ikke offentlige endnu; del dem ikke, før kortet "
    "er offentliggjort."
)
HOERING_FRIST = (
    "Fristen for kommentarer er {kommentarfrist}. Indtil da kan kommentaren ændres eller "
    "trækkes tilbage. Derefter offentliggøres kortet, og {kommune} får tallene igen med "
    "kommentaren."
)
HOERING_LINK = (
    "Linket er personligt for {kommune}: del det kun med dem, der skal skrive kommentaren."
)


class MailFile(ConfigFile):
    """The texts of the mail each municipality receives. Plain text, never HTML.
    Placeholders {aar}, {kommune}, {frist}, {offentliggoerelsesaar}."""

    FILE: ClassVar[str] = "mail.json"
    model_config = ConfigDict(title=FILE)

    afsender_navn: Annotated[HeaderText, AfterValidator(template(frozenset()))] = Field(
        description="The sender's display name (a mail header; no placeholders)."
    )
    emne: Annotated[HeaderText, AfterValidator(_mail_template)] = Field(
        description="The subject (a mail header)."
    )
    hilsen: MailText
    indledning: MailText
    pligt_79b: MailText
    handlingsplan: OptionalMailText | None = None
    handlingsplan_sidste_offentliggoerelsesaar: Year | None = Field(
        None, description="Last publication year that includes 'handlingsplan'; null = always."
    )
    frist: IsoDate | None = Field(
        None, description="The council's deadline; null = 31 December of the publication year."
    )
    laesevejledning: MailText
    afslutning: MailText
    automatisk: OptionalMailText | None = Field(
        None, description="The closing note, e.g. that the mail was sent automatically."
    )
    kontakt: ContactEntry | None = Field(
        None,
        description="Whom a municipality asks about its figures, named in every mail; "
        "without it the mail says 'spoergsmaal' instead.",
    )
    spoergsmaal: OptionalMailText = Field(
        SPOERGSMAAL, description="Where questions go when no 'kontakt' is given."
    )
    sagsnummer: Label | None = Field(
        None, description="The ministry's case number, named in every mail ('Sagsnummer: …')."
    )
    rettelse_emne: Annotated[HeaderText, AfterValidator(_mail_template)] = Field(
        RETTELSE_EMNE,
        description="The subject of a correction: published figures of {aar} changed.",
    )
    rettelse_indledning: MailText = Field(
        RETTELSE_INDLEDNING,
        description="The opening of a correction; the changed figures follow it, old → new.",
    )
    rettelse_tidligere: MailText = Field(
        RETTELSE_TIDLIGERE,
        description="In a new year's mail: earlier published figures changed too (listed).",
    )
    hoering_emne: Annotated[HeaderText, AfterValidator(_hoering_template)] = Field(
        HOERING_EMNE, description="The subject of a consultation round's invitation."
    )
    hoering_indledning: HoeringText = Field(
        HOERING_INDLEDNING, description="The invitation's opening, instead of 'indledning'."
    )
    hoering_frist: HoeringText = Field(
        HOERING_FRIST, description="The deadline for comments ({kommentarfrist})."
    )
    hoering_link: HoeringText = Field(
        HOERING_LINK, description="Said under the personal link to the comment page."
    )


# --- kort.json ------------------------------------------------------------------------------


class MapClassEntry(Entry):
    fra: Annotated[int, Field(ge=0, le=100)]
    til: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None, description="Exclusive upper bound; null only in the last class."
    )
    farve: Colour
    tekst: Colour


class NoCasesEntry(Entry):
    farve: Colour
    prik: Colour
    tekst: Colour


class KortFile(ConfigFile):
    """The maps' colour classes (by the published whole-percent rate) and the look of a
    municipality with no cases."""

    FILE: ClassVar[str] = "kort.json"
    model_config = ConfigDict(title=FILE)

    klasser: list[MapClassEntry] = Field(max_length=20, json_schema_extra={"minItems": 2})
    ingen_sager: NoCasesEntry

    @field_validator("klasser")
    @classmethod
    def _contiguous(cls, value: list[MapClassEntry]) -> list[MapClassEntry]:
        expected = 0
        for i, c in enumerate(value):
            if c.fra != expected:
                raise FieldError(
                    f"must be {expected} (classes must be contiguous)", i, "fra", value=c.fra
                )
            last = i == len(value) - 1
            if (c.til is None) != last or (c.til is not None and c.til <= expected):
                raise FieldError(
                    "must rise, and be null only in the last class", i, "til", value=c.til
                )
            expected = c.til if c.til is not None else expected
        if len(value) < 2:
            raise FieldError("needs at least two classes")
        return value


# --- udtraek.json ----------------------------------------------------------------------------

# The bundled udtraek.json's min_kommuner: a year covering at least this many municipalities
# is a delivery of the whole country, whatever an override lets through (compute/coverage.py).
WHOLE_COUNTRY_MIN_KOMMUNER = 90


class UdtraekFile(ConfigFile):
    """What an extract must hold to be published: a year in which fewer municipalities have a
    realitetsbehandlet case is a partial delivery and is rejected."""

    FILE: ClassVar[str] = "udtraek.json"
    model_config = ConfigDict(title=FILE)

    min_kommuner: Annotated[int, Field(ge=1, le=98)] = Field(
        description="The fewest of the 98 municipalities with at least one realitetsbehandlet "
        "case in a year (any area) for the year to be published. Below "
        f"{WHOLE_COUNTRY_MIN_KOMMUNER} a deliberate partial extract gets through, and its "
        "national figure is labelled as covering only those municipalities."
    )


# --- udgiver.json ---------------------------------------------------------------------------


class ContactEntry(Entry):
    """Whom to ask: a name or function, the unit, and at least one way to reach it. Used by
    udgiver.json (the site's contact) and mail.json (the figures' contact in the mails)."""

    navn: Label | None = Field(None, description="A person or a function, e.g. 'Kontoret for…'.")
    enhed: Label | None = Field(None, description="The unit or office.")
    email: EmailAddress | None = None
    telefon: Phone | None = None
    adresse: Label | None = Field(None, description="Postal address on one line.")

    @model_validator(mode="after")
    def _reachable(self) -> ContactEntry:
        if not (self.email or self.telefon or self.adresse):
            raise FieldError("needs at least one of 'email', 'telefon' or 'adresse'")
        if not (self.navn or self.enhed):
            raise FieldError("needs 'navn' or 'enhed': whom the reader reaches")
        return self


class PublisherEntry(Entry):
    navn: Name = Field(description="Who publishes the site, e.g. 'Social- og Boligministeriet'.")
    url: WebUrl | None = Field(None, description="The publisher's own website.")


class StatementEntry(Entry):
    """The accessibility statement (webtilgængelighedsloven): a link to the statement made
    with Digitaliseringsstyrelsen's tool (was.digst.dk), or its text, published as a page."""

    url: WebUrl | None = Field(None, description="Where the statement is published.")
    tekst: OptionalParagraph | None = Field(
        None, description="The statement's text; paragraphs are separated by a blank line."
    )
    opdateret: IsoDate | None = Field(None, description="When the statement was last reviewed.")

    @model_validator(mode="after")
    def _one_of(self) -> StatementEntry:
        if bool(self.url) == bool(self.tekst):
            raise FieldError("needs exactly one of 'url' (a link) or 'tekst' (the statement)")
        return self


class UdgiverFile(ConfigFile):
    """Who publishes the site and how to reach them, and its accessibility statement: named
    on every page (footer) and in the reading guide."""

    FILE: ClassVar[str] = "udgiver.json"
    model_config = ConfigDict(title=FILE)

    udgiver: PublisherEntry
    kontakt: ContactEntry
    tilgaengelighedserklaering: StatementEntry


# --- hoering.json ---------------------------------------------------------------------------


class HoeringFile(ConfigFile):
    """The consultation round: whether an accepted extract first goes to the municipalities
    for comments (instead of being published at once), how long they have, and how long a
    comment may be."""

    FILE: ClassVar[str] = "hoering.json"
    model_config = ConfigDict(title=FILE)

    aktiv: bool = Field(
        False,
        description="true: every accepted extract opens a round (as the template parameter "
        "Consultation=true does); false: the template parameter decides.",
    )
    frist_dage: Annotated[int, Field(ge=1, le=90)] = Field(
        14,
        description="Days from the invitation to the deadline; comments are taken until "
        "23:59 Danish time on the last day, and the site is published then.",
    )
    max_tegn: Annotated[int, Field(ge=50, le=5000)] = Field(
        1000, description="The most characters a comment on one area may have."
    )


FILES: tuple[type[ConfigFile], ...] = (
    AreasFile,
    RemarksFile,
    CooperationFile,
    RecipientsFile,
    MailFile,
    KortFile,
    UdtraekFile,
    UdgiverFile,
    HoeringFile,
)


def json_schema(model: type[ConfigFile]) -> dict[str, Any]:
    """The file's JSON Schema (docs/config/<file>.schema.json), for editors and reviewers."""
    return {"$schema": SCHEMA_DRAFT, **model.model_json_schema()}
