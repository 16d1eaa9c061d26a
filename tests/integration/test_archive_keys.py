"""Upload names at S3's limits, through the real compute handler under moto.

S3 refuses a key over 1,024 bytes of UTF-8 (KeyTooLongError) and user metadata over 2 KB,
counted as the UTF-8 bytes of every key and value (MetadataTooLarge). moto enforces neither,
so the S3 calls here are checked against those limits on their way out (botocore's
provide-client-params hook), and the lengths are asserted once more on what was written.
A 1,000-byte name and an emoji-heavy name must be archived, reported and published whole.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import DATA_BUCKET
from tests.integration.test_compute_rates import CASES, load_handler, object_created
from tests.integration.test_compute_rates import lambda_context as compute_context

MAX_KEY = 1024
MAX_METADATA = 2048
CHECKED = ("PutObject", "CopyObject", "CreateMultipartUpload")


def metadata_bytes(meta: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in meta.items())


class S3Limits:
    """Refuses, as S3 does, a write whose key or user metadata is over the limit."""

    def __init__(self) -> None:
        self.written: list[tuple[str, dict[str, str]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        if model.name not in CHECKED:
            return
        key, meta = params["Key"], params.get("Metadata", {})
        if len(key.encode()) > MAX_KEY:
            raise _refused("KeyTooLongError", model.name, len(key.encode()))
        if metadata_bytes(meta) > MAX_METADATA or not all(
            (k + v).isascii() for k, v in meta.items()
        ):
            raise _refused("MetadataTooLarge", model.name, metadata_bytes(meta))
        self.written.append((key, dict(meta)))


def _refused(code: str, operation: str, size: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{size} bytes"}}, operation)


@pytest.fixture
def limits(aws: Any) -> Iterator[S3Limits]:
    """Every client made from boto3's default session from now on (the handler's) checks."""
    check = S3Limits()
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("provide-client-params.s3", check)
    yield check
    session.events.unregister("provide-client-params.s3", check)


def small_extracts(aws: Any) -> None:
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/udtraek.json", Body=b'{"min_kommuner": 1}')


def name_of_bytes(n: int, ext: str = ".csv") -> str:
    """A Danish name of exactly n bytes of UTF-8 (mixing one- and two-byte characters)."""
    text = ""
    for char in "Udtræk for Dragør og Tårnby – ændringer og ophævelser " * 40:
        if len((text + char + ext).encode()) > n:
            break
        text += char
    text += "x" * (n - len((text + ext).encode()))
    name = text + ext
    assert len(name.encode()) == n
    return name


LONG = name_of_bytes(1000)
EMOJI = "Udtræk 😀" + "🇩🇰" * 120 + "👩‍👩‍👧" * 2 + ".csv"  # 1,012 bytes; over 2 KB escaped


def test_the_names_are_what_the_test_says() -> None:
    assert len(("incoming/" + LONG).encode()) <= MAX_KEY  # S3 accepted the upload
    assert len(("incoming/" + EMOJI).encode()) <= MAX_KEY
    assert len(f"extracts/{'0' * 64}/{LONG}".encode()) > MAX_KEY  # the naive archive key
    escaped = ("incoming/" + EMOJI).encode("ascii", "backslashreplace")
    assert len(escaped) > MAX_METADATA  # the naive source-key metadata


def run(aws: Any, name: str, body: bytes) -> dict[str, Any]:
    key = "incoming/" + name
    aws.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
    result: dict[str, Any] = load_handler()(object_created(key), compute_context())
    return result


def report_of(aws: Any, result: dict[str, Any]) -> dict[str, Any]:
    key = result["keys"].get("validation") or result["keys"]["report_json"]
    return json.loads(aws.s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())


def assert_within_limits(aws: Any, limits: S3Limits) -> None:
    assert limits.written, "the hook saw no write: it is not in force"
    for key, meta in limits.written:
        assert len(key.encode()) <= MAX_KEY
        assert metadata_bytes(meta) <= MAX_METADATA
    listed = aws.s3.list_objects_v2(Bucket=DATA_BUCKET)["Contents"]
    for obj in listed:
        assert len(obj["Key"].encode()) <= MAX_KEY
        head = aws.s3.head_object(Bucket=DATA_BUCKET, Key=obj["Key"])
        assert metadata_bytes(head["Metadata"]) <= MAX_METADATA


def archived(aws: Any, ident: str) -> tuple[str, dict[str, str]]:
    [key] = aws.keys(DATA_BUCKET, f"extracts/{ident}/")
    return key, aws.s3.head_object(Bucket=DATA_BUCKET, Key=key)["Metadata"]


def assert_shortened_from(archive_key: str, ident: str, name: str) -> None:
    """extracts/<id>/<name cut at a character, '…', extension>, as long as S3 allows."""
    prefix = f"extracts/{ident}/"
    assert archive_key.startswith(prefix)
    short = archive_key[len(prefix) :]
    stem, ext = posixpath.splitext(name)
    assert short.endswith("…" + ext)
    assert stem.startswith(short[: -len("…" + ext)])
    assert MAX_KEY - 4 < len(archive_key.encode()) <= MAX_KEY  # cut no shorter than needed


def test_a_1000_byte_name_is_archived_under_a_key_that_fits_and_published_whole(
    aws: Any, limits: S3Limits
) -> None:
    small_extracts(aws)
    result = run(aws, LONG, CASES.encode())
    assert result["status"] == "published", result
    ident = result["extract_id"]
    key, meta = archived(aws, ident)
    assert_shortened_from(key, ident, LONG)
    # The metadata has room for this name: kept in full there.
    assert meta["source-key"] == ("incoming/" + LONG).encode("ascii", "backslashreplace").decode()
    assert "source-key-shortened" not in meta
    # In full in the report, the figures and the event.
    report = report_of(aws, result)
    assert report["extract_file"] == LONG
    assert report["facts"]["archive"] == key
    assert report["facts"]["source_key"] == "incoming/" + LONG
    assert "forkortet i arkivet" in report["facts"]["archive_note"]
    figures = json.loads(
        aws.s3.get_object(Bucket=DATA_BUCKET, Key=result["keys"]["figures_json"])["Body"].read()
    )
    assert figures["extract_file"] == LONG
    [event] = aws.bus_events()
    assert event["detail"]["extract_file"] == LONG
    assert_within_limits(aws, limits)


def test_an_emoji_name_keeps_metadata_within_2_kb_and_the_full_key_in_the_report(
    aws: Any, limits: S3Limits
) -> None:
    """Rejected (a partial delivery under the bundled config): the rejection's keys fit too."""
    result = run(aws, EMOJI, CASES.encode())
    assert result["status"] == "rejected", result
    ident = result["extract_id"]
    key, meta = archived(aws, ident)
    assert_shortened_from(key, ident, EMOJI)
    escaped = ("incoming/" + EMOJI).encode("ascii", "backslashreplace").decode()
    assert meta["source-key"].endswith("...")
    kept = meta["source-key"][: -len("...")]
    assert escaped.startswith(kept) and len(kept) > 1000
    # Cut between characters, never inside an escape such as \\U0001f1e9.
    assert kept.encode().decode("unicode_escape").encode("utf-16", "surrogatepass")
    assert ("incoming/" + EMOJI).startswith(kept.encode().decode("unicode_escape"))
    assert f"rejected/{ident}/report.json" in meta["source-key-shortened"]
    assert meta["received"] == "2025-03-02T10:15:00+00:00"
    report = report_of(aws, result)
    assert report["extract_file"] == EMOJI
    assert report["facts"]["source_key"] == "incoming/" + EMOJI
    assert result["keys"]["archive"] == key
    assert_within_limits(aws, limits)


