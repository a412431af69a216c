"""Measuring: timers, percentiles, child processes with their peak memory, results, databases."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

VENV_BIN = Path(sys.executable).parent
LEDGER_EXE = str(VENV_BIN / "ledger") if (VENV_BIN / "ledger").exists() else "ledger"
SQLITE_UTILS_EXE = shutil.which(
    "sqlite-utils", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latencies(fn: Callable[[int], Any], count: int, warmup: int = 20) -> dict[str, float]:
    for i in range(min(warmup, count)):
        fn(i)
    gc.collect()
    samples = []
    for i in range(count):
        t = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t) * 1000)
    return {"p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99)}


@dataclass(frozen=True)
class Process:
    """A finished child process: its wall time and its own peak resident memory."""

    seconds: float
    max_rss_mb: float


def run_measured(argv: list[str], *, stdin: Any = None) -> Process:
    """Run a command to completion; its wall time and the peak RSS of its process tree.

    Not wait4's ru_maxrss: Linux folds the RSS of the forking parent (this benchmark, which
    holds the whole dataset) into the child's maximum at exec. Each process's own high-water
    mark (VmHWM) is sampled instead, and the tree's figure is the sum of those peaks (the
    import and its validation worker), an upper bound of what it held at once.
    """
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=stdin)
    assert proc.stderr is not None
    peaks: dict[int, int] = {}
    with contextlib.closing(proc.stderr):
        os.set_blocking(proc.stderr.fileno(), False)
        err = b""
        while proc.poll() is None:
            for pid in _tree(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), _high_water_kb(pid))
            with contextlib.suppress(BlockingIOError, TypeError):
                err = (err + (proc.stderr.read() or b""))[-4000:]
            time.sleep(0.1)
        with contextlib.suppress(BlockingIOError, TypeError):
            err = (err + (proc.stderr.read() or b""))[-4000:]
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}... failed: {err.decode(errors='replace')[-2000:]}")
    return Process(elapsed, sum(peaks.values()) / 1024)


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
                todo.extend(int(c) for c in text.split())
    return found


def _high_water_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_process(argv: list[str], *, stdin: Any = None) -> float:
    return run_measured(argv, stdin=stdin).seconds


class Results:
    """results[size][engine][system][workload] = list of per-round values (+ unit)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.notes: list[str] = []

    def add(self, size: int, engine: str, system: str, workload: str, value: float, unit: str) -> None:
        slot = (
            self.data.setdefault(str(size), {})
            .setdefault(engine, {})
            .setdefault(system, {})
            .setdefault(workload, {"unit": unit, "rounds": []})
        )
        slot["rounds"].append(value)
        shown = f"{value:,.0f}" if unit == "events/s" else f"{value:.4g}"
        log(f"  {engine:8} {system:12} {workload:32} {shown} {unit}")

    def median(self, size: int, engine: str, system: str, workload: str) -> float | None:
        try:
            rounds = self.data[str(size)][engine][system][workload]["rounds"]
        except KeyError:
            return None
        return statistics.median(rounds) if rounds else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for size, engines in self.data.items():
            for engine, systems in engines.items():
                for system, workloads in systems.items():
                    for name, slot in workloads.items():
                        out.setdefault(size, {}).setdefault(engine, {}).setdefault(system, {})[
                            name
                        ] = {
                            "unit": slot["unit"],
                            "median": statistics.median(slot["rounds"]),
                            "rounds": slot["rounds"],
                        }
        return out


# -- databases ---------------------------------------------------------------------------


class Databases:
    """Fresh SQLite files under the work directory, fresh PostgreSQL databases on the server."""

    def __init__(self, workdir: Path, pg_url: str | None) -> None:
        self.workdir = workdir
        self.pg_url = pg_url
        self._admin = None

    def _pg_admin(self) -> Any:
        import psycopg

        if self._admin is None:
            self._admin = psycopg.connect(self.pg_url, autocommit=True)
        return self._admin

    def pg_dsn(self, name: str) -> str:
        assert self.pg_url is not None
        parts = urlsplit(self.pg_url)
        scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
        return urlunsplit((scheme, parts.netloc, "/" + name, parts.query, ""))

    def fresh(self, engine: str, name: str) -> str:
        """A new empty database; returns a path (SQLite) or a postgresql:// URL."""
        if engine == "sqlite":
            path = self.workdir / f"{name}.db"
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
            return str(path)
        db = f"ledger_bench_{name}"
        admin = self._pg_admin()
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db}"')
        return self.pg_dsn(db)

    def drop(self, engine: str, target: str) -> None:
        if engine == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{target}{suffix}")
            return
        db = urlsplit(target).path.lstrip("/")
        self._pg_admin().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


def es_pg_env(dsn: str) -> dict[str, str]:
    parts = urlsplit(dsn)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
    }


# -- the ledger ----------------------------------------------------------------------------
