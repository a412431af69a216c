"""The ledger: the store's appends, replay, verify, questions, and whole CLI processes."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from scripts.bench.data import YEAR_SECONDS, YEAR_START, Dataset, _iso
from scripts.bench.runner import (
    LEDGER_EXE, Databases, Results, latencies, run_measured, run_process, timed,
)
from scripts.bench.system_raw import raw_read_decode
from scripts.bench import system_sqlite_utils


def bench_ledger(ds: Dataset, engine: str, dbs: Databases, res: Results, opts: argparse.Namespace) -> None:
    from ledger.domain.claims import fold, status
    from ledger.domain.time import format_instant
    from ledger.domain.view import visible_events
    from ledger.service.questions import list_claims, resolve_basis, show_claim
    from ledger.service import open_ledger, verify_ledger

    n, S = ds.n, "ledger"
    sample = ds.txn_sample(opts.txn_events)
    skip = set(opts.skip)

    def fresh(name: str) -> Any:
        target = dbs.fresh(engine, name)
        return target, open_ledger(target)

    # Appends: 1 per transaction and 10 per transaction on a sample, then all in one.
    if "append" not in skip:
        target, led = fresh("ledger_1")
        evs = ds.events[:sample]
        dt, _ = timed(lambda: [led.store.append([e]) for e in evs])
        res.add(n, engine, S, "append_1_per_txn", sample / dt, "events/s")
        led.close()
        dbs.drop(engine, target)

        target, led = fresh("ledger_10")
        groups = [[ds.events[i] for i in ds.by_claim[c]] for c in ds.claims[: sample // 10]]
        dt, _ = timed(lambda: [led.store.append(g) for g in groups])
        res.add(n, engine, S, "append_10_per_txn", sample / dt, "events/s")
        led.close()
        dbs.drop(engine, target)

    target, led = fresh("ledger_all")
    dt, result = timed(lambda: led.store.append(ds.events))
    res.add(n, engine, S, "append_all_one_txn", n / dt, "events/s")
    positions = {}
    for e in result.added:
        positions.setdefault(e.claim_id, []).append(e.position)
    head = result.added[-1].position
    del result

    dt, claims = timed(lambda: led.snapshots.rebuild())
    res.add(n, engine, S, "replay", n / dt, "events/s")

    def read_fold() -> int:
        by: dict[str, list[Any]] = {}
        for e in led.store.read_after(0):
            by.setdefault(e.claim_id, []).append(e)
        for events in by.values():
            status(fold(visible_events(events, position=head, as_of=None, certain=False)))
        return len(by)

    dt, _ = timed(read_fold)
    res.add(n, engine, S, "read_all_decode_fold", n / dt, "events/s")

    dt, report = timed(lambda: verify_ledger(led))
    assert report.ok and report.checked == n, report
    res.add(n, engine, S, "verify", n / dt, "events/s")

    # One claim at a past basis, random claims and cut-offs.
    rng = random.Random(11)
    q = opts.queries
    picks = [rng.choice(ds.claims) for _ in range(q + 20)]
    as_ofs = [_iso(YEAR_START + rng.randrange(YEAR_SECONDS // 4, YEAR_SECONDS))[:10] for _ in picks]
    later = format_instant(int((time.time() + 86_400) * 1_000_000))  # known-at after the import
    # A known-at at the import's own recorded_at: "what did the ledger know before this import"
    # (position 0 here, so nothing is visible; what it measures is resolving the basis).
    before = format_instant(led.store.head().recorded_at - 1)
    cut = [positions[c][rng.randint(1, len(positions[c]) - 2)] for c in picks]  # mid-claim @P

    def show(i: int, known: str | None, snaps: Any) -> None:
        basis = resolve_basis(led.store, as_of=as_ofs[i], known_at=known)
        try:
            show_claim(led.store, picks[i], basis, snapshots=snaps)
        except Exception as exc:  # NotFound: nothing of the claim visible at that as-of
            if type(exc).__name__ != "NotFoundError":
                raise

    cases = {
        "show_asof": (lambda i: None, led.snapshots),
        "show_asof_knownat_time": (lambda i: later, led.snapshots),
        "show_asof_knownat_@P": (lambda i: f"@{cut[i]}", led.snapshots),
        "show_asof_knownat_before_import": (lambda i: before, led.snapshots),
        "show_asof_nosnap": (lambda i: None, None),
        "show_asof_knownat_@P_nosnap": (lambda i: f"@{cut[i]}", None),
    }
    for name, (known, snaps) in cases.items():
        # The before-import case scans the log (see the README); fewer queries keep it bounded.
        slow = name.endswith("before_import")
        count = min(q, opts.slow_queries) if slow else q
        lat = latencies(lambda i, k=known, s=snaps: show(i, k(i), s), count, warmup=2 if slow else 20)
        res.add(n, engine, S, f"{name}_p50", lat["p50"], "ms")
        res.add(n, engine, S, f"{name}_p99", lat["p99"], "ms")

    list_as_of = "2023-09-30"
    dt, answers = timed(
        lambda: list_claims(led.store, resolve_basis(led.store, as_of=list_as_of), snapshots=led.snapshots)
    )
    res.add(n, engine, S, "list_asof_snap_s", dt, "s")
    if "list-nosnap" not in skip:
        dt, answers2 = timed(lambda: list_claims(led.store, resolve_basis(led.store, as_of=list_as_of)))
        res.add(n, engine, S, "list_asof_nosnap_s", dt, "s")
        if len(answers2) != len(answers):
            res.notes.append(f"{engine} {n}: claim list with and without snapshots differ in length")
        del answers2
    del answers

    # The denominator: a raw full read-and-decode of the ledger's own events table.
    dt, count = timed(lambda: raw_read_decode(engine, target))
    assert count == n
    res.add(n, engine, "raw", "read_all_decode_s", dt, "s")
    res.add(n, engine, "raw", "read_all_decode", n / dt, "events/s")

    led.close()

    if "cli" not in skip:
        db = target
        for fmt in ("jsonl", "csv", "table"):
            dt = run_process([LEDGER_EXE, "claim", "list", "--as-of", list_as_of, "-f", fmt, "--db", db])
            res.add(n, engine, S, f"cli_list_asof_{fmt}_s", dt, "s")
        walls = []
        for i in range(opts.cli_runs):
            walls.append(run_process([LEDGER_EXE, "claim", "show", picks[i], "--as-of", as_ofs[i], "--db", db]))
        res.add(n, engine, S, "cli_show_asof_s", statistics.median(walls), "s")
        if engine == "sqlite" and "sqlite-utils" in opts.system_set:
            system_sqlite_utils.bench_query_claim(db, picks[: opts.cli_runs], n, res)
    dbs.drop(engine, target)

    if "cli" not in skip and "import" not in skip:
        target = dbs.fresh(engine, "ledger_import")
        # The schema is created first (`ledger init`) so the timing is the import's.
        run_process([LEDGER_EXE, "init", "--db", target])
        proc = run_measured([LEDGER_EXE, "import", str(ds.ndjson), "--db", target])
        res.add(n, engine, S, "cli_import", n / proc.seconds, "events/s")
        res.add(n, engine, S, "cli_import_max_rss_mb", proc.max_rss_mb, "MB")
        dbs.drop(engine, target)
