"""A consultation round's documents in the data bucket, and their keys.

render_site opens a round when an accepted extract arrives in consultation mode: it writes
``hoering/<round_id>/round.json`` (what the municipalities are shown: the newest year's
figures, the deadline, the rules) once, and ``hoering/current.json`` (which round is open,
and whether it still takes comments). The comment function reads both and writes each
municipality's comment and an audit entry per submission; render_site reads the comments
when it publishes the round. The data bucket is versioned, so every earlier state of a
comment stays readable as well.

Layout (all under the data bucket's private ``hoering/``):

    hoering/current.json                          CurrentRound: the round that is open
    hoering/<round_id>/round.json                 Round (written once, never changed)
    hoering/<round_id>/figures.json               what the preview and invitations show
    hoering/<round_id>/preview/...                the whole site as it would be published
    hoering/<round_id>/comments/<kode>.json       Comment: the municipality's words now
    hoering/<round_id>/audit/<kode>/<stamp>-<n>.json  AuditEntry: one per submission
    hoering/<round_id>/published.json             written when the round was published

Pure: the models parse and dump plain data; storing them is the jobs' business.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from danmarkskort.domain.figures import Figure, figure_from_dict

PREFIX = "hoering/"
CURRENT_KEY = f"{PREFIX}current.json"
ROUND_ID_PATTERN = r"^[0-9a-f]{16}$"
KODE_PATTERN = r"^[0-9]{3}$"
DEFAULT_MAX_TEGN = 1000


class RoundError(ValueError):
    """A round document is missing, damaged or not of this shape; names the key."""


class _Doc(BaseModel):
    # Validators built on first use, as the events' are: a handler pays only for what it reads.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AreaFigures(_Doc):
    """One area's figures of the round's newest year: the municipality's and the country's,
    as figures.json records (domain/figures.py), so the page shows what the map will."""

    omraade: str
    navn: str  # the area's name as the maps call it
    figure: dict[str, Any] | None  # None: no case of the area in that year
    national: dict[str, Any] | None

    def municipality_figure(self) -> Figure | None:
        return None if self.figure is None else figure_from_dict(self.figure)

    def national_figure(self) -> Figure | None:
        return None if self.national is None else figure_from_dict(self.national)


class RoundMunicipality(_Doc):
    kommunekode: str = Field(pattern=KODE_PATTERN)
    navn: str  # "Dragør Kommune"
    areas: tuple[AreaFigures, ...]


class Round(_Doc):
    format: Literal[1] = 1
    round_id: str = Field(pattern=ROUND_ID_PATTERN)
    extract_id: str
    extract_file: str
    aar: int  # the newest year, the one the maps will show first
    years: tuple[int, ...]
    opened: AwareDatetime
    frist: AwareDatetime  # the deadline: comments until, and publication at, this moment
    max_tegn: int = Field(default=DEFAULT_MAX_TEGN, ge=1, le=10_000)
    municipalities: dict[str, RoundMunicipality]

    def municipality(self, kommunekode: str) -> RoundMunicipality | None:
        return self.municipalities.get(kommunekode)

    @property
    def area_slugs(self) -> tuple[str, ...]:
        first = next(iter(self.municipalities.values()), None)
        return () if first is None else tuple(a.omraade for a in first.areas)


RoundStatus = Literal["open", "publishing", "published", "superseded"]


class CurrentRound(_Doc):
    """hoering/current.json: the one round that exists now. Comments are taken only while
    its status is "open" and the deadline has not passed."""

    format: Literal[1] = 1
    round_id: str = Field(pattern=ROUND_ID_PATTERN)
    status: RoundStatus
    frist: AwareDatetime
    changed: AwareDatetime

    def takes_comments(self, now: datetime) -> bool:
        return self.status == "open" and now < self.frist


class Comment(_Doc):
    """hoering/<round_id>/comments/<kode>.json: the municipality's words now, per area
    (an area left empty has no comment). Plain text, never HTML."""

    format: Literal[1] = 1
    round_id: str = Field(pattern=ROUND_ID_PATTERN)
    kommunekode: str = Field(pattern=KODE_PATTERN)
    kommentarer: dict[str, str]  # area slug -> text
    saved: AwareDatetime
    revision: int = Field(ge=1)
    token_id: str  # Claims.token_id of the link it came through


class AuditEntry(_Doc):
    """One submission as it arrived: who (which link, from where), when, what."""

    format: Literal[1] = 1
    round_id: str = Field(pattern=ROUND_ID_PATTERN)
    kommunekode: str = Field(pattern=KODE_PATTERN)
    action: Literal["saved", "changed", "withdrawn", "carried_over"]
    kommentarer: dict[str, str]
    received: AwareDatetime
    revision: int = Field(ge=1)
    token_id: str
    # The caller's address (behind CloudFront: the edge's), and X-Forwarded-For as it came,
    # where CloudFront puts the viewer's address last: claimed, since a direct caller of the
    # function URL may send any.
    source_ip: str = ""
    forwarded_for: str = ""
    user_agent: str = ""
    request_id: str = ""


def round_key(round_id: str) -> str:
    return f"{PREFIX}{round_id}/round.json"


def round_figures_key(round_id: str) -> str:
    """The figures the preview and the invitations show: every year the site would then
    publish (the record with the round's extract merged in), as figures.json."""
    return f"{PREFIX}{round_id}/figures.json"


def preview_prefix(round_id: str) -> str:
    return f"{PREFIX}{round_id}/preview/"


def comments_prefix(round_id: str) -> str:
    return f"{PREFIX}{round_id}/comments/"


def comment_key(round_id: str, kommunekode: str) -> str:
    return f"{comments_prefix(round_id)}{kommunekode}.json"


def audit_key(round_id: str, kommunekode: str, received: datetime, nonce: str) -> str:
    stamp = received.strftime("%Y%m%dT%H%M%S%fZ")
    return f"{PREFIX}{round_id}/audit/{kommunekode}/{stamp}-{nonce}.json"


def published_key(round_id: str) -> str:
    return f"{PREFIX}{round_id}/published.json"


def parse_doc[M: _Doc](data: bytes | None, model: type[M], key: str) -> M:
    """The document at ``key``, checked; RoundError naming the key and the field."""
    if data is None:
        raise RoundError(f"{key}: does not exist")
    try:
        return model.model_validate(json.loads(data))
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(document)"
            raise RoundError(f"{key}: {where}: {first['msg']}") from None
        raise RoundError(f"{key}: not JSON ({exc})") from None


def dump_doc(doc: _Doc) -> str:
    return doc.model_dump_json(indent=1) + "\n"
