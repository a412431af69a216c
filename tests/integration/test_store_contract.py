"""The store contract: one suite, run against the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from ledger.verify import verify_events
from ledger.domain.errors import ConflictError, DuplicateEventError, InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.model import ZERO_HASH, NewEvent
from ledger.domain.time import parse_instant


def made(claim: str = "c-1", *, eid: str | None = None, when: str = "2023-11-02", **extra: Any) -> NewEvent:
    line = {
        "event_id": eid or str(uuid.uuid4()),
        "type": "ClaimMade",
        "claim_id": claim,
        "occurred_at": when,
        "data": {"claimant": "Wall Street Journal", "statement": "a statement"},
    }
    line.update(extra)
    return validate_event(line)


def denied(claim: str = "c-1", **extra: Any) -> NewEvent:
    line = {
        "type": "ClaimDenied",
        "claim_id": claim,
        "occurred_at": "2023-11-03",
        "data": {"denier": "Dmitry Peskov (Kremlin)"},
        "event_id": str(uuid.uuid4()),
    }
    line.update(extra)
    return validate_event(line)


def void(target: str, claim: str = "c-1") -> NewEvent:
    return validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "RecordVoided",
            "claim_id": claim,
            "data": {"target_event_id": target, "reason": "recorded twice"},
        }
    )


class ReaderBacked:
    """Appends through the SQL store, and every read through the read-only SQLite reader
    (`EventReader` on the bare sqlite3 driver) opened on the same file."""

    _READS = ("head", "head_at", "read_claim", "read_after", "get", "read_actors",
              "linking_claims", "position_before", "head_before")

    def __init__(self, path: str, clock: Any) -> None:
        from ledger.service import open_ledger
        from ledger.store.sql.reader import open_sqlite_reader
        from ledger.store.sql.revision import HEAD

        self._writer = open_ledger(path, clock=clock)
        self._reader = open_sqlite_reader(Path(path), HEAD, 5.0)
        assert self._reader is not None, "the reader refused a current ledger file"

    def append(self, *args: Any, **kwargs: Any) -> Any:
        return self._writer.store.append(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in self._READS:
            return getattr(self._reader, name)
        raise AttributeError(name)

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


@pytest.fixture(params=["memory", "sqlite", "sqlite-reader", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Any):  # type: ignore[no-untyped-def]
    """The contract's store on every implementation, the read-only reader included."""
    if request.param == "sqlite-reader":
        backed = ReaderBacked(str(tmp_path / "reader.db"), clock)
        yield backed
        backed.close()
        return
    ledger = request.getfixturevalue("ledger_" + request.param.replace("-", "_"))
    yield ledger.store


@pytest.fixture
def ledger_memory(clock: Any):  # type: ignore[no-untyped-def]
    from ledger.service import Ledger
    from ledger.store.memory import MemoryStore

    return Ledger(store=MemoryStore(clock=clock))


