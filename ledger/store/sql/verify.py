"""`ledger verify` on an SQL log: raw rows in one process, or split over the cores when large.

The verdict is `chain.verify_events`'s over `read_after(0)`, to the same first break, message,
count and head; only the way there differs:

* every row is read as a DBAPI tuple (`store.scan`) and checked by `chain.check_rows`, which
  builds a StoredEvent only for a row that breaks;
* a log of `parallel_from` events or more is cut into chunks of positions, and forked workers
  each read and check a chunk on their own (`chain.check_chunk`); the parent joins the chunks
  in position order (`chain.continue_with`). The first chunk that does not join cleanly (a
  break inside it or at its edge, a missing row, a worker error) and everything after it is
  checked again in the parent, row by row from the state before it: so the break reported is
  the earliest one, with the sequential check's own message.

Workers are forked (Linux only): they inherit the loaded modules and the engine, and start in
milliseconds; spawning them would re-import the program and cost more than a 100,000-event
verify. Elsewhere, or on one core, the single-process path runs.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from ledger.store.sql.scan import RowScan, reset_after_fork
from ledger.verify import (
    ChainState,
    ChunkSummary,
    VerifyReport,
    check_chunk,
    check_rows,
    continue_with,
    report,
)

#: Below this many events one process: starting the pool (fork, a connection per worker) costs
#: 50-100 ms, the time of 5,000-10,000 events, and would eat most of what it saves.
PARALLEL_FROM = 50_000
#: Positions per worker task: large enough that a task's overhead (a query, a pickled result
#: with the chunk's claim versions) is small, small enough for steady progress and an early stop.
CHUNK = 25_000
_MAX_WORKERS = 8

# A worker's scan, made once per forked child by `_start_worker`.
_scan: RowScan | None = None


def verify_sql(
    engine: Any,
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    parallel_from: int = PARALLEL_FROM,
    chunk: int = CHUNK,
    workers: int | None = None,
) -> VerifyReport:
    """Verify the `events` table behind `engine` (a SQLAlchemy Engine)."""
    scan = RowScan(engine)
    state = ChainState()
    after = 0
    workers = usable_cores() if workers is None else workers
    if workers > 1 and can_fork():
        head = scan.max_position()
        if head >= parallel_from:
            after = _check_chunks(engine, state, head, chunk, workers, digest, progress)
    # The rest, one row after another: the tail appended since `head` was read, or everything
    # from the first chunk that did not join (it stops at the break in or after it).
    found = check_rows(
        scan.rows(after), state, digest=digest, progress=progress, decode=scan.decode
    )
    return report(state, found, digest)


def usable_cores() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, _MAX_WORKERS)


def can_fork() -> bool:
    # Fork is safe and fast on Linux; macOS's system libraries are not fork-safe.
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _check_chunks(
    engine: Any,
    state: ChainState,
    head: int,
    chunk: int,
    workers: int,
    digest: tuple[int, str] | None,
    progress: Callable[[int], None] | None,
) -> int:
    """Join checked chunks of (0, head] into `state`; the position it holds up to."""
    # Lazy: a forged position far beyond the rest must not plan millions of chunks.
    bounds = ((lo, min(lo + chunk, head)) for lo in range(0, head, chunk))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(engine,),  # forked, not pickled: the child starts with the same object
    )
    clean = False
    try:
        pending: deque[tuple[int, int, Future[ChunkSummary]]] = deque()

        def submit_next() -> None:
            span = next(bounds, None)
            if span is not None:
                pending.append((*span, pool.submit(_check_span, *span, digest)))

        # Two tasks per worker in flight: a worker never waits for the parent to hand it one,
        # and an early break leaves little work to throw away. The first submit forks the
        # workers: with the parent's objects frozen, a child's garbage collector does not walk
        # (and so copy-on-write copy) the whole inherited heap.
        gc.freeze()
        try:
            for _ in range(2 * workers):
                submit_next()
        finally:
            gc.unfreeze()
        while pending:
            lo, hi, future = pending.popleft()
            if not _joins(state, lo, hi, future):
                return lo
            if progress is not None:
                progress(state.checked)
            submit_next()
        clean = True
        return head
    finally:
        # After a break the chunks still running are of no use: do not wait for them.
        pool.shutdown(wait=clean, cancel_futures=True)


def _joins(state: ChainState, lo: int, hi: int, future: Future[ChunkSummary]) -> bool:
    try:
        summary = future.result()
    except Exception:
        # The parent checks this chunk itself and meets the same error, or the break before it.
        return False
    # Every position of the chunk must be there; a short chunk means a gap, found row by row.
    return summary.count == hi - lo and continue_with(state, summary)


def _start_worker(engine: Any) -> None:
    global _scan
    reset_after_fork(engine)
    _scan = RowScan(engine)


def _check_span(lo: int, hi: int, digest: tuple[int, str] | None) -> ChunkSummary:
    assert _scan is not None
    return check_chunk(_scan.rows(lo, hi), digest=digest, decode=_scan.decode)


# -- what else verify answers for: triggers, times, the ledger's id --------------------------

#: The triggers that make the log append-only (and refuse future times), per engine.
EXPECTED_TRIGGERS = {
    "sqlite": (
        "events_refuse_update", "events_refuse_delete", "events_refuse_replace",
        "events_refuse_future",
    ),
    "postgresql": ("events_refuse_update_delete", "events_refuse_truncate", "events_refuse_future"),
}
_SQLITE_TRIGGERS = "SELECT name, 'O' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
# tgenabled: O (fires), D (disabled), R (fires only in replica mode, i.e. not for sessions),
# A (always).
_PG_TRIGGERS = (
    "SELECT tgname, tgenabled FROM pg_trigger "
    "WHERE tgrelid = to_regclass('events') AND NOT tgisinternal"
)
_SQLITE_FUTURE = "SELECT position FROM events WHERE recorded_at > ? ORDER BY position LIMIT 5"
_PG_FUTURE = "SELECT position FROM events WHERE recorded_at > %s ORDER BY position LIMIT 5"


def trigger_problems(engine: Any) -> list[str]:
    """A missing or disabled guard trigger, each named (empty: all present and firing)."""
    sqlite = engine.dialect.name == "sqlite"
    rows = _fetch(engine, _SQLITE_TRIGGERS if sqlite else _PG_TRIGGERS, ())
    present = {str(name): str(state) for name, state in rows}
    problems = []
    for name in EXPECTED_TRIGGERS["sqlite" if sqlite else "postgresql"]:
        state = present.get(name)
        if state is None:
            problems.append(f"the trigger {name} on events is missing (dropped): the log is "
                            "not protected against changes")
        elif state not in ("O", "A"):
            problems.append(f"the trigger {name} on events is disabled: the log is not "
                            "protected against changes")
    return problems


def future_positions(engine: Any, limit_us: int) -> list[int]:
    """Positions of stored events recorded after `limit_us` (up to five, oldest first)."""
    sql = _SQLITE_FUTURE if engine.dialect.name == "sqlite" else _PG_FUTURE
    return [int(p) for (p,) in _fetch(engine, sql, (limit_us,))]


def ledger_id(engine: Any) -> str | None:
    """The id `init` gave this ledger (None: a ledger made before ids existed)."""
    rows = _fetch(engine, "SELECT ledger_id FROM ledger_meta ORDER BY created_at LIMIT 1", ())
    return str(rows[0][0]) if rows else None


_SQLITE_HASH_AT = "SELECT hash FROM events WHERE position = ?"
_PG_HASH_AT = "SELECT hash FROM events WHERE position = %s"


def hash_at(engine: Any, position: int) -> str | None:
    sql = _SQLITE_HASH_AT if engine.dialect.name == "sqlite" else _PG_HASH_AT
    rows = _fetch(engine, sql, (position,))
    return str(rows[0][0]) if rows else None


def _fetch(engine: Any, sql: str, params: tuple[Any, ...]) -> list[Any]:
    fairy = engine.raw_connection()
    try:
        cur = fairy.driver_connection.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall())
        finally:
            cur.close()
    finally:
        fairy.close()
