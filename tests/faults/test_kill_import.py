"""kill -9 during a 50,000-event import: nothing partial is ever visible, and re-import completes.

Rounds kill the importer at random moments (drawn around the measured start of its write
transaction, so that most land inside it) and at the three fixed crash points of
`ledger.store.faults` (LEDGER_FAULTS=before-insert|mid-batch|before-commit). While an import runs,
the test polls the committed row count and whether the write lock is held; after each kill it
checks that the count is 0 or the full set, `PRAGMA integrity_check` (SQLite), `verify`, that
no write lock is left (PostgreSQL), and finally that an uninterrupted re-import completes to
exactly the full set, in input order, and `ledger verify` passes.

Rounds are chained to keep the suite within its time budget (a 50,000-event import costs
seconds): the import that follows a killed one *is* the re-import after that kill (it runs over
whatever the kill left: a hot WAL, a dead backend's rolled-back transaction), and the last of
each chain runs to completion and is checked to hold exactly the full set. A kill that lands
after the commit leaves the full set, which is checked, and the chain goes on with a fresh
database. The fixed points are chained the same way: before-insert, then mid-batch, then
before-commit, then a complete import.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from ledger.service import open_ledger, verify_ledger
from tests.faults._support import (
    LEDGER,
    EventFile,
    PgLook,
    assert_ok,
    assert_one_error_line,
    clean_env,
    record_figures,
    run_ledger,
    spawn_ledger,
    sqlite_ids,
    sqlite_integrity,
    sqlite_remove,
    sqlite_stats,
    sqlite_write_locked,
    verify_digest,
    with_database,
    write_event_file,
)

SQLITE_RANDOM_ROUNDS = 20  # split over two tests so xdist runs them side by side
POSTGRES_RANDOM_ROUNDS = 5
POLL_S = 0.1


# -- the two engines, seen from outside the program ------------------------------------------


class SqliteTarget:
    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = str(path)

    def prepare(self) -> None:
        assert_ok(run_ledger("init", "--db", self.url))

    def stats(self) -> tuple[int, int | None, int | None]:
        return sqlite_stats(self.path)

    def in_write_tx(self) -> bool:
        return sqlite_write_locked(self.path)

    def ids(self) -> list[str]:
        return sqlite_ids(self.path)

    def after_kill(self) -> float:
        assert sqlite_integrity(self.path) == "ok"
        return 0.0

    def reset(self) -> None:
        sqlite_remove(self.path)
        self.prepare()

    def close(self) -> None:
        pass


class PgTarget:
    engine = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self.look: PgLook | None = None

    def prepare(self) -> None:
        assert_ok(run_ledger("init", "--db", self.url))
        self.look = PgLook(self.url)

    def _look(self) -> PgLook:
        assert self.look is not None
        return self.look

    def stats(self) -> tuple[int, int | None, int | None]:
        return self._look().stats()

    def in_write_tx(self) -> bool:
        return bool(self._look().lock_holders())

    def ids(self) -> list[str]:
        return self._look().ids()

    def after_kill(self) -> float:
        # The server notices the dead client, rolls back, and releases the write lock.
        return self._look().wait_no_lock(timeout=15)

    def reset(self) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.close()
        name = make_url(self.url).database
        with psycopg.connect(with_database(self.url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        self.prepare()

    def close(self) -> None:
        if self.look is not None:
            self.look.close()
            self.look = None


Target = SqliteTarget | PgTarget


@dataclass
class Figures:
    rounds: int = 0
    killed: int = 0
    killed_mid_transaction: int = 0
    killed_before_transaction: int = 0
    killed_after_commit: int = 0
    finished_before_kill: int = 0
    partial_seen: int = 0
    polls: int = 0
    max_lock_release_s: float = 0.0
    lock_seen_at_s: list[float] = field(default_factory=list)


@dataclass
class RoundResult:
    killed: bool
    returncode: int
    in_tx_at_kill: bool
    lock_seen_at: float | None
    count_after: int
    stderr: str


def _run_round(
    target: Target,
    big: EventFile,
    workdir: Path,
    figures: Figures,
    *,
    kill_at: float | None,
    after_lock: bool = False,
    env: dict[str, str] | None = None,
) -> RoundResult:
    """Start an import; kill it at `kill_at` s (or `kill_at` s after its lock is seen)."""
    out, err = workdir / "import.out", workdir / "import.err"
    proc = spawn_ledger("import", str(big.path), "--db", target.url, out=out, err=err, env=env)
    start = time.monotonic()
    lock_seen: float | None = None
    in_tx = False
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - start
            count = target.stats()[0]
            figures.polls += 1
            if count not in (0, big.count):  # a reader saw part of an uncommitted import
                figures.partial_seen += 1
            if lock_seen is None and target.in_write_tx():
                lock_seen = elapsed
            if kill_at is not None:
                due = (lock_seen + kill_at) if after_lock and lock_seen is not None else kill_at
                if (not after_lock or lock_seen is not None) and elapsed >= due:
                    in_tx = target.in_write_tx()
                    proc.send_signal(signal.SIGKILL)
                    break
            assert elapsed < 400, "the import neither finished nor got killed"
            time.sleep(POLL_S)
        returncode = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed = returncode == -signal.SIGKILL
    figures.rounds += 1
    if lock_seen is not None:
        figures.lock_seen_at_s.append(round(lock_seen, 2))

    # Nothing partial: 0 or all, positions 1..n, the file intact, the chain whole, no lock left.
    count, low, high = target.stats()
    if count not in (0, big.count):
        figures.partial_seen += 1
    assert count in (0, big.count), f"partial import visible after a kill: {count} rows"
    if count:
        assert (low, high) == (1, count)
    figures.max_lock_release_s = max(figures.max_lock_release_s, target.after_kill())
    ledger = open_ledger(target.url)
    try:
        report = verify_ledger(ledger)
    finally:
        ledger.close()
    assert report.ok and report.checked == count, report

    if killed:
        figures.killed += 1
        if count == big.count:
            figures.killed_after_commit += 1
        elif in_tx or kill_at is None:  # no kill_at: a crash point inside the transaction
            figures.killed_mid_transaction += 1
        else:
            figures.killed_before_transaction += 1
    else:
        figures.finished_before_kill += 1
    return RoundResult(
        killed=killed,
        returncode=returncode,
        in_tx_at_kill=in_tx,
        lock_seen_at=lock_seen,
        count_after=count,
        stderr=err.read_text(errors="replace"),
    )


def _complete(target: Target, big: EventFile) -> str:
    """An uninterrupted re-import: exactly the full set, in input order; `ledger verify` passes."""
    assert_ok(run_ledger("import", str(big.path), "--db", target.url, timeout=400))
    assert target.stats() == (big.count, 1, big.count)
    assert target.ids() == list(big.ids)
    if isinstance(target, SqliteTarget):
        assert sqlite_integrity(target.path) == "ok"
    digest = verify_digest(target.url)
    assert digest.startswith(f"{big.count}:")
    return digest


def _random_rounds(
    target: Target, big: EventFile, tmp_path: Path, rounds: int, seed: int
) -> Figures:
    rng = random.Random(seed)
    figures = Figures()
    target.prepare()
    t_lock: float | None = None  # how long parsing takes before the write transaction starts
    try:
        for number in range(rounds):
            if t_lock is None or number % 4 == 3:
                # Anywhere in the run: while parsing, inside the transaction, or after COMMIT.
                # (Round 1 waits for the lock instead, to learn when the transaction starts.)
                after_lock = t_lock is None
                kill_at = rng.uniform(0.0, 4.0) if after_lock else rng.uniform(0.2, 2.1) * t_lock
            else:
                # Inside the write transaction (which lasts about as long as the parsing
                # before it); the latest of these land just after COMMIT.
                after_lock = True
                kill_at = rng.uniform(0.0, 1.0) * t_lock
            result = _run_round(
                target, big, tmp_path, figures, kill_at=kill_at, after_lock=after_lock
            )
            if result.lock_seen_at is not None:
                t_lock = result.lock_seen_at
            if not result.killed:
                assert result.returncode == 0, result.stderr
            if result.count_after == big.count:
                assert target.ids() == list(big.ids)
                target.reset()
        _complete(target, big)
    finally:
        target.close()
    return figures


def _seed() -> int:
    return int(os.environ.get("LEDGER_FAULTS_SEED", "0")) or random.SystemRandom().randrange(2**31)


def _report(name: str, figures: Figures, **extra: object) -> None:
    values = asdict(figures)
    values["lock_seen_at_s"] = ",".join(str(v) for v in values["lock_seen_at_s"])
    record_figures(name, **values, **extra)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("shard", [1, 2])
def test_kill_9_at_random_moments_sqlite(shard: int, big_import: EventFile, tmp_path: Path) -> None:
    seed = _seed() + shard
    figures = _random_rounds(
        SqliteTarget(tmp_path / "ledger.db"), big_import, tmp_path, SQLITE_RANDOM_ROUNDS // 2, seed
    )
    _report(f"kill-9 random sqlite #{shard}", figures, seed=seed)
    assert figures.partial_seen == 0


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_kill_9_at_random_moments_postgres(
    pg_database: str, big_import: EventFile, tmp_path: Path
) -> None:
    seed = _seed()
    figures = _random_rounds(
        PgTarget(pg_database), big_import, tmp_path, POSTGRES_RANDOM_ROUNDS, seed
    )
    _report("kill-9 random postgres", figures, seed=seed)
    assert figures.partial_seen == 0


FIXED_POINTS = ("before-insert", "mid-batch", "before-commit")


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_kill_9_at_the_fixed_points(
    engine: str, big_import: EventFile, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each crash point in turn (the next import is the re-import), then one that completes."""
    target: Target = (
        SqliteTarget(tmp_path / "ledger.db")
        if engine == "sqlite"
        else PgTarget(request.getfixturevalue("pg_database"))
    )
    figures = Figures()
    target.prepare()
    try:
        for point in FIXED_POINTS:
            result = _run_round(
                target, big_import, tmp_path, figures, kill_at=None,
                env=clean_env(LEDGER_FAULTS=point),
            )
            # The store killed itself inside its write transaction: nothing was committed.
            assert result.returncode == -signal.SIGKILL, (point, result.stderr)
            assert result.lock_seen_at is not None, point  # it did get inside the transaction
            assert result.count_after == 0, point
        _complete(target, big_import)
    finally:
        target.close()
    _report(f"kill-9 fixed points {engine}", figures)
    assert figures.partial_seen == 0
    assert figures.killed_mid_transaction == len(FIXED_POINTS)


