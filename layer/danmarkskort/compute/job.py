"""One uploaded extract through compute: archive, evaluate once, publish figures or a report.

The edge around `compute.evaluate`: it owns the S3 keys and the order of writes, and is
handed its ports (blob store, event publisher, once-per-extract) so tests and the local
chain can drive it with moto.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from danmarkskort.compute.evaluate import (
    Evaluation,
    evaluate,
    extract_id,
    received_text,
    too_large_report,
)
from danmarkskort.config.sources import BucketSource, ConfigSource, layered
from danmarkskort.domain.figures import WHOLE_COUNTRY
from danmarkskort.events import ExtractRejected, ObjectCreatedEvent, RatesComputed
from danmarkskort.ports import BlobStore, EventPublisher, Once, always
from danmarkskort.render.record_store import published_coverage, published_years

INCOMING_PREFIX = "incoming/"
ARCHIVE = "extracts/{id}/{name}"
RESULTS = "results/{id}/"
REJECTED = "rejected/{id}/"
ARCHIVE_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    """What the S3 'Object Created' event tells us."""

    bucket: str
    key: str
    time: dt.datetime


class ComputeFailed(RuntimeError):
    """A bug, not a bad file: the invocation fails (retries, failure queue, alarm) and no
    idempotency record is kept, so the same extract is computed again once the bug is fixed."""


class NotAnExtract(ValueError):
    """The event points outside incoming/: never processed (it would be recursion)."""


def upload_from_event(event: ObjectCreatedEvent) -> Upload:
    return Upload(bucket=event.detail.bucket.name, key=event.detail.object.key, time=event.time)


# The configuration files compute reads: a change in them may change the verdict.
COMPUTE_CONFIG = ("areas.json", "udtraek.json")


def config_version(config: ConfigSource) -> str:
    """A fingerprint of the configuration compute judges an extract under."""
    digest = hashlib.sha256()
    for name in COMPUTE_CONFIG:
        digest.update(name.encode() + b"\0" + (config.read(name) or b"") + b"\0")
    return digest.hexdigest()[:16]


def _note_older_years(ev: Evaluation, published: tuple[int, ...]) -> None:
    """Say in the report when the extract brings years older than the newest published one:
    they join the archive, and the front page keeps showing the newest year."""
    if not published or ev.figures is None:
        return
    newest = max(published)
    older = [y for y in ev.figures.years if y < newest]
    if older and max(ev.figures.years) < newest:
        years = ", ".join(str(y) for y in older)
        ev.report.warning(
            "older_than_published",
            f"Udtrækket dækker {years}, som er ældre end det nyeste offentliggjorte år "
            f"({newest}). Tallene for {years} indgår i arkivet (som rettelse, hvis de "
            f"afviger fra de offentliggjorte); forsiden viser fortsat {newest}.",
        )


# S3's limits: a key is at most 1,024 bytes of UTF-8; the user metadata of an object at
# most 2 KB, counted as the UTF-8 bytes of every key and value (counted here with the
# 'x-amz-meta-' prefix of each key, so the limit is kept however S3 counts).
MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
META_PREFIX = "x-amz-meta-"
CUT = "…"  # marks where a name was shortened
MAX_EXTENSION_BYTES = 16  # '.csv', '.xlsx'; a longer "extension" is part of the name


@dataclass(frozen=True)
class Archived:
    """Where the original is kept, and whether its name had to be shortened to fit S3."""

    key: str
    shortened: bool


def fit_name(name: str, max_bytes: int) -> str:
    """The name in at most max_bytes of UTF-8: cut at a character boundary before its
    extension, the cut marked with '…'; a name that fits is kept as it is."""
    if len(name.encode()) <= max_bytes:
        return name
    stem, ext = posixpath.splitext(name)
    if len(ext.encode()) > MAX_EXTENSION_BYTES:
        stem, ext = name, ""
    room = max_bytes - len(ext.encode()) - len(CUT.encode())
    return stem.encode()[: max(room, 0)].decode("utf-8", "ignore") + CUT + ext


def archive_key(ident: str, key: str) -> str:
    """extracts/<id>/<name>, the name shortened so the key fits in S3's 1,024 bytes."""
    prefix = ARCHIVE.format(id=ident, name="")
    return prefix + fit_name(posixpath.basename(key), MAX_KEY_BYTES - len(prefix.encode()))


