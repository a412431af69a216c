"""Concurrency on both engines (the storage rules): one writer at a time, positions in
commit order, and optimistic concurrency that never loses or duplicates an event.

(a) racing writers on one claim with expected_version, in separate processes;
(b) many writers on many claims, in separate processes;
(c) a tailing reader never skips an event committed late, with a writer holding the lock.

Every assertion holds whatever the timing; the figures (attempts, conflicts) vary and are only
printed (run with `-s` to see them).
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from ledger.verify import verify_events
from ledger.domain.errors import ConflictError
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent, StoredEvent
from ledger.service import Ledger, open_ledger
from ledger.store.sql.engine import write_transaction

pytestmark = pytest.mark.slow

RACE_WORKERS = 8
RACE_PER_WORKER = 50
MANY_WORKERS = 6
MANY_PER_WORKER = 100
RESULT_TIMEOUT_S = 240.0


def _denied(claim: str, denier: str, *, expected_version: int | None = None) -> NewEvent:
    line: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "ClaimDenied",
        "claim_id": claim,
        "occurred_at": "2023-11-02",
        "data": {"denier": denier},
    }
    if expected_version is not None:
        line["expected_version"] = expected_version
    return validate_event(line)


# -- process workers (module level: the 'spawn' context imports them by name) ----------------------


def race_worker(url: str, claim: str, worker: int, target: int, barrier: Any, out: Any) -> None:
    """Store `target` events on `claim`, each conditional on the version just read."""
    try:
        ledger = open_ledger(url)
        attempts = conflicts = 0
        stored: list[tuple[str, int, int]] = []
        seen_position, current = 0, 0
        barrier.wait(timeout=120)
        try:
            while len(stored) < target:
                attempts += 1
                # Read the claim's current version (only what is new since the last read).
                for e in ledger.store.read_after(seen_position, claim_id=claim):
                    seen_position, current = e.position, e.version
                event = _denied(claim, f"worker-{worker}", expected_version=current)
                try:
                    (s,) = ledger.store.append([event]).added
                except ConflictError:
                    conflicts += 1
                    continue
                assert s.version == current + 1
                stored.append((s.event_id, s.version, s.position))
        finally:
            ledger.close()
        out.put({"worker": worker, "attempts": attempts, "conflicts": conflicts, "stored": stored})
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        out.put({"worker": worker, "error": traceback.format_exc()})


def many_worker(url: str, worker: int, count: int, barrier: Any, out: Any) -> None:
    """Append `count` single events to this worker's own claims (and now and then a shared one)."""
    try:
        ledger = open_ledger(url)
        stored: list[tuple[str, str, int, int]] = []
        barrier.wait(timeout=120)
        try:
            for i in range(count):
                claim = "shared" if i % 10 == 9 else f"w{worker}-c{i % 3}"
                (s,) = ledger.store.append([_denied(claim, f"worker-{worker}")]).added
                stored.append((s.event_id, s.claim_id, s.version, s.position))
        finally:
            ledger.close()
        out.put({"worker": worker, "stored": stored})
    except BaseException:  # noqa: BLE001
        out.put({"worker": worker, "error": traceback.format_exc()})


def _run_processes(
    target: Callable[..., None], args: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(args))
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, out), daemon=True) for a in args]
    for p in procs:
        p.start()
    results: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        while len(results) < len(procs):
            remaining = deadline - time.monotonic()
            try:
                results.append(out.get(timeout=max(remaining, 0.1)))
            except queue_module.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if remaining <= 0 or dead:
                    pytest.fail(f"workers did not report (exit codes {dead}); got {len(results)}")
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    errors = [r["error"] for r in results if "error" in r]
    assert not errors, "\n".join(errors)
    assert all(p.exitcode == 0 for p in procs)
    return sorted(results, key=lambda r: r["worker"])


def _log(url: str) -> list[StoredEvent]:
    ledger = open_ledger(url)
    try:
        return list(ledger.store.read_after(0))
    finally:
        ledger.close()


def _init(url: str) -> None:
    """Create the schema once, before the workers race to open the database."""
    open_ledger(url).close()


# -- (a) racing writers on one claim ---------------------------------------------------------------


