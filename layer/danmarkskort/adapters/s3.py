"""S3 as the pipeline uses it (ports.BlobStore): bytes in, bytes out, every object with an
explicit Content-Type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".eml": "message/rfc822",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".geojson": "application/geo+json; charset=utf-8",
}


# A conditional write lost: the key exists (or another write to it is in flight).
TAKEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


def content_type_for(key: str) -> str:
    """Content-Type by extension; unknown types are served as opaque bytes, never sniffed."""
    dot = key.rfind(".")
    return TEXT_TYPES.get(key[dot:].lower() if dot >= 0 else "", "application/octet-stream")


@dataclass
class Bucket:
    """One S3 bucket. Create with a client so tests can hand in a moto-backed one."""

    name: str
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # on first use: importing boto3 costs more than the rest of the handler

            self.client = boto3.client("s3")

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def get_or_none(self, key: str) -> bytes | None:
        try:
            return self.get(key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                return None
            raise

    def sha256(self, key: str) -> str:
        """The object's SHA-256, streamed: an extract over the size limit never sits in memory."""
        body = self.client.get_object(Bucket=self.name, Key=key)["Body"]
        digest = hashlib.sha256()
        for chunk in body.iter_chunks(8 * 1024 * 1024):
            digest.update(chunk)
        return digest.hexdigest()

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.name, Key=key)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.name, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise
        return True

    def put(
        self,
        key: str,
        body: bytes | str,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra: dict[str, Any] = {"ContentType": content_type or content_type_for(key)}
        if cache_control:
            extra["CacheControl"] = cache_control
        if metadata:
            extra["Metadata"] = metadata
        self.client.put_object(Bucket=self.name, Key=key, Body=data, **extra)
        return key

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def create(self, key: str, body: bytes | str, *, content_type: str | None = None) -> bool:
        data = body.encode("utf-8") if isinstance(body, str) else body
        try:
            self.client.put_object(
                Bucket=self.name,
                Key=key,
                Body=data,
                ContentType=content_type or content_type_for(key),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {
                "PreconditionFailed",
                "ConditionalRequestConflict",
            }:
                return False
            raise
        return True

    def copy_in(
        self,
        source_key: str,
        target_key: str,
        metadata: dict[str, str],
        *,
        content_type: str | None = None,
    ) -> str:
        """Server-side copy, so large extracts are archived without passing through memory."""
        self.client.copy_object(
            Bucket=self.name,
            Key=target_key,
            CopySource={"Bucket": self.name, "Key": source_key},
            Metadata=metadata,
            MetadataDirective="REPLACE",
            ContentType=content_type or content_type_for(target_key),
        )
        return target_key

    def keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return [
            obj["Key"]
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]

    def resolve_key(self, key: str) -> str:
        """EventBridge may deliver the key raw or URL-encoded: use whichever form exists."""
        if self.exists(key):
            return key
        decoded = unquote_plus(key)
        if decoded != key and self.exists(decoded):
            return decoded
        raise FileNotFoundError(f"s3://{self.name}/{key} does not exist (also tried {decoded!r})")
