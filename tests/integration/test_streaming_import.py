"""A streamed import: chunks planned and written inside one transaction, all or nothing.

The stream must store exactly what one append of the whole input stores (the reference path),
refuse exactly what it refuses, and on a refusal anywhere, even after many chunks, store nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger.service.log as service_log
from ledger.domain.errors import LedgerError
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service import Ledger, open_ledger
from ledger.store.memory import MemoryStore
from ledger.verify import verify_events
from tests.integration.conftest import StepClock

START = 1_704_067_200_000_000


def _line(kind: str, claim: str, eid: str, **data: Any) -> dict[str, Any]:
    if kind == "made":
        body = {"claimant": "Wall Street Journal", "statement": f"statement {claim}"}
        line = {"type": "ClaimMade", "claim_id": claim, "occurred_at": "2023-11-02"}
    elif kind == "denied":
        body = {"denier": "Dmitry Peskov (Kremlin)"}
        line = {"type": "ClaimDenied", "claim_id": claim, "occurred_at": "2023-11-03"}
    else:  # an erratum of an earlier event
        body = {"reason": "recorded twice"}
        line = {"type": "RecordVoided", "claim_id": claim}
    body.update(data)
    return {"event_id": eid, **line, "data": body}


# -- the stream against the reference path (one append of the whole input) ------------------

# Each step: a new claim, an event on an earlier claim, the same line again (skipped), an
# earlier id with other content (refused), a void of an earlier event (once per target;
# a second void of it is refused), or an expected_version that may be wrong.
_step = st.tuples(
    st.sampled_from(["made", "denied", "again", "clash", "void", "expect"]),
    st.integers(min_value=0, max_value=10_000),
)


def _events(steps: list[tuple[str, int]]) -> list[NewEvent]:
    lines: list[dict[str, Any]] = []
    for number, (kind, pick) in enumerate(steps, start=1):
        earlier = [ln for ln in lines if ln["type"] != "RecordVoided"]
        if kind == "made" or not earlier:
            line = _line("made", f"c{pick % 5}", str(uuid.UUID(int=number)))
        elif kind == "again":
            line = dict(lines[pick % len(lines)])
        elif kind == "clash":
            line = _line("made", "c-other", lines[pick % len(lines)]["event_id"])
        elif kind == "void":
            target = earlier[pick % len(earlier)]
            line = _line("void", target["claim_id"], str(uuid.UUID(int=number)),
                         target_event_id=target["event_id"])
        elif kind == "expect":
            line = _line("denied", earlier[pick % len(earlier)]["claim_id"],
                         str(uuid.UUID(int=number)))
            line["expected_version"] = pick % 4
        else:
            line = _line("denied", earlier[pick % len(earlier)]["claim_id"],
                         str(uuid.UUID(int=number)))
        lines.append(line)
    # A salt per line, so that both paths draw the same envelopes and hashes.
    return [
        dataclasses.replace(validate_event(line, line=n), salt=f"{n:032x}")
        for n, line in enumerate(lines, start=1)
    ]


def _split(events: list[NewEvent], cuts: list[int]) -> Iterator[list[NewEvent]]:
    bounds = sorted({c % (len(events) + 1) for c in cuts} | {0, len(events)})
    for low, high in zip(bounds, bounds[1:]):
        yield events[low:high]


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", run()
    except LedgerError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(_step, min_size=1, max_size=40), cuts=st.lists(st.integers(0, 60), max_size=8))
def test_a_stream_in_any_chunks_stores_what_one_append_stores(
    steps: list[tuple[str, int]], cuts: list[int]
) -> None:
    events = _events(steps)
    whole, streamed = MemoryStore(clock=StepClock()), MemoryStore(clock=StepClock())
    prior = _events([("made", 7)])  # a log that is not empty: its head starts the chain
    whole.append(prior)
    streamed.append(prior)

    expected = _outcome(lambda: whole.append(events))
    got = _outcome(lambda: streamed.append_stream(_split(events, cuts)))

    assert got[0] == expected[0]
    if expected[0] != "ok":
        assert got[1] == expected[1]  # the same refusal, naming the same line
    else:
        result = expected[1]
        assert (got[1].added, got[1].skipped, got[1].lines) == (
            len(result.added), len(result.skipped), len(events),
        )
    assert list(streamed.read_after(0)) == list(whole.read_after(0))
    assert verify_events(list(streamed.read_after(0))).ok


# -- all or nothing on both engines, through the service's import -----------------------------


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Chunks of 7 events: a few hundred lines make many chunks."""
    monkeypatch.setattr(service_log, "IMPORT_CHUNK", 7)
    return 7


