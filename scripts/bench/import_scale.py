"""`python -m scripts.bench.import_scale --events 5000000`: one `ledger import` of a big file.

Issue 16's memory goal at sizes the whole benchmark cannot hold in memory: the NDJSON file of
the benchmark's data (scripts/bench/data.py) is written a line at a time, then `ledger init`
and `ledger import FILE` run as processes; it prints the rate, the wall time and the peak RSS
of the import's process tree (the import and its validation worker), and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `scripts.bench` importable from the root
    sys.path[0] = str(Path(__file__).resolve().parents[2])

import orjson  # noqa: E402

from scripts.bench.data import iter_lines  # noqa: E402
from scripts.bench.runner import LEDGER_EXE, run_measured, run_process  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--db", help="a PostgreSQL URL (a fresh database) instead of a SQLite file")
    p.add_argument("--workdir", type=Path, help="where the file and the SQLite ledger go")
    opts = p.parse_args(argv)
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="ledger-import-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"events-{opts.events}.ndjson"
    t = time.perf_counter()
    with source.open("wb") as out:
        for line in iter_lines(opts.events):
            out.write(orjson.dumps(line) + b"\n")
    print(f"file: {opts.events:,} events, {source.stat().st_size / 1e6:,.0f} MB, "
          f"written in {time.perf_counter() - t:.0f} s", flush=True)
    db = opts.db or str(workdir / "ledger.db")
    try:
        run_process([LEDGER_EXE, "init", "--db", db])
        load = os.getloadavg()[0]
        proc = run_measured([LEDGER_EXE, "import", str(source), "--db", db])
        print(f"ledger import: {opts.events:,} events in {proc.seconds:.1f} s = "
              f"{opts.events / proc.seconds:,.0f} events/s, peak RSS {proc.max_rss_mb:,.0f} MB "
              f"(import and worker), load {load:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    finally:
        if opts.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