def test_racing_writers_on_one_claim_every_version_exactly_once(db_url: str) -> None:
    _init(db_url)
    claim = "wagner-pantsir-s1-to-hezbollah"
    results = _run_processes(
        race_worker, [(db_url, claim, w, RACE_PER_WORKER) for w in range(RACE_WORKERS)]
    )
    reported = [item for r in results for item in r["stored"]]
    attempts = sum(r["attempts"] for r in results)
    conflicts = sum(r["conflicts"] for r in results)
    n = RACE_WORKERS * RACE_PER_WORKER

    log = _log(db_url)
    stored_ids = [e.event_id for e in log]
    lost = len({e for e, _, _ in reported} - set(stored_ids))
    duplicated = len(stored_ids) - len(set(stored_ids))
    positions = [e.position for e in log]
    gaps = sum(1 for a, b in zip([0, *positions], positions, strict=False) if b != a + 1)

    # Every worker stored its share; every attempt either stored one event or conflicted.
    assert [len(r["stored"]) for r in results] == [RACE_PER_WORKER] * RACE_WORKERS
    assert attempts == n + conflicts
    # Exactly what the workers were told was stored is stored: 0 lost, 0 duplicated.
    assert (lost, duplicated, gaps) == (0, 0, 0)
    assert len(log) == len(reported) == n
    assert sorted(stored_ids) == sorted(e for e, _, _ in reported)
    assert {e.event_id: (e.version, e.position) for e in log} == {
        e: (v, p) for e, v, p in reported
    }
    # Each version 1..N exactly once; positions 1..N contiguous; the chain verifies.
    assert Counter(v for _, v, _ in reported) == Counter(range(1, n + 1))
    assert [e.version for e in log] == list(range(1, n + 1))
    assert positions == list(range(1, n + 1))
    assert verify_events(log).ok
    print(
        f"\n[race {'postgres' if '://' in db_url else 'sqlite'}] {RACE_WORKERS} processes x "
        f"{RACE_PER_WORKER}: attempts={attempts} conflicts={conflicts} stored={len(log)} "
        f"lost={lost} duplicated={duplicated} gaps={gaps}"
    )


# -- (b) many writers on many claims ---------------------------------------------------------------


