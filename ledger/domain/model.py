"""The envelope types every layer shares: an event to append and an event as stored.

Times are integers: microseconds since 1970-01-01T00:00:00Z (UTC). Integers compare and sort
fast, index well on both engines, and carry no time-zone ambiguity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]

ERRATA_TYPES = frozenset({"RecordCorrected", "RecordVoided"})


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span of time `[start, end)` in UTC microseconds."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Prepared:
    """What an event's hash and rows need that depends on the event alone, worked out ahead
    of the append (an import does it on its second core while the first writes): the salt,
    the data_hash over salt and data, the occurred interval as the hash spells it, the data as
    stored JSON, and its own search texts."""

    salt: str
    data_hash: str
    occurred_texts: tuple[str, str] | None
    data_json: str | None = None  # the data as the store writes it (compact JSON text)
    texts: tuple[tuple[int, int | None, str], ...] | None = None  # its search rows: field, item, text
    archives: tuple[tuple[str, str], ...] = ()  # (field path, digest) of each archive it names
    metadata_jcs: bytes | None = None  # the metadata's RFC 8785 bytes, where orjson's are exact
    metadata_json: str | None = None  # the metadata as the store writes it


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A validated event on its way into the log."""

    event_id: str
    type: str
    claim_id: str
    occurred: Interval | None  # None for errata: the store sets it to recorded_at
    data: JSONObject
    metadata: JSONObject = field(default_factory=dict)
    schema_version: int = 1
    expected_version: int | None = None
    salt: str | None = None  # hex; kept from an export line, else the store draws one
    recorded_at: int | None = None  # kept only under --keep-recorded-at
    line: int | None = None  # input line, for error messages
    prepared: Prepared | None = None  # from ledger.store.prepare: worked out ahead

    @property
    def is_erratum(self) -> bool:
        return self.type in ERRATA_TYPES


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log holds it: the full envelope."""

    position: int
    event_id: str
    type: str
    claim_id: str
    version: int
    schema_version: int
    occurred_from: int
    occurred_to: int
    recorded_at: int
    data: JSONObject
    metadata: JSONObject
    salt: str
    prev_hash: str
    hash: str

    @property
    def is_erratum(self) -> bool:
        return self.type in ERRATA_TYPES


@dataclass(frozen=True, slots=True)
class Head:
    """The last event of the log (position 0 and the zero hash when empty)."""

    position: int
    hash: str
    recorded_at: int | None


ZERO_HASH = "0" * 64
EMPTY_HEAD = Head(position=0, hash=ZERO_HASH, recorded_at=None)
