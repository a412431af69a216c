"""Figures for the web view: p95 latency of its routes on a big ledger, and appends under load.

    python scripts/bench_web.py --events 1000000 --db /tmp/web-1m.db
    python scripts/bench_web.py --events 1000000 --db postgresql://postgres@127.0.0.1/bench_web

The ledger is built once (the benchmark's own synthetic claims, `scripts/bench/data.py`) and
reused when it already holds that many events. A `ledger serve` subprocess answers; each
figure is over `--requests` requests made one after another by one client. A claim page is
measured twice: on distinct claims (every timeline picture drawn) and on one claim asked
again (its picture drawn once and kept). Then appends through the CLI are timed alone and
while four clients read the list, claim pages and the API as fast as they can.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

import ledger.service as service

LEDGER = [sys.executable, "-c", "from ledger.cli.app import main; main()"]


def build(db: str, events: int) -> None:
    with service.open(db) as lg:
        head = lg.basis()["position"]
    if head >= events:
        print(f"reusing {db}: {head} events", file=sys.stderr)
        return
    from scripts.bench.data import make_lines

    lines = make_lines(events)
    payload = b"\n".join(orjson.dumps(line) for line in lines)
    started = time.perf_counter()
    with service.open(db) as lg:
        lg.import_ndjson(payload)
        lg.list(limit=1)  # bring the projection up to date before anything is timed
    print(f"built {db}: {events} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
        assert answer.status == 200, url
    return (time.perf_counter() - started) * 1000


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def appends(db: str, claim_ids: list[str], count: int) -> float:
    """Appends per second through the CLI, one process per append (as an analyst makes them)."""
    started = time.perf_counter()
    for i in range(count):
        subprocess.run(
            [
                *LEDGER,
                "claim",
                "deny",
                claim_ids[i % len(claim_ids)],
                "--denier",
                f"Bench {i}",
                "--occurred-at",
                "2023-12-01",
                "--db",
                db,
            ],
            check=True,
            capture_output=True,
        )
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--appends", type=int, default=20)
    parser.add_argument(
        "--only", default="", help="comma-separated route names to time (default: all)"
    )
    parser.add_argument("--skip-appends", action="store_true")
    args = parser.parse_args()

    build(args.db, args.events)
    with service.open(args.db, create=False) as lg:
        claim_ids = [a["claim_id"] for a in lg.list(limit=args.requests, offset=1000)]
        word = lg.show(claim_ids[0])["statement"].split()[1].strip(".").lower()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*LEDGER, "serve", "--db", args.db, "--port", str(port)], stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(600):
            try:
                fetch(base + "/static/style.css")
                break
            except OSError:
                time.sleep(0.1)
        rng = random.Random(7)
        routes = {
            "/api/claims/{id}": lambda i: f"/api/claims/{claim_ids[i]}",
            "claim page, distinct claims": lambda i: f"/claims/{claim_ids[i]}",
            "claim page, one claim again": lambda i: f"/claims/{claim_ids[0]}",
            "/api/search": lambda i: f"/api/search?q={word}&limit=100",
            "claim list page (100 of all)": lambda i: f"/?offset={rng.randrange(0, 10_000)}",
        }
        figures: dict[str, Any] = {}
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        for name, path in routes.items():
            if wanted and not any(w in name for w in wanted):
                continue
            fetch(base + path(0))  # warm: first import, first connection
            samples = [fetch(base + path(i)) for i in range(args.requests)]
            figures[name] = {
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(p95(samples), 1),
            }
            print(
                f"{name:32} p50 {figures[name]['p50_ms']:8.1f} ms   p95 "
                f"{figures[name]['p95_ms']:8.1f} ms",
                file=sys.stderr,
            )

        if args.skip_appends:
            print(json.dumps({"events": args.events, **figures}, indent=2))
            return
        alone = appends(args.db, claim_ids, args.appends)
        stop = threading.Event()
        served = [0]

        def reader(seed: int) -> None:
            mine = random.Random(seed)
            while not stop.is_set():
                i = mine.randrange(len(claim_ids))
                fetch(
                    base
                    + mine.choice(
                        [
                            f"/api/claims/{claim_ids[i]}",
                            f"/claims/{claim_ids[i]}",
                            "/",
                            f"/api/search?q={word}&limit=20",
                        ]
                    )
                )
                served[0] += 1

        readers = [threading.Thread(target=reader, args=(s,)) for s in range(4)]
        for t in readers:
            t.start()
        loaded = appends(args.db, claim_ids, args.appends)
        stop.set()
        for t in readers:
            t.join()
        figures["appends_per_s_alone"] = round(alone, 2)
        figures["appends_per_s_under_4_readers"] = round(loaded, 2)
        figures["reads_during_loaded_appends"] = served[0]
        print(
            f"CLI appends: {alone:.2f}/s alone, {loaded:.2f}/s while 4 clients read "
            f"({loaded / alone:.0%}; {served[0]} reads answered meanwhile)",
            file=sys.stderr,
        )
        print(
            json.dumps({"events": args.events, "db": args.db.split("@")[-1], **figures}, indent=2)
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
