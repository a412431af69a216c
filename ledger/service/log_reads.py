"""`ledger log`: the global log after a position, as full envelopes."""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import InvalidInput
from ledger.store.port import EventStore


def read_log(
    store: EventStore,
    *,
    claim: str | None = None,
    type: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The global log after a position, as full envelopes."""
    from ledger.codec import envelope_dict

    if type is not None:
        check_event_type(type)
    return [
        envelope_dict(e)
        for e in store.read_after(after, claim_id=claim, type=type, limit=limit)
    ]


def check_event_type(name: str) -> None:
    """A `--type` filter names a type of the catalogue: a typo must not read as "none yet"."""
    import difflib

    from ledger.service.vocabulary import EVENT_TYPES

    if name in EVENT_TYPES:
        return
    close = difflib.get_close_matches(name, list(EVENT_TYPES), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise InvalidInput(
        f"unknown event type '{name}'; {hint}the types are {', '.join(EVENT_TYPES)}", field="type"
    )
