"""The import's validation worker leaves with its writer: kill -9 the importer mid-import and
no worker is left behind (nor, on PostgreSQL, a connection holding the write lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest

from tests.faults._support import assert_ok, run_ledger, spawn_ledger


def _workers_of(pid: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(pid), "-f", "multiprocessing.spawn"], capture_output=True, text=True
    )
    return [int(p) for p in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_killed_importer_leaves_no_worker_behind(tmp_path: Path) -> None:
    path = tmp_path / "many.ndjson"
    with path.open("wb") as out:
        for i in range(30_000):  # three chunks: the worker starts with the second
            out.write(orjson.dumps({
                "event_id": f"0193c4f0-7c2a-7b3e-9a1d-{i:012d}", "type": "ClaimMade",
                "claim_id": f"c{i % 300}", "occurred_at": "2023-11-02",
                "data": {"claimant": "Wall Street Journal", "statement": "a statement"},
            }) + b"\n")
    db = str(tmp_path / "ledger.db")
    assert_ok(run_ledger("init", "--db", db))
    proc = spawn_ledger("import", str(path), "--db", db, out=tmp_path / "out", err=tmp_path / "err")
    workers: list[int] = []
    deadline = time.monotonic() + 240
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = _workers_of(proc.pid)
    assert workers, "the importer never started its worker"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The worker notices that its parent is gone and exits (how soon depends on the load).
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leak it into the rest of the run
        os.kill(w, signal.SIGKILL)
    assert not left, f"worker(s) {left} outlived the killed importer"
