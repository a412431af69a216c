"""`python -m scripts.bench` (or `python scripts/bench/__main__.py`): every goal in one run."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `scripts.bench` importable from the root
    sys.path[0] = str(Path(__file__).resolve().parents[2])

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from scripts.bench import __doc__ as DOC  # noqa: E402
from scripts.bench.data import Dataset  # noqa: E402
from scripts.bench.report import goals, machine, render_goals, render_tables  # noqa: E402
from scripts.bench.runner import Databases, Results, log  # noqa: E402
from scripts.bench.system_es_app import bench_es_app  # noqa: E402
from scripts.bench.system_es_recorder import bench_es_recorder, es_available  # noqa: E402
from scripts.bench.system_ledger import bench_ledger  # noqa: E402
from scripts.bench.system_raw import bench_raw_pg, bench_raw_sqlite  # noqa: E402
from scripts.bench.workload_gdelt import bench_gdelt_import, gdelt_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(DOC or "").split("\n")[0])
    p.add_argument("--sizes", default="100000", help="comma-separated event counts (multiples of 10)")
    p.add_argument("--engines", default="sqlite,postgres")
    p.add_argument("--pg-url", default=os.environ.get("LEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                   help="a PostgreSQL server URL; databases ledger_bench_* are created on it")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, help="write every figure and the machine here")
    p.add_argument("--txn-events", type=int, default=10_000,
                   help="events appended by the 1- and 10-per-transaction workloads (default 10,000)")
    p.add_argument("--queries", type=int, default=1_000, help="queries per latency workload")
    p.add_argument("--slow-queries", type=int, default=50,
                   help="queries for the known-at-before-the-import case (it scans the log)")
    p.add_argument("--cli-runs", type=int, default=10, help="processes per CLI latency workload")
    p.add_argument("--systems", default="ledger,raw,es-recorder,es-app,sqlite-utils,gdelt")
    p.add_argument("--skip", default="", help="comma list of: append, cli, import, list-nosnap")
    p.add_argument("--gdelt-rows", type=int, default=500_000,
                   help="rows of the synthetic GDELT events file (the gdelt system)")
    p.add_argument("--workdir", type=Path, help="where SQLite files and NDJSON go (default: a temp dir)")
    opts = p.parse_args(argv)
    opts.skip = [s for s in opts.skip.split(",") if s]
    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",")]
    engines = [e.strip() for e in opts.engines.split(",") if e.strip()]
    systems = {s.strip() for s in opts.systems.split(",")}
    opts.system_set = systems
    if not es_available():
        log("eventsourcing is not importable: its columns stay empty (pip install 'eventsourcing[postgres]')")
        systems -= {"es-recorder", "es-app"}

    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    dbs = Databases(workdir, opts.pg_url if "postgres" in engines else None)
    res = Results()
    info = machine(engines, dbs)
    log("machine: " + json.dumps(info))
    started = time.time()
    try:
        gdelt = gdelt_file(workdir, opts.gdelt_rows) if "gdelt" in systems else None
        for size in sizes:
            ds = Dataset(size, workdir)
            for engine in engines:
                t0 = time.perf_counter()
                for r in range(opts.rounds):
                    log(f"{engine} {size:,} round {r + 1}/{opts.rounds}")
                    runs = [
                        ("ledger", bench_ledger),
                        ("raw", lambda d, e, *a: (bench_raw_sqlite if e == "sqlite" else bench_raw_pg)(d, *a)),
                        ("es-recorder", bench_es_recorder),
                        ("es-app", bench_es_app),
                        ("gdelt", lambda d, e, *a: gdelt and bench_gdelt_import(
                            gdelt, opts.gdelt_rows, d.n, e, dbs, res)),
                    ]
                    for system, fn in runs:
                        if system not in systems:
                            continue
                        try:
                            fn(ds, engine, dbs, res, opts)
                        except Exception as exc:  # one failing system must not lose the others
                            import traceback

                            traceback.print_exc()
                            res.notes.append(f"{engine} {size:,} round {r + 1}: {system} failed: {exc!r}"[:300])
                log(f"{engine} {size:,}: {time.perf_counter() - t0:.0f} s for {opts.rounds} round(s)")
            with contextlib.suppress(OSError):
                ds.ndjson.unlink()
            del ds
            gc.collect()
    finally:
        dbs.close()
        if opts.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    with contextlib.suppress(OSError):
        info["load_average_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = ["## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines.append("- data: claims x 10 events (ClaimMade/ClaimDenied, ~300-byte data, occurred over 2023)")
    lines.append(f"- command: python -m scripts.bench {' '.join(argv if argv is not None else sys.argv[1:])}")
    text = "\n".join(lines) + "\n" + render_tables(res, sizes, engines, opts)
    goal_rows = goals(res, sizes, engines)
    text += "\n" + render_goals(goal_rows)
    if res.notes:
        text += "\n\nNotes:\n" + "\n".join(f"- {n}" for n in res.notes)
    print(text)
    if opts.json:
        opts.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "config": {
                        "sizes": sizes, "engines": engines, "rounds": opts.rounds,
                        "txn_events": opts.txn_events, "queries": opts.queries, "cli_runs": opts.cli_runs,
                        "slow_queries": opts.slow_queries,
                        "systems": sorted(systems), "skip": opts.skip,
                        "elapsed_s": round(time.time() - started, 1),
                    },
                    "results": res.to_json(),
                    "goals": goal_rows,
                    "notes": res.notes,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
