"""Atomic publishing of a rendered site into a bucket.

Order is the point: every versioned object first (immutable, under v/<version>/), then the
version's manifest, then the entry points (short cache) with index.html last of all. A
failure before the entry points leaves the previous site fully in place; the new version's
partial objects are unreachable from it and are simply rewritten on retry. A failure while
the entry points are written (even one that persists, such as a key S3 keeps refusing) is
rolled back: each entry point already written gets its previous content again (or is
removed when it is new), so readers see the previous site whole, and the invocation fails
to be retried.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import Any

from danmarkskort.ports import BlobStore
from danmarkskort.render.manifest import manifest_key
from danmarkskort.render.site import ENTRY, IMMUTABLE, JSON, Site, SiteFile

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
    # Entry points: from here on readers see the new version. index.html goes last. What
    # they held before is kept, so a failure on the way (even one that persists) is rolled
    # back and the previous site stays whole.
    entries = sorted(site.entry_points, key=lambda f: f.path == "index.html")
    before = _snapshot(bucket, [*(f.path for f in entries), VERSIONS_KEY])
    done: list[str] = []
    try:
        _put_entries(bucket, entries[:-1], done)
        versions = _versions(before[VERSIONS_KEY])
        versions = [v for v in versions if v.get("version") != site.version]
        versions.insert(0, {**about, "version": site.version, "published": now, "prefix": prefix})
        body = json.dumps(
            {"current": site.version, "versions": versions}, ensure_ascii=False, indent=1
        )
        bucket.put(VERSIONS_KEY, body, content_type=JSON, cache_control=ENTRY)
        done.append(VERSIONS_KEY)
        last = entries[-1]
        bucket.put(last.path, last.body, content_type=last.content_type, cache_control=ENTRY)
        done.append(last.path)
    except BaseException as exc:
        types = {f.path: f.content_type for f in entries} | {VERSIONS_KEY: JSON}
        _roll_back(bucket, before, done, types, exc)
        raise
    return {
        "version": site.version,
        "prefix": prefix,
        "manifest": written_manifest,
        "versions": VERSIONS_KEY,
        "index": last.path,
        "files": len(written) + 1,
        "entry_points": len(entries) + 1,
    }


def _put_entries(bucket: BlobStore, entries: list[SiteFile], done: list[str]) -> None:
    """Write entry points in parallel; `done` lists those written, even when one fails."""
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {
            pool.submit(
                bucket.put, f.path, f.body, content_type=f.content_type, cache_control=ENTRY
            ): f.path
            for f in entries
        }
        failure: BaseException | None = None
        for future in as_completed(futures):
            error = future.exception()
            if error is None:
                done.append(futures[future])
            elif failure is None:
                failure = error
    if failure is not None:
        raise failure


def _snapshot(bucket: BlobStore, keys: list[str]) -> dict[str, bytes | None]:
    """What the entry points hold now (None: not there yet)."""
    with ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(keys, pool.map(bucket.get_or_none, keys), strict=True))


def _roll_back(
    bucket: BlobStore,
    before: dict[str, bytes | None],
    done: list[str],
    types: dict[str, str],
    cause: BaseException,
) -> None:
    """Put back what the written entry points held (best effort: each failure is noted on
    the exception that stopped the publication, which then fails the invocation)."""
    for key in done:
        old = before.get(key)
        try:
            if old is None:
                bucket.delete(key)
            else:
                bucket.put(key, old, content_type=types[key], cache_control=ENTRY)
        except Exception as exc:  # the publication has failed already; say what is left
            cause.add_note(f"rolling back {key} failed too: {exc!r}")


def _versions(raw: bytes | None) -> list[dict[str, Any]]:
    if raw is None:
        return []
    try:
        doc = json.loads(raw)
        return [v for v in doc.get("versions", []) if isinstance(v, dict)]
    except (ValueError, AttributeError):
        # A damaged index must not block publishing; the version prefixes stay addressable.
        return []
