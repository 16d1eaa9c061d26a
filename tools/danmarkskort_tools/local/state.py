"""A local AWS that lasts between commands: `danmarkskort run|demo --state DIR` (docs/design.md
§7, "Local state").

moto keeps its in-process AWS in memory only. After a command, this module saves what the
stack holds — every object of every bucket and every item of every table of template.yaml —
into DIR; the next command restores it into its fresh moto resources (LocalAws.seed: after
the buckets and tables exist, before S3 sends events or any rule exists, so restoring
triggers nothing) and only then uploads its extract. Consecutive commands thus behave like
consecutive uploads to one deployed stack: compute's idempotency record and notify's ledger
(both in the state table, kept exactly, TTL attribute `expiration` included) make a repeated
extract publish and send nothing, and a new one adds its site version next to the others.

Layout of DIR, format version 1 (FORMAT_VERSION):

    state.json                     written last, by an atomic rename: format, format_version,
                                   saved, snapshot (the directory below), stack (name, region,
                                   account), buckets {LogicalId: {name, objects, bytes}},
                                   tables {LogicalId: {name, items}}, queues
    .lock                          held (flock) while a command uses DIR
    <snapshot>/s3/<LogicalId>/index.json
                                   {"bucket": name, "objects": [{key, file, size, sha256,
                                   headers {ContentType, CacheControl, ...}, metadata}]}
    <snapshot>/s3/<LogicalId>/objects/<key>     the object's bytes, the key as the path
    <snapshot>/s3/<LogicalId>/hashed/<sha256 of the key>
                                   the bytes of a key that cannot be a path (a folder marker
                                   ending in "/", "..", a key that is another key's folder, a
                                   name differing only in case or Unicode form)
    <snapshot>/dynamodb/<LogicalId>.jsonl
                                   one item per line, {"Item": {...}} in DynamoDB JSON
                                   (binary values base64), as DynamoDB's export to S3 writes it
    <snapshot>/secrets.json        {LogicalId: value} of the template's generated secrets (the
                                   round key), so links of earlier invitations still open;
                                   local only, like everything here

Resources are keyed by the template's logical ids, so a bucket or table whose physical name
changed still restores; a state holding a resource the template no longer has is refused.
A save writes a new snapshot directory (first as .incomplete-<id>), then replaces state.json
atomically, then removes the older snapshots: an interrupted command leaves the previous
state whole. Every body's size and SHA-256 are checked before anything is restored; a
damaged state is refused, never silently replaced by a fresh one.

Not kept: EventBridge Scheduler's schedules (locally a round is published by `danmarkskort
publish`, the deadline's schedule only exists in the cloud); queues (the Dispatcher drains
every queue; a save checks that none holds a message and refuses otherwise), noncurrent
object versions and delete markers of the versioned data bucket, LastModified times
(restored objects are new to moto), SES's record of sent messages; buses, rules, the SES
identity and IAM users are rebuilt from template.yaml by every command.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import ClientError, ParamValidationError

from danmarkskort_tools.local.aws import LocalAws
from danmarkskort_tools.local.template import Stack

FORMAT = "danmarkskort-local-state"
FORMAT_VERSION = 1
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
INCOMPLETE = ".incomplete-"
SNAPSHOT = re.compile(r"snapshot-\d{8}T\d{6}Z-[0-9a-f]{8}")
BUCKET = "AWS::S3::Bucket"
TABLE = "AWS::DynamoDB::Table"
SECRET = "AWS::SecretsManager::Secret"  # noqa: S105 (a resource type)
# What put_object takes back exactly as get_object reports it (besides Metadata).
HEADERS = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
)
MAX_NAME_BYTES = 200  # per path segment; file systems allow 255
ATTRIBUTE_KINDS = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}
QUEUES_NOTE = (
    "not kept: every queue was empty when this state was saved (the dispatcher drains them "
    "and a save with a message left is refused)"
)


class StateError(RuntimeError):
    """DIR cannot be used as a local state, or the state cannot be saved; names the path."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    file: str  # relative to the bucket's directory in the snapshot
    size: int
    sha256: str
    headers: dict[str, str]
    metadata: dict[str, str]


