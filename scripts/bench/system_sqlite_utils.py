"""sqlite-utils: one claim's rows by a query process, the floor of a one-claim CLI answer."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from scripts.bench.runner import SQLITE_UTILS_EXE, Results, log, run_process

_QUERY = "select * from events where claim_id = :c order by version"


def bench_query_claim(db: str, claims: Sequence[str], n: int, res: Results) -> None:
    """`sqlite-utils query` of each claim on the ledger's own SQLite file; the median wall."""
    if not SQLITE_UTILS_EXE:
        log("sqlite-utils is not installed: its row stays empty (pip install -e '.[bench]')")
        return
    walls = [run_process([SQLITE_UTILS_EXE, "query", db, _QUERY, "-p", "c", c]) for c in claims]
    res.add(n, "sqlite", "sqlite-utils", "query_claim_s", statistics.median(walls), "s")
