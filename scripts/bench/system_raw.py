"""The raw drivers: sqlite3 and psycopg into the ledger's own table shape, without triggers."""

from __future__ import annotations

import argparse
import random
import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from scripts.bench.data import Dataset
from scripts.bench.runner import Databases, Results, latencies, timed


def raw_read_decode(engine: str, target: str) -> int:
    """SELECT every row of `events` in position order and decode its JSON columns."""
    loads = orjson.loads
    count = 0
    if engine == "sqlite":
        conn = sqlite3.connect(target)
        for row in conn.execute(
            "SELECT position, event_id, claim_id, version, type, schema_version, occurred_from, "
            "occurred_to, recorded_at, data, metadata, salt, prev_hash, hash FROM events ORDER BY position"
        ):
            loads(row[9])
            loads(row[10])
            count += 1
        conn.close()
        return count
    import psycopg
    from psycopg.types.json import set_json_loads

    with psycopg.connect(target) as conn:
        set_json_loads(loads, conn)
        with conn.cursor(name="read_all") as cur:
            cur.itersize = 10_000
            cur.execute(
                "SELECT position, event_id, claim_id, version, type, schema_version, occurred_from, "
                "occurred_to, recorded_at, data, metadata, salt, prev_hash, hash FROM events ORDER BY position"
            )
            for _row in cur:
                count += 1
    return count


# -- raw drivers ---------------------------------------------------------------------------

_RAW_COLUMNS = (
    "position, event_id, claim_id, version, type, schema_version, occurred_from, occurred_to, "
    "recorded_at, data, metadata, salt, prev_hash, hash"
)

