"""Atomic publishing of a rendered site into a bucket.

Order is the point: every versioned object first (immutable, under v/<version>/), then the
version's manifest, then the entry points (short cache) with index.html last of all. A
failure before the entry points leaves the previous site fully in place; the new version's
partial objects are unreachable from it and are simply rewritten on retry.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from danmarkskort.ports import BlobStore
from danmarkskort.render.manifest import manifest_key
from danmarkskort.render.site import ENTRY, IMMUTABLE, JSON, Site

VERSIONS_KEY = "versions.json"
WORKERS = 16  # S3 puts are latency-bound; boto3 clients may be shared between threads


def publish_site(
    bucket: BlobStore, site: Site, *, about: dict[str, Any], now: str | None = None
) -> dict[str, Any]:
    """Write the site; returns what was written (for SitePublished and the logs)."""
    now = now or datetime.now(UTC).isoformat(timespec="seconds")
    prefix = site.prefix
    written: list[str] = []
    for f in site.files:
        written.append(
            bucket.put(
                prefix + f.path, f.body, content_type=f.content_type, cache_control=IMMUTABLE
            )
        )
    manifest = {
        **about,
        "version": site.version,
        "published": now,
        "files": [prefix + f.path for f in site.files],
        "entry_points": [f.path for f in site.entry_points],
    }
    written_manifest = bucket.put(
        manifest_key(site.version),
        json.dumps(manifest, ensure_ascii=False, indent=1),
        content_type=JSON,
        cache_control=IMMUTABLE,
    )
    # Entry points: from here on readers see the new version. index.html goes last.
    entries = sorted(site.entry_points, key=lambda f: f.path == "index.html")
    with ThreadPoolExecutor(WORKERS) as pool:
        list(
            pool.map(
                lambda f: bucket.put(
                    f.path, f.body, content_type=f.content_type, cache_control=ENTRY
                ),
                entries[:-1],
            )
        )
    versions = _versions(bucket)
    versions = [v for v in versions if v.get("version") != site.version]
    versions.insert(0, {**about, "version": site.version, "published": now, "prefix": prefix})
    bucket.put(
        VERSIONS_KEY,
        json.dumps({"current": site.version, "versions": versions}, ensure_ascii=False, indent=1),
        content_type=JSON,
        cache_control=ENTRY,
    )
    last = entries[-1]
    bucket.put(last.path, last.body, content_type=last.content_type, cache_control=ENTRY)
    return {
        "version": site.version,
        "prefix": prefix,
        "manifest": written_manifest,
        "versions": VERSIONS_KEY,
        "index": last.path,
        "files": len(written) + 1,
        "entry_points": len(entries) + 1,
    }


def _versions(bucket: BlobStore) -> list[dict[str, Any]]:
    raw = bucket.get_or_none(VERSIONS_KEY)
    if raw is None:
        return []
    try:
        doc = json.loads(raw)
        return [v for v in doc.get("versions", []) if isinstance(v, dict)]
    except (ValueError, AttributeError):
        # A damaged index must not block publishing; the version prefixes stay addressable.
        return []
