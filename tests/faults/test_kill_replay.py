"""kill -9 of a replay folding in worker processes: the workers go too, the projection stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger.service import open_ledger
from ledger.store.sql.projection import disagreements, table_rows
from tests.integration.test_parallel_replay import _ledger

# A replay split into many small ranges, each fold slowed so the kill lands mid-replay.
_SLOW_REPLAY = """
import sys, time
from ledger.service import open_ledger
from ledger.store.sql import replay
replay.PARALLEL_MIN_EVENTS, replay.RANGE_EVENTS = 0, 2
replay.worker_count = lambda: 2
fold = replay.snapshot_row
def slow(*args):
    time.sleep(0.2)
    return fold(*args)
replay.snapshot_row = slow
ledger = open_ledger(sys.argv[1])
print("replaying", flush=True)
ledger.snapshots.rebuild()
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killing_the_replay_takes_its_workers_along(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    ledger = _ledger(db)
    before = table_rows(ledger.engine)
    ledger.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_REPLAY, db],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"replaying\n"
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [p for p in _children(proc.pid) if _alive(p)]
            time.sleep(0.05)
        assert len(workers) >= 2, "the replay started its workers"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
    ledger = open_ledger(db)
    try:
        assert table_rows(ledger.engine) == before
        assert disagreements(ledger.engine) == []
    finally:
        ledger.close()
