"""What an event's append needs that depends on the event alone, worked out ahead of it.

The chain serialises only the final sha256 of each envelope (it covers the previous hash and
the position). Everything else the writer would compute per event (the salt, the data_hash
over salt and data, the occurred texts, the data as stored JSON, the event's own search texts)
an import's validation worker computes on the second core (ledger.service.pipeline); the
writer then chains with `codec.prepared_hash` and writes the prepared text as it is.
"""

from __future__ import annotations

import orjson

from ledger.codec import data_hash, new_salt
from ledger.domain.model import NewEvent, Prepared
from ledger.domain.time import format_instant
from ledger.store.search_index import FIELD_CODES, texts_of


def prepare(event: NewEvent) -> NewEvent:
    """The event with its salt drawn and the rest worked out (see the module's docstring).

    Filled in place: the worker calls it on the event it has just validated, which nothing
    else holds yet, and a second construction (dataclasses.replace) cost a third of this.
    """
    salt = event.salt or new_salt()
    occurred = event.occurred
    times = None if occurred is None else (format_instant(occurred.start), format_instant(occurred.end))
    texts = tuple(
        (FIELD_CODES[name], item, text)
        for (name, item), text in texts_of(event.type, event.data).items()
    )
    prepared = Prepared(salt, data_hash(salt, event.data), times, _stored_json(event.data), texts)
    object.__setattr__(event, "prepared", prepared)  # frozen: see the docstring
    return event


def _stored_json(data: dict) -> str | None:  # type: ignore[type-arg]
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # what orjson cannot write, the store writes its own way
        return None