@dataclass
class Snapshot:
    """A saved state read from DIR and checked whole before anything is restored."""

    directory: Path
    buckets: dict[str, list[StoredObject]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # boto3 low-level
    # The generated secrets (the round key: the links of earlier invitations must still
    # open); a state saved before they existed has none, and keeps the new ones.
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def objects(self) -> int:
        return sum(len(objects) for objects in self.buckets.values())

    @property
    def items(self) -> int:
        return sum(len(items) for items in self.tables.values())

    def restore(self, aws: LocalAws) -> None:
        """Put every object and item into the fresh resources of the same logical ids."""
        s3 = aws.client("s3")
        for lid, objects in self.buckets.items():
            bucket = aws.stack.physical_name(lid)
            base = self.directory / "s3" / lid
            for obj in objects:
                body = _read_checked(base, obj)
                try:
                    s3.put_object(
                        Bucket=bucket, Key=obj.key, Body=body, Metadata=obj.metadata, **obj.headers
                    )
                except (ClientError, ParamValidationError) as exc:
                    raise StateError(
                        f"{base / obj.file}: cannot be restored into s3://{bucket}/{obj.key} "
                        f"({exc})"
                    ) from exc
        for lid, value in self.secrets.items():
            aws.client("secretsmanager").put_secret_value(
                SecretId=aws.stack.physical_name(lid), SecretString=value
            )
        dynamodb = aws.client("dynamodb")
        for lid, items in self.tables.items():
            table = aws.stack.physical_name(lid)
            for item in items:
                try:
                    dynamodb.put_item(TableName=table, Item=item)
                except (ClientError, ParamValidationError) as exc:
                    raise StateError(
                        f"{self.directory / 'dynamodb' / f'{lid}.jsonl'}: an item cannot be "
                        f"restored into table {table} ({exc})"
                    ) from exc


@dataclass(frozen=True)
class Saved:
    objects: int
    items: int


class LocalState:
    """DIR as a local state: check it, lock it, load it, save into it.

    Use as `with LocalState(d) as state: snapshot = state.load(stack) ... state.save(aws)`;
    entering refuses a directory that is not a state before creating anything in it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock: IO[str] | None = None

    @property
    def state_file(self) -> Path:
        return self.directory / STATE_FILE

    # ------------------------------------------------------------------ lock
    def __enter__(self) -> LocalState:
        self.check()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / LOCK_FILE).open("a", encoding="utf-8")
        except OSError as exc:
            raise StateError(f"{self.directory}: cannot be used as a local state ({exc})") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StateError(
                f"{self.directory}: in use by another danmarkskort command (it holds "
                f"{self.directory / LOCK_FILE}; `serve --state` holds it while it runs): "
                "stop that command first"
            ) from None
        self._lock = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def check(self) -> None:
        """Refuse, without touching it, a DIR that is neither new, empty nor a state."""
        d = self.directory
        if not d.exists():
            return
        if not d.is_dir():
            raise StateError(f"{d}: not a directory")
        if self.state_file.exists():
            return
        foreign = sorted(p.name for p in d.iterdir() if not _own_leftover(p.name))
        if any(SNAPSHOT.fullmatch(name) for name in foreign):
            raise StateError(
                f"{self.state_file}: missing, but {d} holds a saved snapshot: the state is "
                f"damaged; remove {d} to start afresh"
            )
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise StateError(
                f"{d}: not a local state (no {STATE_FILE}) and not empty ({shown}); give a new "
                "or empty directory, or one an earlier --state wrote"
            )

    # ------------------------------------------------------------------ load
    def load(self, stack: Stack) -> Snapshot | None:
        """The saved state, checked file by file; None when DIR holds none yet."""
        self.check()
        if not self.state_file.exists():
            return None
        doc = _read_json(self.state_file)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateError(f"{self.state_file}: not a danmarkskort local state")
        version = doc.get("format_version")
        if version != FORMAT_VERSION:
            raise StateError(
                f"{self.state_file}: a local state of format version {version!r}; this "
                f"danmarkskort reads version {FORMAT_VERSION} only. Use another --state "
                f"directory, or remove {self.directory} to start afresh"
            )
        name = doc.get("snapshot")
        if not isinstance(name, str) or not SNAPSHOT.fullmatch(name):
            raise StateError(f"{self.state_file}: damaged (no valid 'snapshot')")
        snapshot = Snapshot(self.directory / name)
        if not snapshot.directory.is_dir():
            raise StateError(f"{snapshot.directory}: missing; the state is damaged")
        for kind, section in ((BUCKET, "buckets"), (TABLE, "tables")):
            entries = doc.get(section)
            if not isinstance(entries, dict):
                raise StateError(f"{self.state_file}: damaged (no valid {section!r})")
            for lid, about in entries.items():
                if lid not in stack.resources or stack.resources[lid].get("Type") != kind:
                    raise StateError(
                        f"{self.state_file}: holds {kind} {lid}, which template.yaml does not "
                        f"have; use another --state directory, or remove {self.directory}"
                    )
                if kind == BUCKET:
                    snapshot.buckets[lid] = self._load_bucket(snapshot.directory, lid, about)
                else:
                    snapshot.tables[lid] = self._load_table(snapshot.directory, lid, about)
        snapshot.secrets = self._load_secrets(snapshot.directory, doc.get("secrets", {}), stack)
        return snapshot

    def _load_secrets(self, directory: Path, about: Any, stack: Stack) -> dict[str, str]:
        path = directory / "secrets.json"
        if not about:
            return {}
        doc = _read_json(path)
        if not isinstance(about, dict) or not isinstance(doc, dict) or set(doc) != set(about):
            raise StateError(f"{path}: does not hold the secrets {self.state_file} lists")
        out = {}
        for lid, value in doc.items():
            if lid not in stack.resources or stack.resources[lid].get("Type") != SECRET:
                raise StateError(
                    f"{self.state_file}: holds {SECRET} {lid}, which template.yaml does not "
                    f"have; use another --state directory, or remove {self.directory}"
                )
            if not isinstance(value, str) or not value:
                raise StateError(f"{path}: the secret {lid} is damaged")
            out[lid] = value
        return out

    def _load_bucket(self, directory: Path, lid: str, about: Any) -> list[StoredObject]:
        base = directory / "s3" / lid
        index = base / "index.json"
        doc = _read_json(index)
        try:
            objects = [
                StoredObject(
                    key=_text(entry["key"]),
                    file=_text(entry["file"]),
                    size=int(entry["size"]),
                    sha256=_text(entry["sha256"]),
                    headers={h: _text(v) for h, v in entry["headers"].items() if h in HEADERS},
                    metadata={_text(k): _text(v) for k, v in entry["metadata"].items()},
                )
                for entry in doc["objects"]
            ]
            expected = int(about["objects"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"{index}: damaged ({type(exc).__name__}: {exc})") from exc
        if len(objects) != expected:
            raise StateError(
                f"{index}: lists {len(objects)} objects, {self.state_file} {expected}: damaged"
            )
        for obj in objects:
            _read_checked(base, obj)
        return objects

    def _load_table(self, directory: Path, lid: str, about: Any) -> list[dict[str, Any]]:
        path = directory / "dynamodb" / f"{lid}.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{path}: cannot be read ({exc}); the state is damaged") from exc
        items = []
        for number, line in enumerate(lines, 1):
            try:
                items.append(_decode_item(json.loads(line)["Item"]))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StateError(f"{path}, line {number}: damaged ({exc})") from exc
        try:
            expected = int(about["items"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{self.state_file}: damaged (table {lid}: {exc})") from exc
        if len(items) != expected:
            raise StateError(
                f"{path}: holds {len(items)} items, {self.state_file} {expected}: damaged"
            )
        return items

    # ------------------------------------------------------------------ save
    def save(self, aws: LocalAws) -> Saved:
        """Everything the stack's buckets and tables hold now, as the new state of DIR."""
        if self._lock is None:
            raise StateError(f"{self.directory}: not locked; use `with LocalState(...)`")
        left = aws.pending()
        if left:
            waiting = ", ".join(f"{queue}: {n}" for queue, n in sorted(left.items()))
            raise StateError(
                f"{self.directory}: not saved, messages are still queued ({waiting}); the "
                "previous state is unchanged"
            )
        now = dt.datetime.now(dt.UTC)
        token = uuid.uuid4().hex[:8]
        name = f"snapshot-{now:%Y%m%dT%H%M%SZ}-{token}"
        work = self.directory / f"{INCOMPLETE}{token}"
        final = self.directory / name
        committed = False
        try:
            buckets = {
                lid: _save_bucket(aws, lid, work / "s3" / lid) for lid in aws.stack.of_type(BUCKET)
            }
            tables = {
                lid: _save_table(aws, lid, work / "dynamodb" / f"{lid}.jsonl")
                for lid in aws.stack.of_type(TABLE)
            }
            kept = {lid: aws.secret(lid) for lid in aws.stack.of_type(SECRET)}
            (work / "secrets.json").write_text(json.dumps(kept, indent=1), encoding="utf-8")
            work.rename(final)
            doc = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "saved": now.isoformat(timespec="seconds"),
                "snapshot": name,
                "stack": {
                    "name": aws.stack.name,
                    "region": aws.stack.region,
                    "account": aws.stack.account,
                },
                "buckets": buckets,
                "tables": tables,
                "secrets": {lid: {"name": aws.stack.physical_name(lid)} for lid in kept},
                "queues": {"checked": aws.queue_count(), "messages": 0, "note": QUEUES_NOTE},
            }
            _write_atomically(self.state_file, json.dumps(doc, ensure_ascii=False, indent=1))
            committed = True
        except OSError as exc:
            raise StateError(
                f"{self.directory}: the state could not be saved ({exc}); the previous state "
                "is unchanged"
            ) from exc
        finally:
            if not committed:
                shutil.rmtree(work, ignore_errors=True)
                shutil.rmtree(final, ignore_errors=True)
        for old in self.directory.iterdir():
            if old.name != name and (
                SNAPSHOT.fullmatch(old.name) or old.name.startswith(INCOMPLETE)
            ):
                shutil.rmtree(old, ignore_errors=True)
        return Saved(
            objects=sum(b["objects"] for b in buckets.values()),
            items=sum(t["items"] for t in tables.values()),
        )


