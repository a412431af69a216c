"""Pooled PostgreSQL connections: lost ones cost one error, then the ledger reconnects."""

from __future__ import annotations


import threading

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from ledger.service import open_ledger
from ledger.store.sql.engine import take_write_lock
from tests.conftest import PgSchema, postgres_base_url
from tests.integration.test_store_contract import made

pytestmark = pytest.mark.postgres



def _pooled_pids(led, count: int) -> set[int]:  # type: ignore[no-untyped-def]
    raws = [led.engine.raw_connection() for _ in range(count)]
    try:
        pids = set()
        for raw in raws:
            cur = raw.driver_connection.cursor()
            cur.execute("SELECT pg_backend_pid()")
            pids.add(cur.fetchone()[0])
            raw.driver_connection.rollback()
        return pids
    finally:
        for raw in raws:
            raw.close()


@pytest.mark.parametrize("first_read", ["head", "claim question"])
def test_after_the_server_drops_every_pooled_connection_one_error_then_it_works(
    pg_url: str, first_read: str
) -> None:
    # No ping before each checkout (a round trip per question): instead, the first error
    # from a lost connection throws the whole pool away.
    led = open_ledger(pg_url)
    try:
        led.store.append([made("c-0")])
        pids = _pooled_pids(led, 2)
        admin_url = led.engine.url.set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(DBAPIError) as lost:
            if first_read == "head":
                led.store.head()
            else:  # the persisted projection's one-connection read
                led.snapshots.current_claim("c-0", 1)
        assert lost.value.connection_invalidated
        assert led.store.head().position == 1
        led.store.append([made("c-1")])
        assert [e.claim_id for e in led.store.read_after(0)] == ["c-0", "c-1"]
    finally:
        led.close()


@pytest.mark.timeout(60)
def test_ledgers_in_two_schemas_of_one_database_do_not_wait_for_each_other(pg_url: str) -> None:
    # The write lock is per ledger (per schema), not per database: while one ledger's writer
    # holds its lock, a writer of another schema's ledger appends at once, and a second writer
    # of the same ledger waits.
    second = PgSchema(str(postgres_base_url()))
    first, other, same = open_ledger(pg_url), open_ledger(second.url), open_ledger(pg_url)
    try:
        first.store.append([made("c-0")])
        other.store.append([made("c-0")])
        holder = first.engine.raw_connection()
        try:
            take_write_lock(first.engine, holder.driver_connection)  # first's lock, held open
            other.store.append([made("c-1")])  # returns: another ledger
            done = threading.Event()
            waiter = threading.Thread(
                target=lambda: (same.store.append([made("c-2")]), done.set()), daemon=True
            )
            waiter.start()
            assert not done.wait(1.0), "a second writer of the same ledger did not wait"
            holder.driver_connection.rollback()  # release
            assert done.wait(30)
        finally:
            holder.close()
        assert other.store.head().position == 2 and first.store.head().position == 2
    finally:
        for led in (first, other, same):
            led.close()
        second.drop()
