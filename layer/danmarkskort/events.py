"""The events between the functions (docs/design.md, "Events"; a contract): typed models.

Every detail the project puts on its bus is one of the models below, with an
``event_version``; a handler parses the whole EventBridge envelope at its edge with
``parse_event``, so a malformed or foreign event fails there with one EventError naming
the field, never as an AttributeError deep inside a job. Unknown extra fields are ignored
(a newer producer may add some); a field the consumer relies on that is missing or of the
wrong type is an error.

The envelopes follow EventBridge's event structure (and Powertools' EventBridgeModel and
S3EventNotificationEventBridgeModel) but are declared here: importing Powertools' parser
models loads every event model it has (API Gateway, Kafka, ...), about 0.12 s of each
cold start (bench/cold_start.py). Models build their validators on first use
(``defer_build``), so each function pays only for the events it handles.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

SOURCE = "danmarkskort"
EVENT_VERSION = 1

ExtractId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Year = Annotated[int, Field(ge=2000, le=2100)]


def _iso_time(value: str) -> str:
    dt.datetime.fromisoformat(value)  # ValueError → a validation error naming the field
    return value


# Kept as the text the producer wrote ("2025-06-02T08:14:09+00:00"), checked to be ISO 8601.
IsoTime = Annotated[str, AfterValidator(_iso_time)]


class EventError(ValueError):
    """An event that does not carry what its detail type promises."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class EventDetail(_Model):
    """The detail of one of the project's events; DETAIL_TYPE names it on the bus."""

    DETAIL_TYPE: ClassVar[str] = ""
    event_version: Literal[1] = 1  # EVENT_VERSION

    def to_detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- compute_rates --------------------------------------------------------------------------


class ResultKeys(_Model):
    figures_json: Key
    figures_csv: Key
    validation: Key


class RatesComputed(EventDetail):
    DETAIL_TYPE: ClassVar[str] = "RatesComputed"
    extract_id: ExtractId
    extract_file: str
    received: IsoTime
    years: list[Year] = Field(min_length=1)
    bucket: str
    keys: ResultKeys
    # What the extract held (for logs and metrics; no consumer relies on them).
    warnings: int = Field(default=0, ge=0)
    rows: int = Field(default=0, ge=0)
    municipalities: int = Field(default=0, ge=0)


class RejectionKeys(_Model):
    report_json: Key
    report_txt: Key
    archive: Key


class ExtractRejected(EventDetail):
    DETAIL_TYPE: ClassVar[str] = "ExtractRejected"
    extract_id: ExtractId
    extract_file: str
    received: IsoTime
    years: list[Year] = Field(default_factory=list)
    bucket: str
    keys: RejectionKeys
    problems: int = Field(ge=0)


# --- render_site ----------------------------------------------------------------------------


class OpenData(_Model):
    csv: Key
    json_: Key = Field(alias="json")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class SiteKeys(_Model):
    index: Key
    manifest: Key
    versions: Key
    reading_guide: Key
    year_pages: dict[str, Key]
    open_data: dict[str, OpenData]


class SiteLinks(_Model):
    """Paths relative to the site URL; {kommunekode}, {slug} and {aar} are filled in."""

    reading_guide: Key
    municipality_page: Key
    year_page: Key


class SitePublished(EventDetail):
    DETAIL_TYPE: ClassVar[str] = "SitePublished"
    extract_id: ExtractId
    years: list[Year] = Field(min_length=1)
    bucket: str  # the site bucket
    data_bucket: str
    figures_key: Key
    version: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    site_url: str
    keys: SiteKeys
    files: int = Field(ge=0)
    entry_points: int = Field(ge=0)
    links: SiteLinks

    def to_detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# --- the consultation round (hoering/) ------------------------------------------------------

RoundId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


class ConsultationOpened(EventDetail):
    """render_site opened a round instead of publishing: notify sends the invitations."""

    DETAIL_TYPE: ClassVar[str] = "ConsultationOpened"
    round_id: RoundId
    extract_id: ExtractId
    years: list[Year] = Field(min_length=1)
    data_bucket: str
    round_key: Key
    figures_key: Key  # what the preview shows: every year the site would then publish
    preview_prefix: Key
    frist: IsoTime
    superseded: RoundId | None = None  # the open round this one replaced