# ---------------------------------------------------------------------- S3
def _save_bucket(aws: LocalAws, lid: str, base: Path) -> dict[str, Any]:
    s3 = aws.client("s3")
    bucket = aws.stack.physical_name(lid)
    keys = aws.keys(bucket)
    files = file_names(keys)
    entries = []
    total = 0
    for key in keys:
        obj = s3.get_object(Bucket=bucket, Key=key)
        body = obj["Body"].read()
        path = base / files[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        total += len(body)
        entries.append(
            {
                "key": key,
                "file": files[key],
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "headers": {h: obj[h] for h in HEADERS if obj.get(h)},
                "metadata": dict(obj.get("Metadata") or {}),
            }
        )
    base.mkdir(parents=True, exist_ok=True)
    index = {"bucket": bucket, "objects": entries}
    (base / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=0), "utf-8")
    return {"name": bucket, "objects": len(entries), "bytes": total}


def file_names(keys: list[str]) -> dict[str, str]:
    """Where each key's bytes go under the bucket's directory: objects/<key> when the key can
    be a path on any file system (also case- and normalisation-insensitive ones), otherwise
    hashed/<sha256 of the key>. The index maps keys to files; no key is derived from a path."""

    def fold(path: str) -> str:
        return unicodedata.normalize("NFC", path).casefold()

    def usable(key: str) -> bool:
        return all(
            part not in ("", ".", "..")
            and "\\" not in part
            and "\0" not in part
            and len(part.encode("utf-8")) <= MAX_NAME_BYTES
            for part in key.split("/")
        )

    plain = [key for key in keys if usable(key)]
    folders = {fold(key.rsplit("/", n)[0]) for key in plain for n in range(1, key.count("/") + 1)}
    taken: set[str] = set()
    names: dict[str, str] = {}
    for key in keys:
        folded = fold(key)
        if usable(key) and folded not in folders and folded not in taken:
            taken.add(folded)
            names[key] = f"objects/{key}"
        else:
            names[key] = f"hashed/{hashlib.sha256(key.encode('utf-8')).hexdigest()}"
    return names


