"""The manifest of one published site version (v/<version>/manifest.json): written by
render_site's publish step, read by notify_municipalities for the links it puts in mails.

notify trusts this file in the site bucket, not the SitePublished event: a forged event on
the bus can name a version, but only render_site can write what that version links to.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, ValidationError

from danmarkskort.events import ExtractId, Key, SiteLinks, describe


class ManifestError(ValueError):
    """The manifest of a published version is missing, damaged or of another extract."""


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    extract_id: ExtractId
    version: str
    figures_key: Key
    links: SiteLinks


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