# -- pg_terminate_backend ---------------------------------------------------------------------


def _terminate_when_locked(
    look: PgLook, proc: subprocess.Popen[bytes], delay: float, deadline: float = 300
) -> int:
    """Wait until the importer's backend holds the write lock, then terminate that backend."""
    start = time.monotonic()
    while proc.poll() is None:
        holders = look.lock_holders()
        if holders:
            time.sleep(delay)
            holders = look.lock_holders() or holders
            assert look.scalar("SELECT pg_terminate_backend(%s)", (holders[0],)) is True
            return holders[0]
        assert time.monotonic() - start < deadline, "the importer never took the write lock"
        time.sleep(0.02)
    raise AssertionError(f"the import finished (exit {proc.returncode}) before it was terminated")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_pg_terminate_backend_of_importer_leaves_nothing_and_no_lock(
    pg_database: str, big_import: EventFile, tmp_path: Path
) -> None:
    target = PgTarget(pg_database)
    target.prepare()
    look = target._look()
    try:
        out, err = tmp_path / "import.out", tmp_path / "import.err"
        proc = spawn_ledger(
            "import", str(big_import.path), "--db", target.url, out=out, err=err
        )
        try:
            _terminate_when_locked(look, proc, delay=random.uniform(0.0, 0.5))
            returncode = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert returncode == 1, err.read_text()

        # No lock left behind; nothing partial; the chain verifies.
        released = look.wait_no_lock(timeout=5)
        assert look.stats()[0] == 0
        # A new append gets the lock at once.
        started = time.monotonic()
        assert_ok(
            run_ledger(
                "claim", "make", "after-terminate", "--claimant", "Analyst", "--statement",
                "The importer was terminated", "--occurred-at", "2023-11-21", "--db", target.url,
                timeout=30,
            )
        )
        append_s = time.monotonic() - started
        assert append_s < 10
        assert look.lock_holders() == []
        # Then the re-import completes to exactly the full set, after that one event.
        assert_ok(run_ledger("import", str(big_import.path), "--db", target.url, timeout=400))
        assert look.stats() == (big_import.count + 1, 1, big_import.count + 1)
        assert look.ids()[1:] == list(big_import.ids)
        assert verify_digest(target.url).startswith(f"{big_import.count + 1}:")
        assert look.lock_holders() == []
    finally:
        target.close()
    record_figures(
        "pg_terminate_backend importer",
        rounds=1,
        killed=1,
        killed_mid_transaction=1,
        partial_seen=0,
        lock_release_s=round(released, 3),
        next_append_s=round(append_s, 2),
    )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_pg_terminated_importer_prints_one_error_line(pg_database: str, tmp_path: Path) -> None:
    events = write_event_file(tmp_path / "events.ndjson", 10_000, seed="terminate")
    target = PgTarget(pg_database)
    target.prepare()
    try:
        proc = subprocess.Popen(
            [*LEDGER, "import", str(events.path), "--db", target.url],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=clean_env(),
        )
        _terminate_when_locked(target._look(), proc, delay=0.0)
        stdout, stderr = proc.communicate(timeout=60)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        assert target.stats()[0] == 0
        assert_one_error_line(result)
    finally:
        target.close()