def _read_checked(base: Path, obj: StoredObject) -> bytes:
    path = (base / obj.file).resolve()
    if not path.is_relative_to(base.resolve()):
        raise StateError(f"{base / 'index.json'}: {obj.file!r} lies outside {base}: damaged")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise StateError(f"{path}: cannot be read ({exc}); the state is damaged") from exc
    if len(body) != obj.size or hashlib.sha256(body).hexdigest() != obj.sha256:
        raise StateError(
            f"{path}: not the bytes that were saved for s3 key {obj.key!r} (size or SHA-256 "
            "differs); the state is damaged"
        )
    return body


# ---------------------------------------------------------------------- DynamoDB
def _save_table(aws: LocalAws, lid: str, path: Path) -> dict[str, Any]:
    table = aws.stack.physical_name(lid)
    keys = [k["AttributeName"] for k in aws.stack.properties(lid)["KeySchema"]]
    paginator = aws.client("dynamodb").get_paginator("scan")
    items = [
        item
        for page in paginator.paginate(TableName=table, ConsistentRead=True)
        for item in page.get("Items", [])
    ]
    encoded = sorted(
        (_encode_item(item) for item in items),
        key=lambda item: json.dumps([item.get(k) for k in keys], sort_keys=True),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps({"Item": item}, ensure_ascii=False) + "\n" for item in encoded),
        encoding="utf-8",
    )
    return {"name": table, "items": len(items)}


