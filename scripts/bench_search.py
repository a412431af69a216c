"""Figures for full-text search on SQLite: query time as a whole process, index cost on import.

    python scripts/bench_search.py --events 1000000 --workdir /tmp/bench-search [--runs 5]

The benchmark's own synthetic claims (`scripts/bench/data.py`: 10 events per claim, claimant
or denier, statement, quote and source name indexed, so about four texts per event) are
imported twice by `ledger import FILE` processes into fresh files: once as shipped, and once
with the store's search hook switched off in that process (the tables exist, empty), which is
the import without the index. Reported: both import times, both file sizes (after a WAL
checkpoint), and `ledger search QUERY --limit 20` as whole processes (median of --runs), for a
frequent word, a rare one, a phrase, a prefix and the frequent word at a past --known-at.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench.data import make_lines

VENV_BIN = Path(sys.executable).parent
LEDGER = str(VENV_BIN / "ledger")
# The same CLI, with the append's index hook replaced by a no-op before anything runs.
_NO_INDEX = (
    "import sys, ledger.store.sql.store as s; s.index_events = lambda *a, **k: None; "
    "from ledger.cli.app import main; sys.argv = ['ledger'] + sys.argv[1:]; main()"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def size_of(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def build(ndjson: Path, db: Path, *, index: bool) -> float:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    subprocess.run([LEDGER, "init", "--db", str(db)], check=True, capture_output=True)
    prefix = [LEDGER] if index else [sys.executable, "-c", _NO_INDEX]
    return timed([*prefix, "import", str(ndjson), "--db", str(db)])


def queries(lines: list[dict[str, Any]]) -> dict[str, list[str]]:
    counts = collections.Counter(
        w.strip(".").lower() for line in lines[:20_000] for w in line["data"]["statement"].split()
    )
    common, _ = counts.most_common(1)[0]
    rare = min(counts, key=lambda w: (counts[w], w))
    quote = lines[0]["data"]["quote"].strip(".").lower().split()
    return {
        f"frequent word `{common}`": [common],
        f"rare word `{rare}`": [rare],
        f'phrase `"{quote[0]} {quote[1]}"`': [f'"{quote[0]} {quote[1]}"'],
        f"prefix `{common[:2]}*`": [f"{common[:2]}*"],
        f"`{common}` --known-at @{len(lines) // 2}": [common, "--known-at", f"@{len(lines) // 2}"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-search"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    opts = parser.parse_args()
    opts.workdir.mkdir(parents=True, exist_ok=True)
    ndjson = opts.workdir / f"events-{opts.events}.ndjson"
    log(f"making {opts.events:,} events")
    lines = make_lines(opts.events)
    with ndjson.open("wb") as f:
        for line in lines:
            f.write(orjson.dumps(line) + b"\n")
    plain, indexed = opts.workdir / "plain.db", opts.workdir / "indexed.db"
    log("import without the index")
    t_plain = build(ndjson, plain, index=False)
    log("import with the index")
    t_indexed = build(ndjson, indexed, index=True)
    s_plain, s_indexed = size_of(plain), size_of(indexed)
    figures: dict[str, Any] = {
        "events": opts.events,
        "load_average_at_start": os.getloadavg(),
        "import_s": {"without_index": round(t_plain, 1), "with_index": round(t_indexed, 1),
                     "added": f"{(t_indexed / t_plain - 1) * 100:+.0f}%"},
        "size_mb": {"without_index": round(s_plain / 1e6, 1), "with_index": round(s_indexed / 1e6, 1),
                    "added": f"{(s_indexed / s_plain - 1) * 100:+.0f}%"},
        "search_process_s": {},
    }
    for name, args in queries(lines).items():
        argv = [LEDGER, "search", *args, "--limit", "20", "-f", "json", "--db", str(indexed)]
        out = subprocess.run(argv, capture_output=True, check=True).stdout
        runs = [timed(argv) for _ in range(opts.runs)]
        figures["search_process_s"][name] = {
            "median": round(statistics.median(runs), 3), "max": round(max(runs), 3),
            "hits": len(json.loads(out)),
        }
    figures["ledger_help_process_s"] = round(
        statistics.median(timed([LEDGER, "--help"]) for _ in range(opts.runs)), 3
    )
    print(json.dumps(figures, indent=2))
    if opts.json:
        opts.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