def test_many_writers_on_many_claims_contiguous_and_chained(db_url: str) -> None:
    _init(db_url)
    results = _run_processes(
        many_worker, [(db_url, w, MANY_PER_WORKER) for w in range(MANY_WORKERS)]
    )
    n = MANY_WORKERS * MANY_PER_WORKER
    log = _log(db_url)
    assert [e.position for e in log] == list(range(1, n + 1))
    by_claim: dict[str, list[int]] = defaultdict(list)
    for e in log:
        by_claim[e.claim_id].append(e.version)
    for claim, versions in by_claim.items():
        assert versions == list(range(1, len(versions) + 1)), claim
    assert len(by_claim["shared"]) == MANY_WORKERS * (MANY_PER_WORKER // 10)
    # What each worker was told is what is stored, and its own claims keep its order.
    stored = {e.event_id: (e.claim_id, e.version, e.position) for e in log}
    for r in results:
        assert len(r["stored"]) == MANY_PER_WORKER
        for event_id, claim, version, position in r["stored"]:
            assert stored[event_id] == (claim, version, position)
        own = [(p, v) for _, c, v, p in r["stored"] if c != "shared"]
        assert own == sorted(own)  # positions and versions both grow in the worker's order
    assert verify_events(log).ok


# -- (c) a tailing reader and a writer that holds the lock -----------------------------------------


class Ticker:
    """A strictly increasing clock shared by every writer: each reading is one microsecond on.

    The store reads its clock inside the write transaction, after taking the lock; so the
    recorded_at of each append is the order in which writers got the lock.
    """

    def __init__(self, start: int = 1_704_067_200_000_000) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self._now += 1
            return self._now


class HoldingClock:
    """The holder's clock: reports that the lock is held, then waits to be released."""

    def __init__(self, ticker: Ticker) -> None:
        self.ticker = ticker
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> int:
        self.held.set()
        assert self.release.wait(timeout=60), "the test never released the holder"
        return self.ticker()


class TailingReader(threading.Thread):
    """Tails the log with read_after(last_seen); each batch must continue at last_seen + 1."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.ledger = open_ledger(url)
        self.last_seen = 0
        self.batches = 0
        self.gaps: list[tuple[int, list[int]]] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                stopping = self.stop.is_set()
                batch = [e.position for e in self.ledger.store.read_after(self.last_seen)]
                if batch:
                    expected = list(range(self.last_seen + 1, self.last_seen + 1 + len(batch)))
                    if batch != expected:
                        self.gaps.append((self.last_seen, batch))
                    self.last_seen = batch[-1]
                    self.batches += 1
                elif stopping:
                    return
                time.sleep(0.002)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            self.error = exc
        finally:
            self.ledger.close()


def _append_in_thread(ledger: Ledger, event: NewEvent, started: threading.Event,
                      done: list[StoredEvent], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        started.set()
        try:
            done.extend(ledger.store.append([event]).added)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_tailing_reader_never_skips_an_event_committed_late(db_url: str) -> None:
    rounds, waiting_writers = 4, 4
    ticker = Ticker()
    seed = open_ledger(db_url, clock=ticker)
    for i in range(3):
        seed.store.append([_denied(f"c{i}", "seed")])
    holders = [HoldingClock(ticker) for _ in range(rounds)]
    holder_ledgers = [open_ledger(db_url, clock=h) for h in holders]
    writers = [open_ledger(db_url, clock=ticker) for _ in range(waiting_writers)]
    reader = TailingReader(db_url)
    reader.start()
    try:
        for r, holder in enumerate(holders):
            base = seed.store.head().position
            done: list[StoredEvent] = []
            errors: list[BaseException] = []
            # The holder takes the write lock, then stalls inside its transaction.
            held = _append_in_thread(holder_ledgers[r], _denied("late", f"holder-{r}"),
                                     threading.Event(), done, errors)
            assert holder.held.wait(timeout=30), "the holder never got the lock"
            # Other writers start now; they must wait for the lock.
            started = [threading.Event() for _ in writers]
            threads = [
                _append_in_thread(w, _denied(f"w{i}", f"writer-{r}"), started[i], done, errors)
                for i, w in enumerate(writers)
            ]
            for s in started:
                assert s.wait(timeout=30)
            time.sleep(0.3)
            # While the lock is held nobody commits, and nothing new is visible.
            assert done == [] and errors == []
            assert seed.store.head().position == base
            assert reader.last_seen <= base
            holder.release.set()
            for t in (held, *threads):
                t.join(timeout=120)
                assert not t.is_alive()
            assert errors == []
            # The stalled transaction started first and committed first: it has base + 1.
            positions = {e.data["denier"]: e.position for e in done}
            assert positions[f"holder-{r}"] == base + 1
            assert sorted(e.position for e in done) == list(
                range(base + 1, base + 2 + waiting_writers)
            )
        total = 3 + rounds * (1 + waiting_writers)
        reader.stop.set()
        reader.join(timeout=60)
        assert not reader.is_alive()
        if reader.error is not None:
            raise reader.error
        assert reader.gaps == [], f"the tailing reader saw gaps: {reader.gaps}"
        assert reader.last_seen == total
        log = list(seed.store.read_after(0))
        assert [e.position for e in log] == list(range(1, total + 1))
        # recorded_at is the order writers got the lock: positions follow it exactly.
        assert [e.recorded_at for e in log] == sorted(e.recorded_at for e in log)
        assert len({e.recorded_at for e in log}) == total
        assert verify_events(log).ok
    finally:
        reader.stop.set()
        for h in holders:
            h.release.set()
        reader.join(timeout=60)
        for ledger in (seed, *holder_ledgers, *writers):
            ledger.close()


def test_an_open_write_transaction_blocks_every_other_writer(db_url: str) -> None:
    """write_transaction itself is the lock: while one is open (even having written nothing),
    another append waits, and then takes the next position."""
    ledger = open_ledger(db_url)
    other = open_ledger(db_url)
    try:
        ledger.store.append([_denied("a", "first")])
        entered, leave = threading.Event(), threading.Event()

        def hold() -> None:
            with write_transaction(ledger.engine):
                entered.set()
                leave.wait(timeout=60)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        assert entered.wait(timeout=30)
        done: list[StoredEvent] = []
        errors: list[BaseException] = []
        started = threading.Event()
        writer = _append_in_thread(other, _denied("a", "second"), started, done, errors)
        assert started.wait(timeout=30)
        time.sleep(0.3)
        assert done == [] and errors == [] and writer.is_alive()
        leave.set()
        holder.join(timeout=60)
        writer.join(timeout=120)
        assert errors == []
        assert [(e.position, e.version) for e in done] == [(2, 2)]
    finally:
        ledger.close()
        other.close()