@pytest.fixture
def ledger_sqlite(tmp_path: Path, clock: Any):  # type: ignore[no-untyped-def]
    from ledger.service import open_ledger

    opened = open_ledger(str(tmp_path / "ledger.db"), clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def ledger_postgres(pg_url: str, clock: Any):  # type: ignore[no-untyped-def]
    from ledger.service import open_ledger

    opened = open_ledger(pg_url, clock=clock)
    yield opened
    opened.close()


def test_empty_store_has_zero_head(store) -> None:
    head = store.head()
    assert (head.position, head.hash, head.recorded_at) == (0, ZERO_HASH, None)
    assert list(store.read_after(0)) == []


def test_append_assigns_positions_versions_and_chains_hashes(store) -> None:
    store.append([made("a"), made("b"), denied("a")])
    events = list(store.read_after(0))
    assert [e.position for e in events] == [1, 2, 3]
    assert [(e.claim_id, e.version) for e in events] == [("a", 1), ("b", 1), ("a", 2)]
    assert events[0].prev_hash == ZERO_HASH
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert verify_events(events).ok
    assert store.head().hash == events[-1].hash


def test_recorded_at_never_decreases_even_when_the_clock_steps_back(store, clock) -> None:
    store.append([made()])
    first = store.head().recorded_at
    clock.now -= 3_600_000_000  # the wall clock jumps back an hour
    store.append([made()])
    assert store.head().recorded_at >= first


def test_reappending_identical_event_is_skipped_and_counted(store) -> None:
    event = made(eid="0193c4f0-0000-7000-8000-000000000001")
    assert len(store.append([event]).added) == 1
    again = store.append([event])
    assert (len(again.added), len(again.skipped)) == (0, 1)
    assert store.head().position == 1


def test_same_id_with_other_content_is_refused_naming_the_line(store) -> None:
    eid = str(uuid.uuid4())
    store.append([made(eid=eid)])
    changed = validate_event(
        {
            "event_id": eid,
            "type": "ClaimMade",
            "claim_id": "c-1",
            "occurred_at": "2023-11-05",
            "data": {"claimant": "Wall Street Journal", "statement": "a statement"},
        },
        line=7,
    )
    with pytest.raises(DuplicateEventError, match="line 7"):
        store.append([changed])
    assert store.head().position == 1


def test_idempotency_holds_for_ids_written_long_ago(store) -> None:
    old = made(eid=str(uuid.uuid4()))
    store.append([old])
    store.append([made(f"c-{i}") for i in range(300)])
    assert store.append([old]).skipped == [old]


def test_expected_version_conflict_stores_nothing_of_the_batch(store) -> None:
    store.append([made()])
    batch = [made("other"), denied(expected_version=0)]
    with pytest.raises(ConflictError, match="version 1"):
        store.append(batch)
    assert store.head().position == 1
    assert store.read_claim("other") == []


def test_expected_version_counts_earlier_lines_of_the_same_batch(store) -> None:
    result = store.append([made(expected_version=0), denied(expected_version=1)])
    assert [e.version for e in result.added] == [1, 2]


def test_read_claim_in_version_order_and_up_to_a_position(store) -> None:
    store.append([made("a"), made("b"), denied("a"), denied("a")])
    assert [e.version for e in store.read_claim("a")] == [1, 2, 3]
    assert [e.position for e in store.read_claim("a", up_to=3)] == [1, 3]


def test_read_after_filters_and_limits(store) -> None:
    store.append([made("a"), made("b"), denied("a"), denied("b")])
    assert [e.position for e in store.read_after(1)] == [2, 3, 4]
    assert [e.position for e in store.read_after(0, claim_id="b")] == [2, 4]
    assert [e.position for e in store.read_after(0, type="ClaimDenied")] == [3, 4]
    assert [e.position for e in store.read_after(0, limit=2)] == [1, 2]
    assert [e.position for e in store.read_after(0, up_to=2)] == [1, 2]


def test_position_before_resolves_known_at(store, clock) -> None:
    store.append([made("a")])
    t1 = store.head().recorded_at
    clock.now += 10_000_000
    store.append([made("b"), made("c")])
    assert store.position_before(t1) == 0
    assert store.position_before(t1 + 1) == 1
    assert store.position_before(store.head().recorded_at + 1) == 3
    # The head before an instant is the head at the position before it, in one read.
    for instant in (t1, t1 + 1, store.head().recorded_at, store.head().recorded_at + 1):
        assert store.head_before(instant) == store.head_at(store.position_before(instant))


def test_head_at_a_past_position(store) -> None:
    store.append([made("a"), made("b")])
    first = next(iter(store.read_after(0)))
    assert store.head_at(1).hash == first.hash
    assert store.head_at(0).hash == ZERO_HASH


def test_get_by_ids(store) -> None:
    a, b = made("a"), made("b")
    store.append([a, b])
    found = store.get([a.event_id, b.event_id, str(uuid.uuid4())])
    assert set(found) == {a.event_id, b.event_id}


def test_data_is_stored_as_given_with_no_defaults_written(store) -> None:
    store.append([made(data={"claimant": "X", "statement": "s", "attributed_to": "officials"})])
    (event,) = store.read_claim("c-1")
    assert event.data == {"claimant": "X", "statement": "s", "attributed_to": "officials"}


def test_erratum_gets_its_targets_claim_and_recorded_time(store) -> None:
    target = made()
    store.append([target])
    erratum = validate_event(
        {
            "type": "RecordCorrected",
            "data": {"target_event_id": target.event_id, "changes": {"occurred_at": "2023-11-03"},
                     "reason": "wrong date"},
        }
    )
    (stored,) = store.append([erratum]).added
    assert stored.claim_id == "c-1" and stored.version == 2
    assert stored.occurred_from == stored.occurred_to == stored.recorded_at


def test_erratum_refused_for_missing_target_other_claim_or_erratum_target(store) -> None:
    target = made("a")
    store.append([target, made("b")])
    with pytest.raises(InvalidInput):
        store.append([void(str(uuid.uuid4()), claim="a")])
    with pytest.raises(InvalidInput):
        store.append([void(target.event_id, claim="b")])
    first_void = void(target.event_id, claim="a")
    store.append([first_void])
    with pytest.raises(InvalidInput):
        store.append([void(first_void.event_id, claim="a")])
    with pytest.raises(InvalidInput):  # already voided
        store.append([void(target.event_id, claim="a")])
    assert store.head().position == 3


def test_erratum_may_target_an_earlier_line_of_the_same_batch(store) -> None:
    target = made()
    result = store.append([target, void(target.event_id)])
    assert len(result.added) == 2


def test_keep_recorded_at_rules(store) -> None:
    def kept(when: str, claim: str = "k") -> NewEvent:
        return validate_event(
            {
                "event_id": str(uuid.uuid4()),
                "type": "ClaimMade",
                "claim_id": claim,
                "occurred_at": "2020-01-01",
                "recorded_at": when,
                "data": {"claimant": "A", "statement": "s"},
            },
            keep_recorded_at=True,
        )

    store.append([kept("2021-01-01T00:00:00.000000Z"), kept("2021-01-02T00:00:00.000000Z")],
                 keep_recorded_at=True)
    assert store.head().recorded_at == parse_instant("2021-01-02T00:00:00.000000Z")
    with pytest.raises(InvalidInput, match="before"):  # decreasing
        store.append([kept("2021-01-01T12:00:00.000000Z")], keep_recorded_at=True)
    with pytest.raises(InvalidInput, match="future"):
        store.append([kept("2999-01-01T00:00:00.000000Z")], keep_recorded_at=True)
    assert store.head().position == 2


def test_dry_run_decides_but_stores_nothing(store) -> None:
    result = store.append([made(), made("b")], dry_run=True)
    assert len(result.added) == 2
    assert store.head().position == 0


def test_position_before_with_many_batches_picks_the_last_one_recorded_before(store, clock) -> None:
    # Several rows share each recorded_at: the answer is the largest position before T.
    times = []
    for batch in range(5):
        clock.now += 5_000_000
        store.append([made(f"b{batch}-{i}") for i in range(3)])
        times.append(store.head().recorded_at)
    assert store.position_before(times[0]) == 0
    for batch, t in enumerate(times):
        assert store.position_before(t + 1) == 3 * (batch + 1)
        assert store.position_before(t) == 3 * batch


def test_one_append_reads_many_ids_and_claims_at_once(store) -> None:
    # Ids travel to the database as one list parameter: lists far beyond SQLite's
    # 999-parameter limit must work, for event ids and claim ids alike.
    claims = [f"c-{i}" for i in range(1_200)]
    first = [made(c) for c in claims]
    store.append(first)
    again = store.append([made(c, eid=e.event_id) for c, e in zip(claims, first)])
    assert len(again.skipped) == len(claims) and not again.added
    more = store.append([denied(c) for c in claims])
    assert {e.claim_id: e.version for e in more.added} == {c: 2 for c in claims}
    assert set(store.get([e.event_id for e in first])) == {e.event_id for e in first}
    assert [e.version for e in store.read_claim(claims[-1])] == [1, 2]