def _ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def _many(count: int) -> list[dict[str, Any]]:
    return [_line("made", f"c{i % 50}", str(uuid.UUID(int=i + 1))) for i in range(count)]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "memory":
        yield Ledger(store=MemoryStore())
        return
    url = str(tmp_path / "ledger.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_ledger(url)
    try:
        yield opened
    finally:
        opened.close()


def test_a_bad_last_line_after_many_chunks_stores_nothing(ledger: Ledger, small_chunks: int) -> None:
    lines = _many(300)
    data = _ndjson(lines) + b'{"type": "ClaimMade", "claim_id": "x"}\n'
    with pytest.raises(LedgerError, match="line 301"):
        ledger.import_ndjson(data)
    assert ledger.store.head().position == 0
    assert list(ledger.store.read_after(0)) == []
    # The same input without its bad line then imports whole, once.
    report = ledger.import_ndjson(_ndjson(lines))
    assert (report["added"], report["first_position"], report["last_position"]) == (300, 1, 300)


def test_a_clash_with_a_line_many_chunks_earlier_stores_nothing(
    ledger: Ledger, small_chunks: int
) -> None:
    lines = _many(200)
    clash = _line("made", "c-other", lines[3]["event_id"])
    with pytest.raises(LedgerError, match="line 201"):
        ledger.import_ndjson(_ndjson([*lines, clash]))
    assert ledger.store.head().position == 0


def test_later_chunks_see_earlier_lines_versions_errata_and_references(
    ledger: Ledger, small_chunks: int
) -> None:
    lines = _many(100)
    first = lines[0]  # claim c0, in the first chunk
    lines.append(_line("void", "c0", str(uuid.uuid4()), target_event_id=first["event_id"]))
    lines.append(dict(first))  # the same line again: skipped, not a clash
    reply = _line("denied", "c0", str(uuid.uuid4()), responds_to=lines[50]["event_id"])
    lines.append(reply)
    report = ledger.import_ndjson(_ndjson(lines))
    assert (report["lines"], report["added"], report["skipped"]) == (103, 102, 1)
    versions = [e.version for e in ledger.store.read_claim("c0")]
    assert versions == list(range(1, len(versions) + 1))
    stored = list(ledger.store.read_after(0))
    assert len({e.recorded_at for e in stored}) == 1  # one import, one transaction time
    assert verify_events(stored).ok
    # Re-importing the same file adds nothing (ids already stored, in any chunk).
    again = ledger.import_ndjson(_ndjson(lines))
    assert (again["added"], again["skipped"]) == (0, 103)


def test_a_reference_to_nothing_refuses_the_whole_stream(ledger: Ledger, small_chunks: int) -> None:
    lines = _many(60)
    lines.append(_line("denied", "c0", str(uuid.uuid4()), responds_to=str(uuid.uuid4())))
    lines += _many(90)[60:]
    with pytest.raises(LedgerError, match="line 61"):
        ledger.import_ndjson(_ndjson(lines))
    assert ledger.store.head().position == 0


def test_a_second_void_of_one_target_in_a_later_chunk_is_refused(
    ledger: Ledger, small_chunks: int
) -> None:
    lines = _many(30)
    target = lines[2]["event_id"]
    lines.append(_line("void", "c2", str(uuid.uuid4()), target_event_id=target))
    lines += _many(60)[30:]
    lines.append(_line("void", "c2", str(uuid.uuid4()), target_event_id=target))
    with pytest.raises(LedgerError, match=f"line {len(lines)}"):
        ledger.import_ndjson(_ndjson(lines))
    assert ledger.store.head().position == 0


def test_a_dry_run_of_many_chunks_reports_and_stores_nothing(
    ledger: Ledger, small_chunks: int
) -> None:
    ledger.import_ndjson(_ndjson(_many(20)))
    report = ledger.import_ndjson(_ndjson(_many(120)), dry_run=True)
    assert report == {
        "lines": 120, "added": 100, "skipped": 20, "dry_run": True,
        "first_position": 21, "last_position": 120,
    }
    assert ledger.store.head().position == 20