class ConsultationDue(EventDetail):
    """Publish the round now: from its schedule at the deadline, or from the ministry
    earlier (`danmarkskort publish`, or put on the bus by hand). Publishing happens once
    however often this arrives; a round that is not the open one is left alone."""

    DETAIL_TYPE: ClassVar[str] = "ConsultationDue"
    round_id: RoundId
    requested_by: Annotated[str, StringConstraints(max_length=200)] = "schedule"


# --- notify_municipalities ------------------------------------------------------------------


class MunicipalityNotified(EventDetail):
    """One municipality's mail, or (kommunekode "000", status "summary") the run's summary."""

    DETAIL_TYPE: ClassVar[str] = "MunicipalityNotified"
    extract_id: ExtractId
    kommunekode: Annotated[str, StringConstraints(pattern=r"^\d{3}$")]
    kommune: str | None = None
    status: str
    recipients: list[str] = Field(default_factory=list)
    message_id: str | None = None
    error: str | None = None
    eml_key: str | None = None
    summary: dict[str, Any] | None = None
    round_id: str | None = None  # set on a consultation round's invitations

    def to_detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True) | {"message_id": self.message_id}


DETAILS: dict[str, type[EventDetail]] = {
    m.DETAIL_TYPE: m
    for m in (
        RatesComputed,
        ExtractRejected,
        SitePublished,
        MunicipalityNotified,
        ConsultationOpened,
        ConsultationDue,
    )
}


# --- the envelopes the handlers receive -----------------------------------------------------


class _Envelope(_Model):
    """What EventBridge wraps every event in."""

    version: str
    id: str
    source: str
    account: str
    time: dt.datetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")


class _S3Bucket(_Model):
    name: Annotated[str, StringConstraints(min_length=3, max_length=63)]


class _S3Object(_Model):
    key: Annotated[str, StringConstraints(min_length=1)]
    size: int | None = None
    etag: str | None = None
    sequencer: str | None = None


class _ObjectCreated(_Model):
    bucket: _S3Bucket
    object: _S3Object
    reason: str | None = None


class ObjectCreatedEvent(_Envelope):
    """S3 → EventBridge "Object Created" (the data bucket's incoming/ prefix)."""

    source: Literal["aws.s3"]
    detail_type: Literal["Object Created"] = Field(alias="detail-type")
    detail: _ObjectCreated


class RatesComputedEvent(_Envelope):
    source: Literal["danmarkskort"]
    detail_type: Literal["RatesComputed"] = Field(alias="detail-type")
    detail: RatesComputed


class SitePublishedEvent(_Envelope):
    source: Literal["danmarkskort"]
    detail_type: Literal["SitePublished"] = Field(alias="detail-type")
    detail: SitePublished


class ConsultationOpenedEvent(_Envelope):
    source: Literal["danmarkskort"]
    detail_type: Literal["ConsultationOpened"] = Field(alias="detail-type")
    detail: ConsultationOpened


class ConsultationDueEvent(_Envelope):
    source: Literal["danmarkskort"]
    detail_type: Literal["ConsultationDue"] = Field(alias="detail-type")
    detail: ConsultationDue


def parse_event[E: BaseModel](event: object, model: type[E]) -> E:
    """The event as its typed model, or one EventError naming every wrong field."""
    if not isinstance(event, dict):
        raise EventError(f"{model.__name__}: the event is {type(event).__name__}, not an object")
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        raise EventError(f"{model.__name__}: {describe(exc)}") from None


def describe(exc: ValidationError, limit: int = 5) -> str:
    """pydantic's errors as 'detail.keys.figures_json: Field required (got …)', a line each."""
    lines = []
    for error in exc.errors()[:limit]:
        where = location(error["loc"]) or "(top level)"
        got = "" if error["type"] == "missing" else f" (got {_short(error.get('input'))})"
        lines.append(f"{where}: {error['msg']}{got}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)


def location(loc: tuple[int | str, ...]) -> str:
    """('mappings', 3, 'bestemmelser') → 'mappings[3].bestemmelser'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: object, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