def test_a_large_extract_copied_server_side_keeps_to_the_limits_too(
    aws: Any, limits: S3Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_EXTRACT_BYTES", "100")
    result = run(aws, EMOJI, CASES.encode())
    assert result["status"] == "rejected"
    assert [e["code"] for e in report_of(aws, result)["errors"]] == ["too_large"]
    key, meta = archived(aws, result["extract_id"])
    assert_shortened_from(key, result["extract_id"], EMOJI)
    assert "source-key-shortened" in meta
    assert any(k == key for k, _ in limits.written)  # the copy went through the check
    assert_within_limits(aws, limits)


def test_an_ordinary_name_is_kept_as_it_is(aws: Any, limits: S3Limits) -> None:
    small_extracts(aws)
    result = run(aws, "Udtræk 2024.csv", CASES.encode())
    key, meta = archived(aws, result["extract_id"])
    assert key == f"extracts/{result['extract_id']}/Udtræk 2024.csv"
    assert meta == {"source-key": "incoming/Udtr\\xe6k 2024.csv", "received": meta["received"]}
    report = report_of(aws, result)
    assert "source_key" not in report["facts"] and "archive_note" not in report["facts"]
    assert_within_limits(aws, limits)


def test_the_hook_refuses_what_s3_refuses(aws: Any, limits: S3Limits) -> None:
    """The check above can fail: the naive archive key and metadata are refused."""
    client = boto3.client("s3")
    with pytest.raises(ClientError, match="KeyTooLongError"):
        client.put_object(Bucket=DATA_BUCKET, Key=f"extracts/{'0' * 64}/{LONG}", Body=b"x")
    escaped = ("incoming/" + EMOJI).encode("ascii", "backslashreplace").decode()
    with pytest.raises(ClientError, match="MetadataTooLarge"):
        client.put_object(Bucket=DATA_BUCKET, Key="x", Body=b"x", Metadata={"source-key": escaped})
