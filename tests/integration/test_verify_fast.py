"""The raw-row and parallel verify paths give the generic verdict, break for break.

`verify_ledger` on an SQL ledger goes through `ledger.store.sql.verify`: DBAPI tuples checked by
`chain.check_rows`, and, from a size up, chunks checked in forked workers and joined in the
parent. Here the size is forced down (`parallel_from=0`, tiny chunks) so a 40-event log is
split at every kind of place, tampered in every way test_tamper.py knows, and each verdict
(first break, its message, count, head, digest) must equal `chain.verify_events` over
`read_after(0)`, the definition.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update

from ledger.store.sql import verify as verify_sql_module
from ledger.verify import (
    ChainState,
    VerifyReport,
    check_chunk,
    check_rows,
    continue_with,
    verify_events,
)
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service import Ledger, open_ledger, verify_ledger
from ledger.store.memory import MemoryStore
from ledger.store.sql.scan import RowScan
from ledger.store.sql.schema import events as T
from ledger.store.sql.verify import verify_sql
from tests.integration.test_tamper import _rehash, bypass

N = 40
CLAIMS = ("a", "b", "c", "d", "e")
CHUNKS = (1, 3, 8, 64)

Tamper = Callable[[Connection, list[dict[str, Any]]], None]


def _event(claim: str, i: int) -> NewEvent:
    return validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "ClaimMade",
            "claim_id": claim,
            "occurred_at": f"2023-11-{1 + i % 28:02d}",
            "data": {"claimant": f"source {i}", "statement": f"statement {i}", "tags": [f"t{i}"]},
            "metadata": {"recorded_by": "analyst"} if i % 3 == 0 else {},
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_704_067_200_000_000

    def __call__(self) -> int:
        self.now += 1_000_003
        return self.now


@pytest.fixture
def built(db_url: str) -> tuple[str, list[dict[str, Any]]]:
    """40 events over 5 claims, appended in batches of 1 to 7 (recorded_at moves per batch)."""
    ledger = open_ledger(db_url, clock=Clock())
    try:
        events = [_event(CLAIMS[(i * 7) % 5 if i % 4 else i % 5], i) for i in range(N)]
        i = 0
        for size in [1, 7, 3, 5, 2, 6, 4, 7, 5]:
            if i < N:
                ledger.store.append(events[i : i + size])
                i += size
    finally:
        ledger.close()
    return db_url, _rows(db_url)


def _rows(url: str) -> list[dict[str, Any]]:
    ledger = open_ledger(url)
    try:
        with ledger.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(T).order_by(T.c.position))]
    finally:
        ledger.close()


def _rechain(conn: Connection, rows: list[dict[str, Any]], start: int, **change: Any) -> None:
    """Change the event at `start`, then re-hash it and every later event: a consistent forgery."""
    prev = rows[start - 2]["hash"] if start > 1 else "0" * 64
    for row in rows[start - 1 :]:
        changed = _rehash({**row, **(change if row["position"] == start else {})}, prev)
        conn.execute(
            update(T)
            .where(T.c.position == row["position"])
            .values({k: changed[k] for k in ("prev_hash", "hash", *change)})
        )
        prev = changed["hash"]


def _flip(position: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        data = {**rows[position - 1]["data"], "statement": "forged"}
        conn.execute(update(T).where(T.c.position == position).values(data=data))

    return apply


def _delete(*positions: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        conn.execute(delete(T).where(T.c.position.in_(positions)))

    return apply


def _both(*tampers: Tamper) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        for tamper in tampers:
            tamper(conn, rows)

    return apply


def _version_jump(position: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        _rechain(conn, rows, position, version=rows[position - 1]["version"] + 100)

    return apply


def _recorded_back(position: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        earlier = rows[position - 2]["recorded_at"] - 1
        _rechain(conn, rows, position, recorded_at=earlier)

    return apply


def _rewritten(position: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        _rechain(conn, rows, position, data={"statement": "rewritten history"})

    return apply


def _swap(p: int, q: int) -> Tamper:
    def apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
        conn.execute(delete(T).where(T.c.position.in_([p, q])))
        conn.execute(insert(T), [{**rows[q - 1], "position": p}, {**rows[p - 1], "position": q}])

    return apply


def _far_position(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """A row planted far beyond the head: no chunk plan may walk up to it."""
    last = rows[-1]
    conn.execute(
        insert(T),
        [{**last, "position": 10**12, "event_id": str(uuid.uuid4()), "version": 99}],
    )


TAMPERS: dict[str, Tamper | None] = {
    "intact": None,
    "flip-first": _flip(1),
    "flip-7": _flip(7),
    "flip-last": _flip(N),
    "delete-9": _delete(9),
    "delete-first": _delete(1),
    "delete-a-whole-chunk": _delete(9, 10, 11, 12, 13, 14, 15, 16),
    "two-gaps": _delete(4, 20),
    "gap-after-flip": _both(_flip(25), _delete(5)),
    "flip-after-flip": _both(_flip(30), _flip(12)),
    "version-jump-17": _version_jump(17),
    "version-jump-33": _version_jump(33),
    "recorded-back-9": _recorded_back(9),
    "recorded-back-24": _recorded_back(24),
    "rewritten-10": _rewritten(10),
    "swapped-2-4": _swap(2, 4),
    "far-position": _far_position,
}


def _tamper(url: str, rows: list[dict[str, Any]], tamper: Tamper | None) -> None:
    if tamper is not None:
        with bypass(url) as conn:
            tamper(conn, rows)


def generic(ledger: Ledger, digest: tuple[int, str] | None = None) -> VerifyReport:
    with contextlib.closing(ledger.store.read_after(0)) as events:
        return verify_events(events, digest=digest)


def fast_verdicts(
    ledger: Ledger, digest: tuple[int, str] | None = None
) -> Iterator[tuple[str, VerifyReport]]:
    engine = ledger.engine
    yield "one process", verify_sql(engine, digest=digest, workers=1)
    for chunk in CHUNKS:
        report = verify_sql(engine, digest=digest, workers=2, parallel_from=0, chunk=chunk)
        yield f"2 workers, chunks of {chunk}", report
    yield "verify_ledger", verify_ledger(ledger, digest=digest)


def _digests(rows: list[dict[str, Any]]) -> list[tuple[int, str] | None]:
    return [
        None,
        (N, rows[N - 1]["hash"]),  # the head as first verified
        (15, rows[14]["hash"]),
        (N + 3, rows[N - 1]["hash"]),  # beyond the end: "events were removed"
        (20, "0" * 64),  # a wrong digest
    ]


@pytest.mark.parametrize("name", list(TAMPERS))
def test_fast_paths_report_the_generic_verdict(
    built: tuple[str, list[dict[str, Any]]], name: str
) -> None:
    url, rows = built
    _tamper(url, rows, TAMPERS[name])
    ledger = open_ledger(url)
    try:
        for digest in _digests(rows):
            expected = generic(ledger, digest)
            for path, got in fast_verdicts(ledger, digest):
                assert got == expected, (name, digest, path)
    finally:
        ledger.close()


def test_the_intact_log_verifies_with_its_digest(built: tuple[str, list[dict[str, Any]]]) -> None:
    url, rows = built
    ledger = open_ledger(url)
    try:
        for _path, got in fast_verdicts(ledger, (N, rows[-1]["hash"])):
            assert got.ok and got.checked == N and got.digest_checked
            assert (got.head_position, got.head_hash) == (N, rows[-1]["hash"])
    finally:
        ledger.close()


def test_the_earliest_break_wins_whatever_chunk_finishes_first(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    url, rows = built
    _tamper(url, rows, _both(_flip(38), _flip(3)))
    ledger = open_ledger(url)
    try:
        for _path, got in fast_verdicts(ledger):
            assert [b.position for b in got.breaks] == [3]
            assert got.checked == 2 and got.head_hash == rows[1]["hash"]
    finally:
        ledger.close()


@pytest.mark.parametrize("earlier_break", [False, True], ids=["alone", "after-a-break"])
def test_a_value_that_breaks_the_hash_function_fails_as_the_generic_path_does(
    built: tuple[str, list[dict[str, Any]]], earlier_break: bool
) -> None:
    """A salt that is not hex makes the hash raise: raised the same, unless a break comes first."""
    url, rows = built
    with bypass(url) as conn:
        conn.execute(update(T).where(T.c.position == 30).values(salt="not hex"))
        if earlier_break:
            _flip(12)(conn, rows)
    ledger = open_ledger(url)
    try:
        if not earlier_break:
            # Named as a break at its position, never raised (a traceback for the user).
            expected = generic(ledger)
            assert [b.position for b in expected.breaks] == [30]
            assert "corrupted" in expected.breaks[0].reason
            for _path, got in fast_verdicts(ledger):
                assert got == expected
            return
        expected = generic(ledger)
        assert [b.position for b in expected.breaks] == [12]
        for _path, got in fast_verdicts(ledger):
            assert got == expected
    finally:
        ledger.close()


def _sqlite_log(url: str, sql: str) -> Ledger:
    ledger = open_ledger(url, clock=Clock())
    try:
        ledger.store.append([_event("a", i) for i in range(6)])
    finally:
        ledger.close()
    with bypass(url) as conn:
        conn.execute(text(sql))
    return open_ledger(url)


def test_sqlite_json_stored_as_a_blob_is_read_as_sqlalchemy_reads_it(sqlite_url: str) -> None:
    # SQLite keeps the type it is given: a BLOB comes back as bytes, which SQLAlchemy decodes.
    blob = """UPDATE events SET data = CAST('{"statement": "x"}' AS BLOB) WHERE position = 4"""
    ledger = _sqlite_log(sqlite_url, blob)
    try:
        expected = generic(ledger)
        assert [b.position for b in expected.breaks] == [4]
        for _path, got in fast_verdicts(ledger):
            assert got == expected
        scan = RowScan(ledger.engine)
        assert [scan.decode(row[9]) for row in scan.rows(0)] == [
            e.data for e in ledger.store.read_after(0)
        ]
    finally:
        ledger.close()


def test_sqlite_json_stored_as_a_number_fails_as_sqlalchemy_fails(sqlite_url: str) -> None:
    ledger = _sqlite_log(sqlite_url, "UPDATE events SET data = 5 WHERE position = 4")
    try:
        # What SQLAlchemy cannot decode is a break at its position on every path.
        expected = generic(ledger)
        assert [b.position for b in expected.breaks] == [4]
        assert "not valid JSON" in expected.breaks[0].reason
        assert verify_sql(ledger.engine, workers=1) == expected
        for chunk in CHUNKS:
            assert verify_sql(ledger.engine, workers=2, parallel_from=0, chunk=chunk) == expected
    finally:
        ledger.close()


def test_progress_is_reported_as_chunks_join(
    built: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _rows_ = built
    pools: list[Any] = []
    real = verify_sql_module.ProcessPoolExecutor

    def recording(*args: Any, **kwargs: Any) -> Any:
        pools.append(real(*args, **kwargs))
        return pools[-1]

    monkeypatch.setattr(verify_sql_module, "ProcessPoolExecutor", recording)
    ledger = open_ledger(url)
    seen: list[int] = []
    try:
        report = verify_sql(
            ledger.engine, workers=2, parallel_from=0, chunk=8, progress=seen.append
        )
    finally:
        ledger.close()
    assert report.ok and report.checked == N
    assert len(pools) == 1, "the parallel path did not run"
    assert seen == [8, 16, 24, 32, 40]


def test_small_logs_stay_in_one_process(
    built: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _rows_ = built

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a pool was started for a small log")

    monkeypatch.setattr(verify_sql_module, "ProcessPoolExecutor", refuse)
    ledger = open_ledger(url)
    try:
        assert verify_ledger(ledger).checked == N  # PARALLEL_FROM is far above 40
    finally:
        ledger.close()


def test_the_memory_store_goes_through_the_generic_path() -> None:
    ledger = Ledger(store=MemoryStore(clock=Clock()))
    ledger.store.append([_event(CLAIMS[i % 5], i) for i in range(12)])
    report = verify_ledger(ledger)
    assert report.ok and report.checked == 12


# -- the chunk algebra, without a database ------------------------------------------------------


def _memory_rows(n: int = 30) -> list[tuple[Any, ...]]:
    store = MemoryStore(clock=Clock())
    store.append([_event(CLAIMS[(i * 3) % 5], i) for i in range(n)])
    return [
        tuple(getattr(e, f) for f in e.__slots__)  # StoredEvent field order
        for e in store.read_after(0)
    ]


@pytest.mark.parametrize("size", [1, 2, 5, 7, 30])
def test_joined_chunks_end_where_one_pass_ends(size: int) -> None:
    rows = _memory_rows()
    whole = ChainState()
    assert check_rows(rows, whole) is None
    joined = ChainState()
    for lo in range(0, len(rows), size):
        assert continue_with(joined, check_chunk(rows[lo : lo + size]))
    assert joined == whole


def test_a_chunk_that_does_not_follow_is_refused_and_leaves_the_state() -> None:
    rows = _memory_rows()
    state = ChainState()
    assert continue_with(state, check_chunk(rows[:10]))
    before = ChainState(
        state.expected_position, state.prev_hash, state.prev_recorded, dict(state.versions),
        state.checked, state.digest_seen,
    )  # fmt: skip
    assert not continue_with(state, check_chunk(rows[11:20]))  # skips position 11
    assert state == before
    # A claim that reappears at a later version than the state knows.
    later = [rows[i] for i in range(10, 20)]
    claim = later[0][3]
    forged = [(*later[0][:4], before.versions.get(claim, 0) + 2, *later[0][5:]), *later[1:]]
    assert not continue_with(state, check_chunk(forged))
    assert state == before