def _encode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _encode(value) for name, value in item.items()}


def _encode(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "M":
        return {"M": _encode_item(inner)}
    if kind == "L":
        return {"L": [_encode(v) for v in inner]}
    return {kind: inner}


def _decode_item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not item:
        raise ValueError("an item is an object of attributes")
    return {_text(name): _decode(value) for name, value in item.items()}


def _decode(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"not a DynamoDB attribute value: {value!r}")
    ((kind, inner),) = value.items()
    if kind not in ATTRIBUTE_KINDS:
        raise ValueError(f"unknown DynamoDB type {kind!r}")
    if kind == "B":
        return {"B": base64.b64decode(inner, validate=True)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b, validate=True) for b in inner]}
    if kind == "M":
        return {"M": _decode_item(inner) if inner else {}}
    if kind == "L":
        return {"L": [_decode(v) for v in inner]}
    if kind in ("S", "N"):
        return {kind: _text(inner)}
    if kind in ("SS", "NS"):
        return {kind: [_text(v) for v in inner]}
    if not isinstance(inner, bool):  # BOOL, NULL
        raise ValueError(f"{kind} takes true or false, not {inner!r}")
    return {kind: inner}


# ---------------------------------------------------------------------- files
def _own_leftover(name: str) -> bool:
    """What a state directory may hold before its first save completed."""
    return name == LOCK_FILE or name.startswith(INCOMPLETE) or name == f".{STATE_FILE}.tmp"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {value!r}")
    return value


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StateError(f"{path}: cannot be read ({exc}); the state is damaged") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise StateError(f"{path}: not valid JSON ({exc}); the state is damaged") from exc


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)
