"""eventsourcing's Application: an aggregate per claim, saved, read back and rebuilt at a version."""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from scripts.bench.data import Dataset
from scripts.bench.runner import Databases, Results, es_pg_env, latencies, timed
from scripts.bench.system_es_recorder import ES_NAMESPACE

_ES_APP: tuple[Any, Any] | None = None


def _es_app_class() -> Any:
    """The Application and aggregate classes, defined once (eventsourcing registers topics)."""
    global _ES_APP
    if _ES_APP is None:
        _ES_APP = _define_es_app()
    return _ES_APP


def _define_es_app() -> Any:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Claim(Aggregate):
        @staticmethod
        def create_id(claim_id: str, occurred_at: str, data: dict[str, Any]) -> uuid.UUID:
            return uuid.uuid5(ES_NAMESPACE, claim_id)

        @event("Made")
        def __init__(self, claim_id: str, occurred_at: str, data: dict[str, Any]) -> None:
            self.claim_id = claim_id
            self.statement = data.get("statement")
            self.claimants = [data.get("claimant")]
            self.denials: list[Any] = []
            self.count = 1

        @event("AlsoMade")
        def make(self, occurred_at: str, data: dict[str, Any]) -> None:
            self.claimants.append(data.get("claimant"))
            self.count += 1

        @event("Denied")
        def deny(self, occurred_at: str, data: dict[str, Any]) -> None:
            self.denials.append(data.get("denier"))
            self.count += 1

    class Claims(Application):
        pass

    return Claims, Claim


def bench_es_app(ds: Dataset, engine: str, dbs: Databases, res: Results, opts: argparse.Namespace) -> None:
    n, S = ds.n, "es_application"
    sample = ds.txn_sample(opts.txn_events)
    Claims, Claim = _es_app_class()

    def app(name: str, extra: dict[str, str] | None = None) -> tuple[str, Any]:
        target = dbs.fresh(engine, name)
        if engine == "sqlite":
            env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": target}
        else:
            env = es_pg_env(target)
        env.update(extra or {})
        return target, Claims(env=env)

    def commands(claim: str) -> Iterator[tuple[Any, Callable[[Any], None]]]:
        """Yield the aggregate after each event of the claim (the first creates it)."""
        idx = ds.by_claim[claim]
        first = ds.lines[idx[0]]
        agg = Claim(claim, first["occurred_at"], first["data"])
        yield agg
        for i in idx[1:]:
            line = ds.lines[i]
            if line["type"] == "ClaimMade":
                agg.make(line["occurred_at"], line["data"])
            else:
                agg.deny(line["occurred_at"], line["data"])
            yield agg

    claims_sample = ds.claims[: sample // 10]
    if "append" not in opts.skip:
        target, application = app("es_app_1")

        def one() -> None:
            for c in claims_sample:
                for agg in commands(c):
                    application.save(agg)

        dt, _ = timed(one)
        res.add(n, engine, S, "append_1_per_txn", sample / dt, "events/s")
        application.close()
        dbs.drop(engine, target)

        target, application = app("es_app_10")

        def ten() -> None:
            for c in claims_sample:
                for agg in commands(c):
                    pass
                application.save(agg)

        dt, _ = timed(ten)
        res.add(n, engine, S, "append_10_per_txn", sample / dt, "events/s")
        application.close()
        dbs.drop(engine, target)

    # All in one save. On PostgreSQL the default pipeline path hangs on one huge parameter;
    # POSTGRES_ENABLE_DB_FUNCTIONS sends the batch to the library's insert function instead.
    extra = {"POSTGRES_ENABLE_DB_FUNCTIONS": "y"} if engine == "postgres" else None
    target, application = app("es_app_all", extra)

    def everything() -> None:
        aggs = []
        for c in ds.claims:
            for agg in commands(c):
                pass
            aggs.append(agg)
        application.save(*aggs)

    dt, _ = timed(everything)
    res.add(n, engine, S, "append_all_one_txn", n / dt, "events/s")

    def read_fold() -> None:
        rec, mapper = application.recorder, application.mapper
        aggs: dict[Any, Any] = {}
        start = 1
        while True:
            page = rec.select_notifications(start, 10_000)
            if not page:
                break
            for note in page:
                ev = mapper.to_domain_event(note)
                aggs[ev.originator_id] = ev.mutate(aggs.get(ev.originator_id))
            start = page[-1].id + 1

    dt, _ = timed(read_fold)
    res.add(n, engine, S, "read_all_decode_fold", n / dt, "events/s")

    rng = random.Random(13)
    picks = [(uuid.uuid5(ES_NAMESPACE, rng.choice(ds.claims)), rng.randint(1, 10)) for _ in range(opts.queries + 20)]
    lat = latencies(lambda i: application.repository.get(picks[i][0], version=picks[i][1]), opts.queries)
    res.add(n, engine, S, "stream_at_version_p50", lat["p50"], "ms")
    res.add(n, engine, S, "stream_at_version_p99", lat["p99"], "ms")
    application.close()
    dbs.drop(engine, target)


# -- the machine -------------------------------------------------------------------------------
