"""Pooled PostgreSQL connections: lost ones cost one error, then the ledger reconnects."""

from __future__ import annotations


import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from ledger.service import open_ledger
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


def test_after_the_server_drops_every_pooled_connection_one_error_then_it_works(
    pg_url: str,
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
            led.store.head()
        assert lost.value.connection_invalidated
        assert led.store.head().position == 1
        led.store.append([made("c-1")])
        assert [e.claim_id for e in led.store.read_after(0)] == ["c-0", "c-1"]
    finally:
        led.close()
