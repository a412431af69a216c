"""`ledger import --from gdelt` of a synthetic GDELT 2.0 events file, as a whole process."""

from __future__ import annotations

from pathlib import Path

from scripts.bench.runner import LEDGER_EXE, Databases, Results, log, run_measured, run_process
from scripts.bench_gdelt import SAMPLE, synthesize


def gdelt_file(workdir: Path, rows: int) -> Path | None:
    """The synthetic file (rows cycled from the shared sample), written once per run."""
    if not SAMPLE.is_file():
        log(f"no GDELT sample at {SAMPLE} (set LEDGER_SHARED_DATA): the GDELT rows stay empty")
        return None
    path = workdir / f"gdelt-{rows}.csv"
    if not path.exists():
        synthesize(path, rows)
    return path


def bench_gdelt_import(
    path: Path, rows: int, size: int, engine: str, dbs: Databases, res: Results
) -> None:
    """Rows per second and peak RSS of one import into a fresh ledger (filed under `size`)."""
    target = dbs.fresh(engine, "ledger_gdelt")
    try:
        run_process([LEDGER_EXE, "init", "--db", target])
        proc = run_measured([LEDGER_EXE, "import", "--from", "gdelt", str(path), "--db", target])
        res.add(size, engine, "ledger", "cli_gdelt_import", rows / proc.seconds, "rows/s")
        res.add(size, engine, "ledger", "cli_gdelt_import_max_rss_mb", proc.max_rss_mb, "MB")
    finally:
        dbs.drop(engine, target)
