"""Many processes on one SQLite file: 8 writers and 4 readers at once, for about 20 seconds.

Writers: four loop over `ledger append FILE` and `ledger claim make` (the CLI a user runs), four
are long-lived processes appending through the store. Readers: two read the whole log through
the store in one read transaction and check it, one loops `ledger verify`, one loops
`ledger export`. No "database is locked" (or any other error) may reach a user, and every read
must be a consistent prefix: positions 1..n without a gap, the chain verifying, n never going
back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.faults._support import (
    assert_ok,
    clean_env,
    record_figures,
    run_ledger,
    sqlite_integrity,
    sqlite_stats,
    verify_digest,
)

DURATION_S = 20.0

STORE_WRITER = r"""
import json, sys, time, uuid
from ledger.domain.events import validate_event
from ledger.service import open_ledger
path, name, until = sys.argv[1], sys.argv[2], time.time() + float(sys.argv[3])
ledger = open_ledger(path)
stats = {"appends": 0, "events": 0, "errors": [], "busy": 0}
i = 0
while time.time() < until:
    batch = []
    for _ in range(1 + i % 5):
        i += 1
        batch.append(validate_event({
            "event_id": str(uuid.uuid4()), "type": "ClaimMade",
            "claim_id": f"{name}-claim-{i % 7}", "occurred_at": "2023-11-21",
            "data": {"claimant": name, "statement": f"event {i}"}}))
    try:
        result = ledger.store.append(batch)
        stats["appends"] += 1
        stats["events"] += len(result.added)
    except Exception as exc:
        text = str(exc)
        stats["busy"] += ("locked" in text.lower() or "busy" in text.lower())
        stats["errors"].append(text[:300])
ledger.close()
print(json.dumps(stats))
"""

STORE_READER = r"""
import json, sys, time
from ledger.verify import verify_events
from ledger.service import open_ledger
path, until = sys.argv[1], time.time() + float(sys.argv[2])
ledger = open_ledger(path)
stats = {"reads": 0, "max_n": 0, "bad": [], "errors": [], "busy": 0}
last = 0
while time.time() < until:
    try:
        events = list(ledger.store.read_after(0))  # one read transaction: one snapshot
    except Exception as exc:
        text = str(exc)
        stats["busy"] += ("locked" in text.lower() or "busy" in text.lower())
        stats["errors"].append(text[:300])
        continue
    n = len(events)
    positions = [e.position for e in events]
    if positions != list(range(1, n + 1)):
        stats["bad"].append(f"positions not 1..{n}")
    report = verify_events(events)
    if not report.ok:
        stats["bad"].append(f"chain broken at {report.breaks[0].position}")
    if n < last:
        stats["bad"].append(f"went back from {last} to {n}")
    last = n
    stats["reads"] += 1
    stats["max_n"] = max(stats["max_n"], n)
