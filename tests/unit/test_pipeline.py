"""Validation on a second core gives what validating line after line gives: the same events,
in order, or the same first refusal (its line and field)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any

import orjson
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.jsonline import parse_json_line
from ledger.domain.model import NewEvent
from ledger.domain.time import format_instant
from ledger.service.log import validate_lines
from ledger.service.pipeline import mapped_chunks

GOOD = {
    "type": "ClaimMade",
    "claim_id": "c-1",
    "occurred_at": "2023-11-02",
    "data": {"claimant": "Wall Street Journal", "statement": "a statement"},
}
# Each kind of line: valid, or refused by the JSON reader or by the event's validation.
_LINES = {
    "good": lambda n: orjson.dumps({**GOOD, "event_id": f"0193c4f0-7c2a-7b3e-9a1d-{n:012d}"}),
    "not json": lambda n: b'{"type": ',
    "no claimant": lambda n: orjson.dumps({**GOOD, "data": {"statement": "s"}}),
    "bad date": lambda n: orjson.dumps({**GOOD, "occurred_at": "2023-13-45"}),
}


def _model(lines: list[tuple[int, bytes]]) -> tuple[str, Any]:
    """Line after line, in this process: the reference."""
    events = []
    try:
        for number, line in lines:
            events.append(validate_event(parse_json_line(line, number), line=number))
    except InvalidInput as exc:
        return "refused", (exc.reason, exc.field, exc.line)
    return "ok", events


def _unprepared(event: NewEvent) -> NewEvent:
    """The event without what the worker worked out ahead, once that is checked against the
    hash rule as written (RFC 8785 bytes of the data after the salt; the times as exported)."""
    prepared = event.prepared
    assert prepared is not None and len(prepared.salt) == 32
    assert prepared.data_hash == hashlib.sha256(
        bytes.fromhex(prepared.salt) + rfc8785.dumps(event.data)
    ).hexdigest()
    occurred = event.occurred
    assert occurred is not None
    assert prepared.occurred_texts == (format_instant(occurred.start), format_instant(occurred.end))
    return dataclasses.replace(event, prepared=None)


def _piped(lines: list[tuple[int, bytes]], size: int) -> tuple[str, Any]:
    work = functools.partial(validate_lines, tz=None, keep_recorded_at=False)
    events = []
    try:
        for chunk in mapped_chunks(iter(lines), work, size=size, parallel=True):
            events.extend(_unprepared(e) for e in chunk)
    except InvalidInput as exc:
        return "refused", (exc.reason, exc.field, exc.line)
    return "ok", events


@settings(max_examples=12, deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from(["good"] * 6 + ["not json", "no claimant", "bad date"]), max_size=30
    ),
    size=st.integers(1, 7),
)
def test_the_worker_validates_as_the_reference_does(kinds: list[str], size: int) -> None:
    lines = [(n, _LINES[kind](n)) for n, kind in enumerate(kinds, start=1)]
    assert _piped(lines, size) == _model(lines)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["good", "timeless", "big", "metadata"]), max_size=12),
)
def test_packed_events_come_back_equal(kinds: list[str]) -> None:
    # The worker's events travel as tuples with their data as JSON text; the writer must get
    # back exactly the events (and the prepared parts) the worker built.
    from ledger.domain.model import Interval
    from ledger.store.prepare import pack, prepare, unpack

    events = []
    for n, kind in enumerate(kinds):
        data: dict[str, Any] = {"claimant": "Wall Street Journal", "statement": f"s{n}",
                                "tags": ["a", "é"], "n": 1.5}
        if kind == "big":  # orjson writes no integer beyond 64 bits: it travels as a dict
            data["count"] = 2**70
        events.append(prepare(NewEvent(
            f"0193c4f0-7c2a-7b3e-9a1d-{n:012d}", "ClaimMade", "c-1",
            None if kind == "timeless" else Interval(n, n + 10), data,
            {"recorded_by": "me"} if kind == "metadata" else {}, line=n + 1,
        )))  # fmt: skip
    assert unpack(pack(events)) == events
