"""The round's documents in the data bucket, read and written through the BlobStore port
(hoering/round.py has the layout). Every read is checked: a damaged document is a
RoundError naming its key, never an empty round."""

from __future__ import annotations

from danmarkskort.hoering.round import (
    CURRENT_KEY,
    AuditEntry,
    Comment,
    CurrentRound,
    Round,
    RoundError,
    audit_key,
    comment_key,
    comments_prefix,
    dump_doc,
    parse_doc,
    round_key,
)
from danmarkskort.ports import BlobStore

JSON = "application/json"


class RoundStore:
    def __init__(self, data: BlobStore) -> None:
        self.data = data

    def current(self) -> CurrentRound | None:
        """The round that exists now, or None when no round was ever opened."""
        raw = self.data.get_or_none(CURRENT_KEY)
        return None if raw is None else parse_doc(raw, CurrentRound, CURRENT_KEY)

    def set_current(self, current: CurrentRound) -> None:
        self.data.put(CURRENT_KEY, dump_doc(current), content_type=JSON)

    def round(self, round_id: str) -> Round:
        key = round_key(round_id)
        doc = parse_doc(self.data.get_or_none(key), Round, key)
        if doc.round_id != round_id:
            raise RoundError(f"{key}: round_id is {doc.round_id!r}, not {round_id!r}")
        return doc

    def put_round(self, doc: Round) -> bool:
        """Write round.json once; False when it exists already (a retry: keep the first)."""
        return self.data.create(round_key(doc.round_id), dump_doc(doc), content_type=JSON)

    def comment(self, round_id: str, kommunekode: str) -> Comment | None:
        key = comment_key(round_id, kommunekode)
        raw = self.data.get_or_none(key)
        return None if raw is None else parse_doc(raw, Comment, key)

    def comments(self, round_id: str) -> dict[str, Comment]:
        """Every municipality's comment now, by kommunekode."""
        out: dict[str, Comment] = {}
        for key in self.data.keys(comments_prefix(round_id)):
            doc = parse_doc(self.data.get(key), Comment, key)
            if key != comment_key(round_id, doc.kommunekode) or doc.round_id != round_id:
                raise RoundError(f"{key}: holds the comment of {doc.round_id}/{doc.kommunekode}")
            out[doc.kommunekode] = doc
        return out

    def save_comment(self, comment: Comment, audit: AuditEntry, nonce: str) -> str:
        """The audit entry first (a new key each time, never overwritten), then the comment
        itself: a failure in between leaves the trail complete and the old comment whole.
        Returns the audit entry's key."""
        key = audit_key(audit.round_id, audit.kommunekode, audit.received, nonce)
        if not self.data.create(key, dump_doc(audit), content_type=JSON):
            raise RoundError(f"{key}: exists already (the nonce must be new for each entry)")
        self.data.put(
            comment_key(comment.round_id, comment.kommunekode), dump_doc(comment), content_type=JSON
        )
        return key
