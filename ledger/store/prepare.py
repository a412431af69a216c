"""What an event's append needs that depends on the event alone, worked out ahead of it.

The chain serialises only the final sha256 of each envelope (it covers the previous hash and
the position). Everything else the writer would compute per event (the salt, the data_hash
over salt and data, the occurred texts, the data as stored JSON, the event's own search texts)
an import's validation worker computes on the second core (ledger.service.pipeline); the
writer then chains with `codec.prepared_hash` and writes the prepared text as it is.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.codec import data_hash, metadata_bytes, new_salt
from ledger.domain.evidence import archives_named
from ledger.domain.model import Interval, NewEvent, Prepared
from ledger.domain.time import format_instant
from ledger.store.search_index import own_texts


def prepare(event: NewEvent) -> NewEvent:
    """The event with its salt drawn and the rest worked out (see the module's docstring).

    Filled in place: the worker calls it on the event it has just validated, which nothing
    else holds yet, and a second construction (dataclasses.replace) cost a third of this.
    """
    salt = event.salt or new_salt()
    occurred = event.occurred
    times = None if occurred is None else (format_instant(occurred.start), format_instant(occurred.end))
    texts = own_texts(event.type, event.data)
    metadata = event.metadata
    prepared = Prepared(
        salt, data_hash(salt, event.data), times, _stored_json(event.data), texts,
        tuple(archives_named(event.data)), metadata_bytes(metadata),
        "{}" if not metadata else _stored_json(metadata),
    )  # fmt: skip
    object.__setattr__(event, "prepared", prepared)  # frozen: see the docstring
    return event


def _stored_json(data: dict[str, Any]) -> str | None:
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # what orjson cannot write, the store writes its own way
        return None


#: One prepared event as the worker sends it: plain values and the data as its JSON text.
#: Pickling the events themselves (frozen dataclasses holding dicts) cost 26 us an event
#: there and back; these tuples 6 us, and parsing the text again in the writer 2 us more.
Packed = tuple[Any, ...]


def pack(events: list[NewEvent]) -> list[Packed]:
    """Prepared events as tuples for the trip to the writer's process (see `unpack`)."""
    out: list[Packed] = []
    for e in events:
        p = e.prepared
        assert p is not None, "only prepared events travel packed"
        occurred = e.occurred
        out.append((
            e.event_id, e.type, e.claim_id,
            None if occurred is None else occurred.start, None if occurred is None else occurred.end,
            # The data travels as its stored text; only what orjson cannot write goes as is.
            None if p.data_json is not None else e.data,
            e.metadata, e.schema_version, e.expected_version, e.salt, e.recorded_at, e.line,
            p.salt, p.data_hash, p.occurred_texts, p.data_json, p.texts, p.archives,
            p.metadata_jcs, p.metadata_json,
        ))  # fmt: skip
    return out


def unpack(rows: list[Packed]) -> list[NewEvent]:
    """The events `pack` was given, equal field for field."""
    loads = orjson.loads
    out: list[NewEvent] = []
    for (event_id, type_, claim_id, start, end, data, metadata, schema_version, expected_version,
         salt, recorded_at, line, p_salt, data_hash_, times, data_json, texts, archives,
         metadata_jcs, metadata_json) in rows:  # fmt: skip
        out.append(NewEvent(
            event_id, type_, claim_id, None if start is None else Interval(start, end),
            loads(data_json) if data is None else data, metadata, schema_version,
            expected_version, salt, recorded_at, line,
            Prepared(p_salt, data_hash_, times, data_json, texts, archives, metadata_jcs,
                     metadata_json),
        ))  # fmt: skip
    return out
