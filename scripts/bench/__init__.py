"""Benchmark the ledger against the raw drivers, `eventsourcing` and sqlite-utils, side by side.

  python -m scripts.bench --sizes 100000 --engines sqlite,postgres \\
      [--pg-url postgresql://postgres@127.0.0.1:5432/postgres] [--rounds 1] [--json out.json]

One module per compared system (`system_ledger`, `system_raw`, `system_es_recorder`,
`system_es_app`, `system_sqlite_utils`), the GDELT import workload (`workload_gdelt`), the shared
runner (`runner`: timers, child processes with their peak memory, results, databases), the data
(`data`) and the report (`report`: the machine, the tables, the goals of issue 16). `scripts/
README.md` describes the data, the workloads and each system's side of them.
"""
