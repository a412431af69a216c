"""The report: the machine, one table per engine and size, and the goals of issue 16."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts.bench.runner import Databases, Results

def machine(engines: Sequence[str], dbs: Databases) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    probe = sqlite3.connect(":memory:")
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_default_synchronous": probe.execute("PRAGMA synchronous").fetchone()[0],
    }
    probe.close()
    with contextlib.suppress(OSError):
        info["load_average_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with contextlib.suppress(Exception):
        import eventsourcing

        info["eventsourcing"] = getattr(eventsourcing, "__version__", None) or _dist_version("eventsourcing")
    for name in ("sqlalchemy", "psycopg", "orjson"):
        with contextlib.suppress(Exception):
            info[name] = _dist_version(name)
    if "postgres" in engines:
        admin = dbs._pg_admin()
        info["postgresql"] = admin.execute("SHOW server_version").fetchone()[0]
        for setting in ("fsync", "synchronous_commit", "shared_buffers", "wal_level"):
            info[f"pg_{setting}"] = admin.execute(f"SHOW {setting}").fetchone()[0]
    return info


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)




ROWS = [
    # (label, workload key, unit shown)
    ("append, 1 event per txn", "append_1_per_txn", "events/s"),
    ("append, 10 events (one claim) per txn", "append_10_per_txn", "events/s"),
    ("append, all in one txn", "append_all_one_txn", "events/s"),
    ("append, all in one txn (COPY)", "append_all_copy", "events/s"),
    ("read all + decode + fold", "read_all_decode_fold", "events/s"),
    ("one stream at a past version, p50", "stream_at_version_p50", "ms"),
    ("one stream at a past version, p99", "stream_at_version_p99", "ms"),
]
LEDGER_ROWS = [
    ("replay into the claim projection", "replay", "events/s"),
    ("verify", "verify", "events/s"),
    ("show_claim --as-of T, p50", "show_asof_p50", "ms"),
    ("show_claim --as-of T, p99", "show_asof_p99", "ms"),
    ("show_claim --as-of T --known-at <time>, p99", "show_asof_knownat_time_p99", "ms"),
    ("show_claim --as-of T --known-at <before the import>, p99", "show_asof_knownat_before_import_p99", "ms"),
    ("show_claim --as-of T --known-at @P, p50", "show_asof_knownat_@P_p50", "ms"),
    ("show_claim --as-of T --known-at @P, p99", "show_asof_knownat_@P_p99", "ms"),
    ("show_claim --as-of T, no snapshots, p99", "show_asof_nosnap_p99", "ms"),
    ("show_claim --as-of T --known-at @P, no snapshots, p99", "show_asof_knownat_@P_nosnap_p99", "ms"),
    ("list_claims --as-of T (snapshots)", "list_asof_snap_s", "s"),
    ("list_claims --as-of T (no snapshots)", "list_asof_nosnap_s", "s"),
    ("raw full read-and-decode of the log", ("raw", "read_all_decode_s"), "s"),
    ("CLI `claim list --as-of T -f jsonl` (process)", "cli_list_asof_jsonl_s", "s"),
    ("CLI `claim list --as-of T -f csv` (process)", "cli_list_asof_csv_s", "s"),
    ("CLI `claim list --as-of T -f table` (process)", "cli_list_asof_table_s", "s"),
    ("CLI `import FILE` (process)", "cli_import", "events/s"),
    ("CLI `import FILE`, peak RSS", "cli_import_max_rss_mb", "MB"),
    ("CLI `import --from gdelt FILE` (process)", "cli_gdelt_import", "rows/s"),
    ("CLI `import --from gdelt FILE`, peak RSS", "cli_gdelt_import_max_rss_mb", "MB"),
    ("CLI `claim show C --as-of T` (process, median)", "cli_show_asof_s", "s"),
    ("`sqlite-utils query` one claim (process, median)", ("sqlite-utils", "query_claim_s"), "s"),
]
SYSTEMS = [("ledger", "ledger"), ("raw", "raw driver"), ("es_recorder", "es recorder"), ("es_application", "es application")]

MEMORY_LIMIT_MB = 500.0
GDELT_RATE = 20_000.0


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("events/s", "rows/s"):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.3f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.3f} s"


def render_tables(res: Results, sizes: Sequence[int], engines: Sequence[str], opts: argparse.Namespace) -> str:
    out = []
    for size in sizes:
        for engine in engines:
            if str(size) not in res.data or engine not in res.data[str(size)]:
                continue
            out.append(f"\n### {engine}, {size:,} events ({size // 10:,} claims x 10), median of {opts.rounds}\n")
            out.append("| workload | " + " | ".join(label for _, label in SYSTEMS) + " |")
            out.append("|---|" + "---:|" * len(SYSTEMS))
            for label, key, unit in ROWS:
                cells = [_fmt(res.median(size, engine, sys_key, key), unit) for sys_key, _ in SYSTEMS]
                if all(c == "-" for c in cells):
                    continue
                if key in ("append_1_per_txn", "append_10_per_txn"):
                    label += f" (first {min(size, opts.txn_events):,} events)"
                out.append(f"| {label} | " + " | ".join(cells) + " |")
            out.append("")
            out.append("| ledger workload | value |")
            out.append("|---|---:|")
            for label, key, unit in LEDGER_ROWS:
                system, name = key if isinstance(key, tuple) else ("ledger", key)
                value = res.median(size, engine, system, name)
                if value is not None:
                    if name.startswith("cli_gdelt"):
                        label += f" ({opts.gdelt_rows:,} rows)"
                    out.append(f"| {label} | {_fmt(value, unit)} |")
    return "\n".join(out)


def goals(res: Results, sizes: Sequence[int], engines: Sequence[str]) -> list[dict[str, Any]]:
    """The issue's goals as ratios: ours / theirs (theirs / ours for times and memory)."""
    out: list[dict[str, Any]] = []

    def add(size: int, engine: str, goal: str, ours: float | None, theirs: float | None,
            target: float, higher_is_better: bool = True, note: str = "") -> None:
        if ours is None or theirs is None or ours == 0 or theirs == 0:
            return
        ratio = ours / theirs if higher_is_better else theirs / ours
        out.append({
            "size": size, "engine": engine, "goal": goal, "ours": ours, "theirs": theirs,
            "ratio": ratio, "target": target, "met": ratio >= target, "note": note,
        })

    for size in sizes:
        at_1m = "" if size >= 1_000_000 else "goal is stated at 1,000,000 events"
        for engine in engines:
            m = lambda system, key: res.median(size, engine, system, key)  # noqa: E731
            pg = engine == "postgres"
            cli_import = m("ledger", "cli_import")
            add(size, engine, "CLI import vs es recorder bulk insert", cli_import,
                m("es_recorder", "append_all_one_txn"), 3.0 if pg else 1.0)
            if pg:
                add(size, engine, "CLI import vs raw COPY", cli_import, m("raw", "append_all_copy"), 0.5)
            else:
                add(size, engine, "CLI import vs raw executemany", cli_import,
                    m("raw", "append_all_one_txn"), 0.6)
            add(size, engine, "append all in one txn (in process) vs es recorder",
                m("ledger", "append_all_one_txn"), m("es_recorder", "append_all_one_txn"),
                3.0 if pg else 1.0)
            add(size, engine, "append 10 per txn vs es recorder", m("ledger", "append_10_per_txn"),
                m("es_recorder", "append_10_per_txn"), 1.0)
            add(size, engine, "append 1 per txn vs es recorder", m("ledger", "append_1_per_txn"),
                m("es_recorder", "append_1_per_txn"), 1.0)
            add(size, engine, "replay vs es recorder read-all-and-fold", m("ledger", "replay"),
                m("es_recorder", "read_all_decode_fold"), 2.0)
            es_p99 = m("es_application", "stream_at_version_p99")
            for key, what in (
                ("show_asof_p99", "--as-of"),
                ("show_asof_knownat_time_p99", "--as-of --known-at <time>"),
                ("show_asof_knownat_@P_p99", "--as-of --known-at @P"),
            ):
                add(size, engine, f"one claim at a past basis ({what}) p99 vs es app state-at-version p99",
                    m("ledger", key), es_p99, 1.0, higher_is_better=False, note=at_1m)
            raw_read = m("raw", "read_all_decode_s")
            jsonl = m("ledger", "cli_list_asof_jsonl_s")
            # "< half the time of a raw read": raw / list >= 2.
            add(size, engine, "CLI claim list --as-of T -f jsonl vs raw full read-and-decode (x faster)",
                jsonl, raw_read, 2.0, higher_is_better=False, note=at_1m)
            for fmt in ("csv", "table"):
                add(size, engine, f"CLI claim list -f {fmt} vs -f jsonl (x faster)",
                    m("ledger", f"cli_list_asof_{fmt}_s"), jsonl, 1.0, higher_is_better=False)
            add(size, engine, "CLI import peak RSS within 500 MB", m("ledger", "cli_import_max_rss_mb"),
                MEMORY_LIMIT_MB, 1.0, higher_is_better=False)
            add(size, engine, "GDELT import >= 20,000 rows/s", m("ledger", "cli_gdelt_import"),
                GDELT_RATE, 1.0)
            add(size, engine, "GDELT import peak RSS within 500 MB",
                m("ledger", "cli_gdelt_import_max_rss_mb"), MEMORY_LIMIT_MB, 1.0,
                higher_is_better=False)
            add(size, engine, "verify >= 100,000 events/s", m("ledger", "verify"), 100_000.0, 1.0)
            sqlite_utils = res.median(size, "sqlite", "sqlite-utils", "query_claim_s")
            add(size, engine, "CLI claim show --as-of (process) within 2x of sqlite-utils query",
                m("ledger", "cli_show_asof_s"), sqlite_utils, 0.5, higher_is_better=False,
                note="" if engine == "sqlite" else "sqlite-utils measured on the SQLite file of the same size")
    return out


def render_goals(rows: list[dict[str, Any]]) -> str:
    out = ["\n### Goals (issue 16)\n", "| size | engine | goal | ours | theirs | ratio | target | |", "|---|---|---|---:|---:|---:|---:|---|"]
    for g in rows:
        out.append(
            f"| {g['size']:,} | {g['engine']} | {g['goal']} | {g['ours']:.4g} | {g['theirs']:.4g} | "
            f"{g['ratio']:.2f}x | {g['target']:.2f}x | {'met' if g['met'] else 'MISSED'}"
            f"{' (' + g['note'] + ')' if g['note'] else ''} |"
        )
    return "\n".join(out)