def metadata_size(meta: dict[str, str]) -> int:
    return sum(len((META_PREFIX + k).encode()) + len(v.encode()) for k, v in meta.items())


def archive_metadata(key: str, received: str, ident: str) -> dict[str, str]:
    """source-key (the upload's key in ASCII, '\\xe6' for 'æ') and received. A source-key
    that would take the metadata over 2 KB is cut at a character (never inside an escape
    such as '\\U0001f600') and ends in '...'; source-key-shortened then says where the
    full key is."""
    escaped = key.encode("ascii", "backslashreplace").decode()
    meta = {"source-key": escaped, "received": received}
    if metadata_size(meta) <= MAX_METADATA_BYTES:
        return meta
    meta = {
        "source-key": "",
        "received": received,
        "source-key-shortened": f"full key in results/{ident}/validation.json "
        f"or rejected/{ident}/report.json (facts.source_key)",
    }
    room = MAX_METADATA_BYTES - metadata_size(meta) - len("...")
    kept, used = [], 0
    for char in key:
        piece = char.encode("ascii", "backslashreplace").decode()
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    meta["source-key"] = "".join(kept) + "..."
    return meta


def _refuse_partial_over_complete(ev: Evaluation, published: dict[int, int]) -> Evaluation:
    """A deliberately partial extract of a year already published for the whole country is
    refused: it would replace the year, and every municipality outside it would show 'no
    cases'. A correction of such a year is a complete extract."""
    if ev.figures is None:
        return ev
    clashes = [
        (aar, n, published[aar])
        for aar, n in sorted(ev.figures.coverage.items())
        if n < WHOLE_COUNTRY and published.get(aar, 0) >= WHOLE_COUNTRY
    ]
    for aar, n, before in clashes:
        ev.report.error(
            "partial_over_complete",
            f"{aar} er offentliggjort fra et udtræk for hele landet ({before} af de 98 "
            f"kommuner har sager), men dette udtræk dækker kun {n}. Et delvist udtræk kan "
            "ikke erstatte et fuldt: de øvrige kommuners tal ville blive vist som «ingen "
            f"sager». Send et rettet udtræk for hele landet for {aar}.",
        )
    return replace(ev, figures=None) if clashes else ev


def archive(bucket: BlobStore, key: str, ident: str, data: bytes | None, received: str) -> Archived:
    """Keep the original before anything else happens; a repeat upload keeps the first copy.
    Key and metadata always fit S3's limits; the full name then stands in the report."""
    target = archive_key(ident, key)
    meta = archive_metadata(key, received, ident)
    shortened = target != ARCHIVE.format(id=ident, name=posixpath.basename(key)) or (
        "source-key-shortened" in meta
    )
    existing = bucket.keys(f"extracts/{ident}/")
    if existing:
        return Archived(existing[0], shortened)
    # The original bytes in whatever encoding they came: never labelled as UTF-8 text.
    if data is None:
        return Archived(bucket.copy_in(key, target, meta, content_type=ARCHIVE_TYPE), shortened)
    return Archived(bucket.put(target, data, content_type=ARCHIVE_TYPE, metadata=meta), shortened)


def _note_archive(ev: Evaluation, job: dict[str, Any]) -> None:
    """The report's facts say where the original is kept, and, when S3's limits shortened
    its name, the full upload key (the name in full is also the report's extract_file)."""
    ev.report.facts["archive"] = job["archive"]
    if job.get("shortened"):
        ev.report.facts["source_key"] = job["key"]
        ev.report.facts["archive_note"] = (
            "Filnavnet er for langt til S3's grænser (nøgler højst 1.024 bytes, metadata højst "
            "2 KB) og er forkortet i arkivet; det fulde navn står i denne rapport."
        )


