#!/usr/bin/env python
"""Measure `ledger import --from gdelt` in rows per second (issue 6's closing note).

  python scripts/bench_gdelt.py [PG_URL] [--rows 1000000] [--no-synthetic] [--profile 50000]

1. imports the shared GDELT sample into a fresh SQLite file and a fresh PostgreSQL schema;
2. writes a synthetic file of --rows rows in the sample's CSV layout (rows cycled from the sample,
   new GLOBALEVENTIDs, DATEADDED non-decreasing in 15-minute batches) and imports it the same way;
3. with --profile N, runs cProfile over the import of an N-row synthetic file on SQLite and
   prints where the time goes.

Each import runs in its own process, so peak memory (max RSS) is that import's alone. The
PostgreSQL URL comes from the argument or LEDGER_TEST_POSTGRES_URL; without one, only SQLite runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

SHARED = Path(
    os.environ.get("LEDGER_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
SAMPLE = SHARED / "gdelt2_events_sample.csv"
BATCH_ROWS = 10_000  # rows per synthetic DATEADDED, like one busy GDELT 15-minute update


def machine() -> str:
    return (
        f"{platform.platform()}; {platform.processor() or platform.machine()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}"
    )


def synthesize(path: Path, rows: int) -> None:
    """`rows` rows derived from the sample: new ids, non-decreasing DATEADDED, in the past."""
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        sample = list(reader)
    gid, added = header.index("GLOBALEVENTID"), header.index("DATEADDED")
    start = datetime(2017, 7, 2)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            row = list(sample[i % len(sample)])
            row[gid] = str(800_000_000 + i)
            batch = start + timedelta(minutes=15 * (i // BATCH_ROWS))
            row[added] = batch.strftime("%Y%m%d%H%M%S")
            writer.writerow(row)


def fresh_postgres(base: str) -> tuple[str, object]:
    """A new empty schema on the server, and a function dropping it."""
    from sqlalchemy import create_engine, text

    url = base
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    name = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}", drop


def run_one(path: str, db: str) -> dict[str, float]:
    """One import as the CLI does it (streamed: read, validate and append overlap; one
    transaction), timed whole (runs in a child process, so max RSS is this import's)."""
    from ledger.service import opened

    t0, c0 = time.perf_counter(), time.process_time()
    with opened(db) as ledger:
        t1 = time.perf_counter()
        report = ledger.import_gdelt(path)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "rows": report["rows"],
        "added": report["added"],
        "open_s": t1 - t0,
        "import_s": t2 - t1,
        "total_s": t2 - t0,
        # This process's CPU (not the server's): on a shared machine, steadier than the wall.
        "cpu_s": c2 - c0,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(label: str, path: Path, engine: str, pg_base: str | None) -> None:
    drop = None
    if engine == "sqlite":
        db = str(path.parent / f"{path.stem}-{uuid.uuid4().hex[:6]}.db")
    else:
        assert pg_base is not None
        db, drop = fresh_postgres(pg_base)
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(path), db],
            capture_output=True, text=True, check=False,
        )
        if child.returncode != 0:
            print(f"{label} on {engine}: FAILED\n{child.stderr[-3000:]}", flush=True)
            return
        r = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if drop is not None:
            drop()  # type: ignore[operator]
        if engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
    print(
        f"{label:>10} {engine:>8}: {r['rows']:>9,} rows in {r['total_s']:7.1f} s = "
        f"{r['rows'] / r['total_s']:>7,.0f} rows/s  (open {r['open_s']:.1f} s, "
        f"import {r['import_s']:.1f} s, CPU {r['cpu_s']:.1f} s, max RSS {r['max_rss_mb']:,.0f} MB)",
        flush=True,
    )


def profile(rows: int, tmp: Path) -> None:
    import cProfile
    import pstats

    path = tmp / f"synthetic-{rows}.csv"
    synthesize(path, rows)
    db = str(tmp / "profile.db")
    profiler = cProfile.Profile()
    profiler.runcall(run_one, str(path), db)
    print(f"\ncProfile of a {rows:,}-row import on SQLite (top 25 by cumulative time):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pg_url", nargs="?", default=os.environ.get("LEDGER_TEST_POSTGRES_URL"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child)))
        return
    if not SAMPLE.is_file():
        sys.exit(f"no GDELT sample at {SAMPLE}; set LEDGER_SHARED_DATA")
    engines = [e for e in args.engines.split(",") if e == "sqlite" or args.pg_url]
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-gdelt-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.no_sample:
            for engine in engines:
                measure("sample", SAMPLE, engine, args.pg_url)
        if not args.no_synthetic:
            path = tmp / f"synthetic-{args.rows}.csv"
            t0 = time.perf_counter()
            synthesize(path, args.rows)
            size = path.stat().st_size / 1e6
            print(f"synthetic: {args.rows:,} rows, {size:,.0f} MB, written in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            for engine in engines:
                measure("synthetic", path, engine, args.pg_url)
        if args.profile:
            profile(args.profile, tmp)


if __name__ == "__main__":
    main()
