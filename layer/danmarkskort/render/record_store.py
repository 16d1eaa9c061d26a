"""Where the system of record lives: the data bucket's record/ prefix.

Every state of the record is kept, immutable, as record/states/<seq>.json (written only if
it does not exist yet, so two writers cannot both make state n); record/current.json names
the state in force, and nothing but that pointer is ever overwritten, so every earlier
state of the published figures stays readable. A state is written before its site is
published (notify reads it through the manifest) and made current after, so a failed
publication leaves the record as it was, and its retry writes the very same state again
(merging is deterministic). render_site is the only writer (one publication at a time:
reserved concurrency 1).

S3 objects rather than the state table: a state is a few hundred KB to a few MB (10 years ×
3 areas × 99 records plus the change log), above DynamoDB's 400 KB item limit, and S3 keeps
the history with the rest of the data bucket's records (extracts/, results/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from danmarkskort.domain.figures import covered
from danmarkskort.domain.record import Record, RecordError, load_record, record_to_json
from danmarkskort.ports import BlobStore

PREFIX = "record/"
CURRENT = PREFIX + "current.json"
JSON = "application/json; charset=utf-8"


def state_key(seq: int) -> str:
    return f"{PREFIX}states/{seq:06d}.json"


@dataclass
class RecordStore:
    bucket: BlobStore  # the data bucket

    def load(self) -> Record:
        """The record in force; an empty one before the first publication; RecordError (an
        alarm, never an empty site) when the pointer or the state it names is damaged."""
        raw = self.bucket.get_or_none(CURRENT)
        if raw is None:
            if self.bucket.keys(PREFIX + "states/"):
                raise RecordError(
                    f"{CURRENT} is missing but {PREFIX}states/ holds states: the record is "
                    "damaged (restore the pointer to the newest state)"
                )
            return Record()
        try:
            pointer = json.loads(raw)
            seq = int(pointer["seq"])
            if seq == 0:  # set up by the first publication, which has not been made yet
                return Record()
            key = str(pointer["key"])
        except (ValueError, TypeError, KeyError) as exc:
            raise RecordError(f"{CURRENT} is damaged: {exc!r}") from None
        if key != state_key(seq):
            raise RecordError(f"{CURRENT} names {key!r}, not the state of seq {seq}")
        state = self.bucket.get_or_none(key)
        if state is None:
            raise RecordError(f"{CURRENT} names {key}, which does not exist")
        record = load_record(state, key)
        if record.seq != seq:
            raise RecordError(f"{key} holds seq {record.seq}, {CURRENT} says {seq}")
        return record

    def write(self, record: Record) -> str:
        """Store a new state (not yet in force); returns its key. Writing the same state again
        (a retry) is fine; a different state under the same number means another writer."""
        key = state_key(record.seq)
        body = record_to_json(record)
        if record.seq == 1:
            # Before the first state: a pointer to "nothing yet", so that from now on a
            # missing pointer always means damage, even if this publication fails.
            self.bucket.create(CURRENT, json.dumps({"seq": 0, "key": None}), content_type=JSON)
        if not self.bucket.create(key, body, content_type=JSON):
            existing = self.bucket.get(key).decode("utf-8")
            if existing != body:
                raise RecordError(
                    f"{key} was written by another publication at the same time; the retry "
                    "merges again on top of it"
                )
        return key

    def make_current(self, record: Record) -> None:
        """The state in force from now on (after its site is published). The pointer also
        names the published years and how many municipalities each covers, for compute
        (published_years, published_coverage)."""
        pointer = {
            "seq": record.seq,
            "key": state_key(record.seq),
            "years": list(record.years),
            "coverage": {str(aar): len(codes) for aar, codes in covered(record.figures).items()},
        }
        self.bucket.put(CURRENT, json.dumps(pointer), content_type=JSON)


def published_coverage(bucket: BlobStore) -> dict[int, int]:
    """Per published year, the municipalities with a case, from the pointer; empty for a
    pointer written before it said so (compute then has nothing to compare with)."""
    raw = bucket.get_or_none(CURRENT)
    try:
        stated = json.loads(raw).get("coverage") if raw is not None else None
        return {int(aar): int(n) for aar, n in (stated or {}).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def published_years(bucket: BlobStore) -> tuple[int, ...]:
    """The years published now, from the pointer alone (cheap: compute asks it for every
    extract). Empty before the first publication or when the pointer says nothing."""
    raw = bucket.get_or_none(CURRENT)
    try:
        years = json.loads(raw).get("years") if raw is not None else None
        return tuple(sorted(int(y) for y in years or ()))
    except (ValueError, TypeError, AttributeError):
        return ()  # damage is render's to report (RecordError); compute only informs
