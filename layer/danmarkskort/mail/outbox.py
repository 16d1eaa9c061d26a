"""Where every sent (or dry-run) mail is also kept as an .eml file: the audit trail in the
data bucket, ``notifications/<extract-id>/<kommunekode>.eml``, and the hook the local chain
uses to fill ``out/outbox/`` (``export_outbox``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from danmarkskort.ports import BlobStore

PREFIX = "notifications/"


def eml_key(extract_id: str, kommunekode: str) -> str:
    return f"{PREFIX}{extract_id}/{kommunekode}.eml"


def summary_key(extract_id: str) -> str:
    return f"{PREFIX}{extract_id}/summary.json"


@dataclass
class BucketOutbox:
    """Writes each mail to the data bucket (ports.MailOutbox)."""

    bucket: BlobStore

    def write(self, extract_id: str, kommunekode: str, raw: bytes) -> str:
        return self.bucket.put(eml_key(extract_id, kommunekode), raw, content_type="message/rfc822")

    def write_summary(self, extract_id: str, summary: dict[str, Any]) -> str:
        body = json.dumps(summary, ensure_ascii=False, indent=1)
        return self.bucket.put(
            summary_key(extract_id), body, content_type="application/json; charset=utf-8"
        )


def export_outbox(bucket: BlobStore, extract_id: str, directory: Path) -> list[Path]:
    """Copy the extract's mails to ``directory/<kommunekode>.eml`` (the local chain's outbox)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key in sorted(bucket.keys(f"{PREFIX}{extract_id}/")):
        if key.endswith(".eml"):
            target = directory / key.rsplit("/", 1)[1]
            target.write_bytes(bucket.get(key))
            written.append(target)
    return written