ledger.close()
print(json.dumps(stats))
"""


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0
        self.failures: list[str] = []
        self.busy = 0
        self.events = 0
        self.bad: list[str] = []
        self.reads = 0

    def command(self, result: subprocess.CompletedProcess[bytes], what: str) -> None:
        err = result.stderr.decode("utf-8", "replace")
        with self.lock:
            self.runs += 1
            if "locked" in err.lower() or "busy" in err.lower():
                self.busy += 1
            if result.returncode != 0 or "Traceback" in err or "Error" in err:
                self.failures.append(f"{what}: exit {result.returncode}: {err[-500:]}")


def _cli_writer(db: str, name: str, until: float, tmp: Path, tally: Tally) -> None:
    i = 0
    while i == 0 or time.time() < until:  # at least once, however loaded the machine is
        i += 1
        if i % 2:
            lines = [
                json.dumps({
                    "event_id": str(uuid.uuid4()), "type": "ClaimMade",
                    "claim_id": f"{name}-claim-{(i + k) % 5}", "occurred_at": "2023-11-21",
                    "data": {"claimant": name, "statement": f"line {i}.{k}"},
                })
                for k in range(3)
            ]
            path = tmp / f"{name}-{i}.ndjson"
            path.write_text("\n".join(lines) + "\n")
            result = run_ledger("append", str(path), "--db", db, timeout=120)
            tally.command(result, f"{name} append")
            added = 3
        else:
            result = run_ledger(
                "claim", "make", f"{name}-claim-{i % 5}", "--claimant", name, "--statement",
                f"made {i}", "--occurred-at", "2023-11-22", "--db", db, timeout=120,
            )
            tally.command(result, f"{name} claim make")
            added = 1
        if result.returncode == 0:
            with tally.lock:
                tally.events += added


def _cli_reader(db: str, command: str, until: float, tally: Tally) -> None:
    last = 0
    first = True
    while first or time.time() < until:  # at least once, however loaded the machine is
        first = False
        if command == "verify":
            result = run_ledger("verify", "--db", db, timeout=120)
            tally.command(result, "verify")
            if result.returncode != 0:
                continue
            n = int(result.stdout.decode().split(":")[0])
        else:
            result = run_ledger("export", "--db", db, timeout=120)
            tally.command(result, "export")
            if result.returncode != 0:
                continue
            rows = [json.loads(line) for line in result.stdout.splitlines()]
            n = len(rows)
            problems = []
            if [r["position"] for r in rows] != list(range(1, n + 1)):
                problems.append("export positions not 1..n")
            links = zip(rows, rows[1:])
            if any(b["prev_hash"] != a["hash"] for a, b in links):
                problems.append("export chain links broken")
            if problems:
                with tally.lock:
                    tally.bad.extend(problems)
        with tally.lock:
            tally.reads += 1
            if n < last:
                tally.bad.append(f"{command} went back from {last} to {n}")
        last = n


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_eight_writers_four_readers_on_one_sqlite_file(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    assert_ok(run_ledger("init", "--db", db))
    until = time.time() + DURATION_S + 3  # the store processes take ~1 s to start
    tally = Tally()
    env = clean_env()

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STORE_WRITER, db, f"store-writer-{n}", str(DURATION_S)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        for n in range(4)
    ] + [
        subprocess.Popen(
            [sys.executable, "-c", STORE_READER, db, str(DURATION_S)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        for _ in range(2)
    ]
    threads = [
        threading.Thread(target=_cli_writer, args=(db, f"cli-writer-{n}", until, tmp_path, tally))
        for n in range(4)
    ] + [
        threading.Thread(target=_cli_reader, args=(db, command, until, tally))
        for command in ("verify", "export")
    ]
    for t in threads:
        t.start()
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=DURATION_S + 120)
            assert proc.returncode == 0, err.decode("utf-8", "replace")[-2000:]
            assert "Traceback" not in err.decode("utf-8", "replace")
            outputs.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for t in threads:
            t.join(timeout=150)

    writers, readers = outputs[:4], outputs[4:]
    busy = tally.busy + sum(o["busy"] for o in outputs)
    errors = tally.failures + [e for o in outputs for e in o["errors"]]
    bad = tally.bad + [b for o in readers for b in o["bad"]]
    stored_by_store = sum(o["events"] for o in writers)
    count, low, high = sqlite_stats(db)
    record_figures(
        "8 writers + 4 readers, sqlite",
        seconds=DURATION_S,
        cli_commands=tally.runs,
        store_appends=sum(o["appends"] for o in writers),
        events_stored=count,
        store_reads=sum(o["reads"] for o in readers),
        cli_reads=tally.reads,
        busy_errors_surfaced=busy,
        other_errors=len(errors) - busy,
        inconsistent_reads=len(bad),
    )
    assert busy == 0, errors[:5]
    assert errors == [], errors[:5]
    assert bad == [], bad[:5]
    # Every acknowledged append is there, and nothing else.
    assert count == stored_by_store + tally.events
    assert (low, high) == (1, count)
    assert sqlite_integrity(db) == "ok"
    assert verify_digest(db).startswith(f"{count}:")
    assert all(o["reads"] > 0 for o in readers) and tally.reads > 0
