"""Helpers for the fault tests: the real `ledger` program in a subprocess, and looks at the db.

Every test here drives the program as a user would: a separate process, its exit code, its
stdout and stderr. The checks then look at the database directly (sqlite3, psycopg), not through
the code under test, except where the check *is* the program (`ledger verify`).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.store.sql.engine import PG_LOCK_TABLE

FIGURES_ENV = "LEDGER_FAULTS_FIGURES_FILE"

# The PostgreSQL write lock is the table lock of the ledger's PG_LOCK_TABLE, in EXCLUSIVE mode.

_LEDGER_VARS = (
    "LEDGER_FAULTS", "LEDGER_DATABASE_URL", "LEDGER_TIMEZONE", "LEDGER_DEBUG", "LEDGER_LOCK_TIMEOUT",
)


def ledger_command() -> list[str]:
    """The installed console script of this interpreter's environment, else the entry point."""
    beside = Path(sys.executable).parent / "ledger"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ledger")
    if found:
        return [found]
    return [sys.executable, "-c", "from ledger.cli.app import main; main()"]


LEDGER = ledger_command()


_DATA_HOME = Path(tempfile.gettempdir()) / f"ledger-faults-data-{os.getpid()}"
atexit.register(shutil.rmtree, _DATA_HOME, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any LEDGER_* setting that would change the program.

    The user data directory points into a temporary one, so a command run without --db can
    never touch the real default ledger of whoever runs the tests.
    """
    env = {k: v for k, v in os.environ.items() if k not in _LEDGER_VARS}
    env["XDG_DATA_HOME"] = str(_DATA_HOME)
    for key in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        env.pop(key, None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_ledger(
    *args: str,
    input: bytes | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    """Run `ledger ARGS...` to completion; stdout and stderr as bytes."""
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [*LEDGER, *args],
        input=data,
        stdin=None if data is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env or clean_env(),
        timeout=timeout,
        check=False,
    )


def spawn_ledger(
    *args: str, out: Path, err: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `ledger ARGS...` in the background, its output going to files (no pipe to fill)."""
    return subprocess.Popen(
        [*LEDGER, *args],
        stdin=subprocess.DEVNULL,
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        env=env or clean_env(),
    )


def text(result: subprocess.CompletedProcess[bytes]) -> str:
    return (result.stdout + result.stderr).decode("utf-8", "replace")


def describe(result: subprocess.CompletedProcess[bytes]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout ---\n{result.stdout[:3000]!r}\n"
        f"--- stderr ---\n{result.stderr[:3000].decode('utf-8', 'replace')}"
    )


def assert_ok(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    assert result.returncode == 0, describe(result)
    return result


def assert_one_error_line(
    result: subprocess.CompletedProcess[bytes], *fragments: str
) -> str:
    """Exit 1, no traceback, and exactly one stderr line `Error: ...` holding every fragment."""
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, describe(result)
    assert result.returncode == 1, describe(result)
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, describe(result)
    # Warnings (e.g. a world-readable file) may precede it; nothing else may.
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), describe(result)
    for fragment in fragments:
        assert fragment.lower() in errors[0].lower(), (fragment, describe(result))
    return errors[0]


def export_lines(db: str) -> list[dict[str, Any]]:
    result = assert_ok(run_ledger("export", "--db", db))
    return [json.loads(line) for line in result.stdout.splitlines()]


def verify_digest(db: str) -> str:
    """`ledger verify` must pass; returns its digest `P:H`."""
    result = assert_ok(run_ledger("verify", "--db", db))
    return result.stdout.decode().strip()


# -- events ---------------------------------------------------------------------------------


def event_line(
    i: int,
    *,
    namespace: uuid.UUID,
    claims: int = 5_000,
    data: dict[str, Any] | None = None,
    claim_id: str | None = None,
) -> dict[str, Any]:
    """One ClaimMade line with a client-chosen event id."""
    return {
        "event_id": str(uuid.uuid5(namespace, str(i))),
        "type": "ClaimMade",
        "claim_id": claim_id or f"fault-claim-{i % claims:05d}",
        "occurred_at": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "data": data
        or {
            "claimant": f"Reporter {i % 97}",
            "statement": f"Statement number {i} about the shipment",
            "origin": f"Origin {i % 13}",
        },
    }


@dataclass(frozen=True)
class EventFile:
    path: Path
    ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.ids)


