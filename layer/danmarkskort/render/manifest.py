"""The manifest of one published site version (v/<version>/manifest.json): written by
render_site's publish step, read by notify_municipalities for the links it puts in mails.

notify trusts this file in the site bucket, not the SitePublished event: a forged event on
the bus can name a version, but only render_site can write what that version links to.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from danmarkskort.events import ExtractId, Key, SiteLinks, describe


class ManifestError(ValueError):
    """The manifest of a published version is missing, damaged or of another extract."""


class CorrectedFigure(BaseModel):
    """One corrected (year, area) of a municipality: the counts before and after."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    aar: int
    omraade: str
    old: dict[str, Any]
    new: dict[str, Any]


class Mailing(BaseModel):
    """Who is mailed about this publication, decided by render from the record:
    - publication: the newest year is published for the first time: every municipality;
    - correction: published figures changed: only the municipalities whose figures did,
      each with its old and new figures;
    - none: nothing a municipality must hear about (figures equal to what was published,
      a national-only change, or an older year added to the archive)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    kind: Literal["publication", "correction", "none"]
    aar: int | None = None  # the year the mails are about
    corrections: dict[str, list[CorrectedFigure]] = {}  # kommunekode → its corrections
    # A publication of a year from a deliberately partial extract: only these municipalities
    # (those with a case in it) are mailed; None: every municipality.
    kommuner: list[Annotated[str, Field(pattern=r"^[0-9]{3}$")]] | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    extract_id: ExtractId
    version: str
    figures_key: Key
    # The state of the record this version shows (render/record_store.py); its figures are
    # what the mails carry. None in manifests written before the record existed.
    record_key: Key | None = None
    links: SiteLinks
    # Manifests written before the record existed carry no mailing: every municipality.
    mailing: Mailing = Mailing(kind="publication")


def manifest_key(version: str) -> str:
    return f"v/{version}/manifest.json"


def read_manifest(raw: bytes | None, *, version: str, extract_id: str) -> Manifest:
    """The version's manifest, checked to be the announced extract's."""
    key = manifest_key(version)
    if raw is None:
        raise ManifestError(f"{key} does not exist: version {version} was never published")
    try:
        manifest = Manifest.model_validate(json.loads(raw))
    except ValueError as exc:
        why = describe(exc) if isinstance(exc, ValidationError) else str(exc)
        raise ManifestError(f"{key} is not a valid manifest: {why}") from None
    if manifest.extract_id != extract_id or manifest.version != version:
        raise ManifestError(
            f"{key} is the manifest of extract {manifest.extract_id[:12]}, the event announced "
            f"{extract_id[:12]}: refused"
        )
    return manifest
