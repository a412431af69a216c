"""eventsourcing's ApplicationRecorder: StoredEvent rows, its bulk insert and notifications."""

from __future__ import annotations

import argparse
import random
import uuid
from typing import Any

import orjson

from scripts.bench.data import Dataset
from scripts.bench.runner import Databases, Results, es_pg_env, latencies, timed
from scripts.bench.system_raw import _raw_fold

ES_NAMESPACE = uuid.UUID("2b7e1c52-0d1e-4f35-9a64-5c3e8b1f7a90")


def es_available() -> bool:
    try:
        import eventsourcing  # noqa: F401
    except ImportError:
        return False
    return True


def _es_stored(ds: Dataset) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    out = []
    ids = {c: uuid.uuid5(ES_NAMESPACE, c) for c in ds.claims}
    for c in ds.claims:
        for version, i in enumerate(ds.by_claim[c], start=1):
            line = ds.lines[i]
            state = orjson.dumps({"type": line["type"], "occurred_at": line["occurred_at"], "data": line["data"]})
            out.append(StoredEvent(ids[c], version, line["type"], state))
    return out


def bench_es_recorder(ds: Dataset, engine: str, dbs: Databases, res: Results, opts: argparse.Namespace) -> None:
    n, S = ds.n, "es_recorder"
    sample = ds.txn_sample(opts.txn_events)
    stored = _es_stored(ds)

    def recorder(name: str) -> tuple[str, Any, Any]:
        target = dbs.fresh(engine, name)
        if engine == "sqlite":
            from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

            datastore: Any = SQLiteDatastore(db_name=target)
            rec = SQLiteApplicationRecorder(datastore)
        else:
            from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

            env = es_pg_env(target)
            datastore = PostgresDatastore(
                env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
                env["POSTGRES_USER"], env["POSTGRES_PASSWORD"],
            )
            rec = PostgresApplicationRecorder(datastore)
        rec.create_table()
        return target, datastore, rec

    if "append" not in opts.skip:
        target, datastore, rec = recorder("es_rec_1")
        dt, _ = timed(lambda: [rec.insert_events([s]) for s in stored[:sample]])
        res.add(n, engine, S, "append_1_per_txn", sample / dt, "events/s")
        datastore.close()
        dbs.drop(engine, target)

        target, datastore, rec = recorder("es_rec_10")
        dt, _ = timed(lambda: [rec.insert_events(stored[i : i + 10]) for i in range(0, sample, 10)])
        res.add(n, engine, S, "append_10_per_txn", sample / dt, "events/s")
        datastore.close()
        dbs.drop(engine, target)

    target, datastore, rec = recorder("es_rec_all")
    if engine == "sqlite":
        dt, _ = timed(lambda: rec.insert_events(stored))
    else:
        # The recorder's default PostgreSQL path (psycopg pipeline mode) hangs on one huge
        # parameter (issue 4); its own insert statement runs here in one transaction, 1,000
        # events per statement, without the pipeline.
        def chunked() -> None:
            with datastore.transaction(commit=True) as curs:
                for i in range(0, len(stored), 1_000):
                    rec._insert_stored_events(curs, stored[i : i + 1_000])

        dt, _ = timed(chunked)
    res.add(n, engine, S, "append_all_one_txn", n / dt, "events/s")

    def read_fold() -> None:
        states: dict[str, list[Any]] = {}
        loads = orjson.loads
        start = 1
        while True:
            page = rec.select_notifications(start, 10_000)
            if not page:
                break
            for note in page:
                d = loads(note.state)
                _raw_fold(states, note.originator_id, d["type"], d["data"])
            start = page[-1].id + 1

    dt, _ = timed(read_fold)
    res.add(n, engine, S, "read_all_decode_fold", n / dt, "events/s")

    rng = random.Random(13)
    picks = [(uuid.uuid5(ES_NAMESPACE, rng.choice(ds.claims)), rng.randint(1, 10)) for _ in range(opts.queries + 20)]

    def stream_at(i: int) -> None:
        oid, version = picks[i]
        states: dict[str, list[Any]] = {}
        for s in rec.select_events(oid, lte=version):
            d = orjson.loads(s.state)
            _raw_fold(states, oid, d["type"], d["data"])

    lat = latencies(stream_at, opts.queries)
    res.add(n, engine, S, "stream_at_version_p50", lat["p50"], "ms")
    res.add(n, engine, S, "stream_at_version_p99", lat["p99"], "ms")
    datastore.close()
    dbs.drop(engine, target)


_ES_APP: tuple[Any, Any] | None = None