def write_event_file(path: Path, count: int, *, seed: str) -> EventFile:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-faults/{seed}")
    ids = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            line = event_line(i, namespace=namespace)
            ids.append(line["event_id"])
            f.write(json.dumps(line) + "\n")
    return EventFile(path, tuple(ids))


# -- SQLite, looked at directly ----------------------------------------------------------------


def sqlite_connect(path: str | Path, timeout: float = 30) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    return conn


def sqlite_stats(path: str | Path) -> tuple[int, int | None, int | None]:
    """(count, min position, max position) of the committed events."""
    conn = sqlite_connect(path)
    try:
        row = conn.execute("SELECT count(*), min(position), max(position) FROM events").fetchone()
        return int(row[0]), row[1], row[2]
    finally:
        conn.close()


def sqlite_ids(path: str | Path) -> list[str]:
    conn = sqlite_connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT event_id FROM events ORDER BY position")]
    finally:
        conn.close()


def sqlite_integrity(path: str | Path) -> str:
    conn = sqlite_connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)
    finally:
        conn.close()


def sqlite_write_locked(path: str | Path) -> bool:
    """True when another connection holds the write lock (is inside a write transaction)."""
    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# -- PostgreSQL, looked at directly ----------------------------------------------------------


def libpq_url(url: str) -> str:
    """A URL psycopg.connect takes (no SQLAlchemy driver suffix)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(libpq_url(url)).set(database=database).render_as_string(hide_password=False)


class PgLook:
    """An autocommit connection for looking at one database from outside the program."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(libpq_url(url), autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]

    def stats(self) -> tuple[int, int | None, int | None]:
        row = self.conn.execute(
            "SELECT count(*), min(position), max(position) FROM events"
        ).fetchone()
        assert row is not None
        return int(row[0]), row[1], row[2]

    def ids(self) -> list[str]:
        rows = self.conn.execute("SELECT event_id FROM events ORDER BY position")
        return [str(r[0]) for r in rows]

    def lock_holders(self) -> list[int]:
        """Backends holding the ledger's write lock (the lock table's EXCLUSIVE lock)."""
        rows = self.conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'relation' AND granted "
            "AND mode = 'ExclusiveLock' AND relation = to_regclass(%s)",
            (PG_LOCK_TABLE,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def wait_no_lock(self, timeout: float = 15) -> float:
        """Seconds until no backend holds the write lock; fails after `timeout`."""
        start = time.monotonic()
        while self.lock_holders():
            if time.monotonic() - start > timeout:
                raise AssertionError(f"the write lock is still held after {timeout}s")
            time.sleep(0.05)
        return time.monotonic() - start


# -- figures ----------------------------------------------------------------------------------


def record_figures(test: str, **values: Any) -> None:
    """Print one test's figures and add them to the run's summary (tests/faults/conftest.py)."""
    line = json.dumps({"test": test, **values}, sort_keys=True)
    print(f"FIGURES {line}")
    path = os.environ.get(FIGURES_ENV)
    if path:
        with Path(path).open("a", encoding="utf-8") as f:
            f.write(line + "\n")


# -- in process, for many quick queries -------------------------------------------------------


def cli_in_process(
    *args: str, input: bytes | str | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the Typer app in this process (no interpreter start-up): for query-heavy checks of
    matching and parsing, where process behaviour (exit by signal, pipes) is not the point."""
    from typer.testing import CliRunner

    from ledger.cli.app import app

    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return subprocess.CompletedProcess(
        list(args), result.exit_code, result.stdout_bytes, result.stderr_bytes or b""
    )