@dataclass
class ComputeJob:
    bucket: BlobStore  # the data bucket: incoming/, extracts/, results/, rejected/, config/
    bus: EventPublisher
    lav_n_threshold: int
    max_bytes: int
    once: Once = always
    identified: Callable[[str], None] = field(default=lambda _ident: None)  # correlation id

    def run(self, upload: Upload) -> dict[str, Any]:
        if upload.bucket != self.bucket.name:
            raise NotAnExtract(
                f"s3://{upload.bucket}/{upload.key} is not in the data bucket {self.bucket.name}"
            )
        if not upload.key.startswith(INCOMING_PREFIX):
            raise NotAnExtract(f"s3://{upload.bucket}/{upload.key} is not under {INCOMING_PREFIX}")
        if upload.key.endswith("/"):
            # A folder marker (the S3 console's "Create folder" under incoming/), not a file:
            # rejecting it would archive an empty "extract" and raise a false alarm.
            return {"status": "ignored", "key": upload.key, "keys": {}}
        key = self.bucket.resolve_key(upload.key)
        # S3's event time, in UTC; evaluate judges dates by its Danish date.
        received = upload.time.astimezone(dt.UTC).isoformat(timespec="seconds")
        size = self.bucket.size(key)
        data = None if size > self.max_bytes else self.bucket.get(key)
        ident = self.bucket.sha256(key) if data is None else extract_id(data)
        self.identified(ident)
        archived = archive(self.bucket, key, ident, data, received)
        job = {
            "extract_id": ident,
            # Judged once per extract *and* configuration: a re-upload after a rejection
            # that the configuration caused is judged again under the corrected one.
            "config": config_version(self.config),
            "key": key,
            "archive": archived.key,
            "shortened": archived.shortened,
            "received": received,
        }
        return self.once(self._process)(job=job, data=data, size=size)

    @property
    def config(self) -> ConfigSource:
        return layered(BucketSource(self.bucket))

    def _process(self, job: dict[str, Any], data: bytes | None, size: int) -> dict[str, Any]:
        figures = RESULTS.format(id=job["extract_id"]) + "figures.json"
        if self.bucket.exists(figures):
            # Accepted already (under another configuration): its figures stand, published
            # once; a new configuration is no reason to publish the same extract again.
            return {"status": "unchanged", "extract_id": job["extract_id"], "keys": {}}
        name = posixpath.basename(job["key"])
        received = dt.datetime.fromisoformat(job["received"])
        if data is None:
            report = too_large_report(size, self.max_bytes)
            report.facts["received"] = received_text(received)
            evaluation = Evaluation(job["extract_id"], name, job["received"], report, None)
        else:
            evaluation = evaluate(
                data,
                name,
                config=self.config,
                lav_n_threshold=self.lav_n_threshold,
                max_bytes=self.max_bytes,
                received=received,
            )
        _note_archive(evaluation, job)
        if evaluation.accepted and evaluation.figures is not None:
            _note_older_years(evaluation, published_years(self.bucket))
            evaluation = _refuse_partial_over_complete(evaluation, published_coverage(self.bucket))
        if evaluation.report.has("internal_error"):
            raise ComputeFailed(evaluation.report_text())
        if evaluation.accepted:
            return self._publish(evaluation)
        return self._reject(evaluation, job["archive"])

    def _publish(self, ev: Evaluation) -> dict[str, Any]:
        if ev.figures is None:
            raise ComputeFailed(f"extract {ev.extract_id[:12]} was accepted without figures")
        prefix = RESULTS.format(id=ev.extract_id)
        keys = {
            "figures_csv": self.bucket.put(prefix + "figures.csv", ev.figures_csv()),
            "validation": self.bucket.put(prefix + "validation.json", ev.report_json()),
            # figures.json last: its presence means the results are complete.
            "figures_json": self.bucket.put(prefix + "figures.json", ev.figures.to_json()),
        }
        detail = RatesComputed(
            extract_id=ev.extract_id,
            extract_file=ev.extract_file,
            received=ev.received,
            years=list(ev.figures.years),
            bucket=self.bucket.name,
            keys=keys,
            warnings=ev.report.n_warnings,
            rows=int(ev.report.facts.get("rows", 0)),
            municipalities=int(ev.report.facts.get("municipalities", 0)),
        )
        self.bus.emit(detail)
        return {"status": "published", **detail.to_detail()}

    def _reject(self, ev: Evaluation, archived: str) -> dict[str, Any]:
        prefix = REJECTED.format(id=ev.extract_id)
        keys = {
            "report_txt": self.bucket.put(prefix + "report.txt", ev.report_text()),
            "report_json": self.bucket.put(prefix + "report.json", ev.report_json()),
            "archive": archived,
        }
        detail = ExtractRejected(
            extract_id=ev.extract_id,
            extract_file=ev.extract_file,
            received=ev.received,
            bucket=self.bucket.name,
            keys=keys,
            problems=ev.report.n_errors,
        )
        self.bus.emit(detail)
        return {"status": "rejected", **detail.to_detail()}