def raw_ddl(engine: str) -> list[str]:
    """The ledger's own `events` table and indexes (from its metadata), without the triggers."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from ledger.store.sql.schema import events

    dialect = sqlite.dialect() if engine == "sqlite" else postgresql.psycopg.dialect()
    table = [str(CreateTable(events).compile(dialect=dialect))]
    return table + [str(CreateIndex(index).compile(dialect=dialect)) for index in events.indexes]


def _encoded(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    dumps = orjson.dumps
    return [r[:9] + (dumps(r[9]).decode(), dumps(r[10]).decode()) + r[11:] for r in rows]


def _raw_fold(states: dict[str, list[Any]], stream: str, etype: str, data: dict[str, Any]) -> None:
    """A trivial claim fold: count, claimants, denials, statement."""
    s = states.get(stream)
    if s is None:
        s = states[stream] = [0, 0, 0, None]
    s[0] += 1
    if etype == "ClaimMade":
        s[1] += 1
        if s[3] is None:
            s[3] = data.get("statement")
    else:
        s[2] += 1


def bench_raw_sqlite(ds: Dataset, dbs: Databases, res: Results, opts: argparse.Namespace) -> None:
    n, E, S = ds.n, "sqlite", "raw"
    sample = ds.txn_sample(opts.txn_events)
    insert = f"INSERT INTO events ({_RAW_COLUMNS}) VALUES ({', '.join('?' * 14)})"

    def connect(name: str) -> tuple[str, sqlite3.Connection]:
        path = dbs.fresh("sqlite", name)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        for stmt in raw_ddl("sqlite"):
            conn.execute(stmt)
        return path, conn

    if "append" not in opts.skip:
        path, conn = connect("raw_1")

        def one() -> None:
            for row in _encoded(ds.raw_rows[:sample]):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(insert, row)
                conn.execute("COMMIT")

        dt, _ = timed(one)
        res.add(n, E, S, "append_1_per_txn", sample / dt, "events/s")
        conn.close()
        dbs.drop("sqlite", path)

        path, conn = connect("raw_10")

        def ten() -> None:
            rows = ds.raw_rows[:sample]
            for i in range(0, len(rows), 10):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(insert, _encoded(rows[i : i + 10]))
                conn.execute("COMMIT")

        dt, _ = timed(ten)
        res.add(n, E, S, "append_10_per_txn", sample / dt, "events/s")
        conn.close()
        dbs.drop("sqlite", path)

    path, conn = connect("raw_all")

    def everything() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, _encoded(ds.raw_rows))
        conn.execute("COMMIT")

    dt, _ = timed(everything)
    res.add(n, E, S, "append_all_one_txn", n / dt, "events/s")

    def read_fold() -> None:
        states: dict[str, list[Any]] = {}
        loads = orjson.loads
        for row in conn.execute(f"SELECT {_RAW_COLUMNS} FROM events ORDER BY position"):
            _raw_fold(states, row[2], row[4], loads(row[9]))
            loads(row[10])

    dt, _ = timed(read_fold)
    res.add(n, E, S, "read_all_decode_fold", n / dt, "events/s")

    rng = random.Random(13)
    picks = [(rng.choice(ds.claims), rng.randint(1, 10)) for _ in range(opts.queries + 20)]

    def stream_at(i: int) -> None:
        claim, version = picks[i]
        states: dict[str, list[Any]] = {}
        for row in conn.execute(
            f"SELECT {_RAW_COLUMNS} FROM events WHERE claim_id = ? AND version <= ? ORDER BY version",
            (claim, version),
        ):
            _raw_fold(states, row[2], row[4], orjson.loads(row[9]))

    lat = latencies(stream_at, opts.queries)
    res.add(n, E, S, "stream_at_version_p50", lat["p50"], "ms")
    res.add(n, E, S, "stream_at_version_p99", lat["p99"], "ms")
    conn.close()
    dbs.drop("sqlite", path)


def bench_raw_pg(ds: Dataset, dbs: Databases, res: Results, opts: argparse.Namespace) -> None:
    import psycopg
    from psycopg.types.json import set_json_loads

    n, E, S = ds.n, "postgres", "raw"
    sample = ds.txn_sample(opts.txn_events)
    insert = f"INSERT INTO events ({_RAW_COLUMNS}) VALUES ({', '.join(['%s'] * 14)})"

    def connect(name: str) -> tuple[str, Any]:
        dsn = dbs.fresh("postgres", name)
        conn = psycopg.connect(dsn, autocommit=True)
        for stmt in raw_ddl("postgres"):
            conn.execute(stmt)
        set_json_loads(orjson.loads, conn)
        return dsn, conn

    if "append" not in opts.skip:
        dsn, conn = connect("raw_1")

        def one() -> None:
            with conn.cursor() as cur:
                for row in _encoded(ds.raw_rows[:sample]):
                    with conn.transaction():
                        cur.execute(insert, row)

        dt, _ = timed(one)
        res.add(n, E, S, "append_1_per_txn", sample / dt, "events/s")
        conn.close()
        dbs.drop("postgres", dsn)

        dsn, conn = connect("raw_10")

        def ten() -> None:
            rows = ds.raw_rows[:sample]
            with conn.cursor() as cur:
                for i in range(0, len(rows), 10):
                    with conn.transaction():
                        cur.executemany(insert, _encoded(rows[i : i + 10]))

        dt, _ = timed(ten)
        res.add(n, E, S, "append_10_per_txn", sample / dt, "events/s")
        conn.close()
        dbs.drop("postgres", dsn)

    dsn, conn = connect("raw_all")

    def everything() -> None:
        with conn.transaction(), conn.cursor() as cur:
            rows = _encoded(ds.raw_rows)
            for i in range(0, len(rows), 5_000):
                cur.executemany(insert, rows[i : i + 5_000])

    dt, _ = timed(everything)
    res.add(n, E, S, "append_all_one_txn", n / dt, "events/s")
    conn.close()
    dbs.drop("postgres", dsn)

    dsn, conn = connect("raw_copy")

    def copy() -> None:
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy(f"COPY events ({_RAW_COLUMNS}) FROM STDIN") as cp:
                for row in _encoded(ds.raw_rows):
                    cp.write_row(row)

    dt, _ = timed(copy)
    res.add(n, E, S, "append_all_copy", n / dt, "events/s")

    def read_fold() -> None:
        states: dict[str, list[Any]] = {}
        with conn.transaction(), conn.cursor(name="all") as cur:
            cur.itersize = 10_000
            cur.execute(f"SELECT {_RAW_COLUMNS} FROM events ORDER BY position")
            for row in cur:  # data and metadata arrive decoded (orjson)
                _raw_fold(states, row[2], row[4], row[9])

    dt, _ = timed(read_fold)
    res.add(n, E, S, "read_all_decode_fold", n / dt, "events/s")

    rng = random.Random(13)
    picks = [(rng.choice(ds.claims), rng.randint(1, 10)) for _ in range(opts.queries + 20)]
    stmt = f"SELECT {_RAW_COLUMNS} FROM events WHERE claim_id = %s AND version <= %s ORDER BY version"

    def stream_at(i: int) -> None:
        claim, version = picks[i]
        states: dict[str, list[Any]] = {}
        for row in conn.execute(stmt, (claim, version), prepare=True):
            _raw_fold(states, row[2], row[4], row[9])

    lat = latencies(stream_at, opts.queries)
    res.add(n, E, S, "stream_at_version_p50", lat["p50"], "ms")
    res.add(n, E, S, "stream_at_version_p99", lat["p99"], "ms")
    conn.close()
    dbs.drop("postgres", dsn)


# -- eventsourcing ---------------------------------------------------------------------------
