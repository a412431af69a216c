"""The write lock on a team server: one lock per ledger whatever the role, nobody outside the
ledger can take it, and a writer waits at most --lock-timeout, then names who holds it."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from ledger.service import open_ledger
from ledger.store.sql.privileges import grant_app_role
from tests.faults._support import (
    PgLook,
    assert_ok,
    assert_one_error_line,
    clean_env,
    libpq_url,
    run_ledger,
)
from tests.faults._team import Roles, as_role, line

pytestmark = pytest.mark.postgres


def _init_with_roles(pg_database: str, roles: Roles, *names: str) -> list[str]:
    assert_ok(run_ledger("init", "--db", pg_database))
    made = [roles.make(n) for n in names]
    from sqlalchemy import create_engine

    engine = create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        for role in made:
            grant_app_role(engine, role)
    finally:
        engine.dispose()
    return made


@pytest.mark.timeout(240)
def test_roles_with_a_schema_of_their_own_name_take_the_same_lock(
    pg_database: str, roles: Roles
) -> None:
    # Each role owns a schema named after it, first on the default search_path ("$user"):
    # current_schema() differs per role while both append to public.events. A lock keyed by
    # the session's schema let them race into UniqueViolation on the primary key.
    alice, bob = _init_with_roles(pg_database, roles, "alice", "bob")
    for role in (alice, bob):
        roles.sql(f'CREATE SCHEMA "{role}" AUTHORIZATION "{role}"', pg_database)
    urls = [as_role(pg_database, r) for r in (alice, bob)]
    assert {roles.sql("SELECT current_schema()", u)[0][0] for u in urls} == {alice, bob}
    writers, per_writer = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(index: int) -> None:
        ledger = open_ledger(urls[index % 2])
        try:
            start.wait()
            for i in range(per_writer):
                ledger.append(line(index * 1000 + i).encode())
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            ledger.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert errors == []
    look = PgLook(pg_database)
    try:
        count, low, high = look.stats()
    finally:
        look.close()
    assert (count, low, high) == (writers * per_writer, 1, writers * per_writer)
    assert_ok(run_ledger("verify", "--db", pg_database))


@pytest.mark.timeout(120)
def test_a_role_that_may_only_connect_cannot_take_or_block_the_write_lock(
    pg_database: str, roles: Roles
) -> None:
    assert_ok(run_ledger("init", "--db", pg_database))
    mallory = roles.make("mallory")  # CONNECT (PUBLIC's default) and nothing else
    as_mallory = psycopg.connect(libpq_url(as_role(pg_database, mallory)), autocommit=False)
    try:
        for table in ("public.ledger_write_lock", "public.events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                as_mallory.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            as_mallory.rollback()
        # The advisory lock the ledger used to take, with any key: held, it blocks nothing.
        as_mallory.execute("SELECT pg_advisory_lock(7810759637003154481)")
        result = run_ledger(
            "append", "-", "--db", pg_database, "--lock-timeout", "5", input=line(1), timeout=60
        )
        assert_ok(result)
    finally:
        as_mallory.close()


@pytest.mark.timeout(120)
def test_a_writer_waits_at_most_the_lock_timeout_and_names_the_holder(
    pg_database: str,
) -> None:
    assert_ok(run_ledger("seed", "--db", pg_database))
    holder = psycopg.connect(libpq_url(pg_database) + "?application_name=holder-app")
    try:
        holder.execute("LOCK TABLE public.ledger_write_lock IN EXCLUSIVE MODE")
        pid = holder.info.backend_pid
        started = time.monotonic()
        result = run_ledger("append", "-", "--db", pg_database, "--lock-timeout", "1",
                            input=line(2), timeout=60)
        waited = time.monotonic() - started
        message = assert_one_error_line(result, "write lock", f"pid {pid}", "holder-app",
                                        "--lock-timeout")
        assert "postgres" in message
        assert waited < 30, "the writer waited for the default, not for --lock-timeout"
        # Commands without an option of their own honour the environment's setting.
        env = clean_env(LEDGER_LOCK_TIMEOUT="1")
        result = run_ledger("claim", "make", "lock-claim", "--claimant", "A", "--statement",
                            "S", "--occurred-at", "2023", "--db", pg_database, env=env)
        assert_one_error_line(result, "write lock", f"pid {pid}")
        # Readers are not writers: a question answers while the lock is held.
        assert_ok(run_ledger("claim", "list", "--db", pg_database, timeout=60))
        assert_ok(run_ledger("log", "--db", pg_database, timeout=60))
    finally:
        holder.close()
    assert_ok(run_ledger("append", "-", "--db", pg_database, "--lock-timeout", "5",
                         input=line(3)))


@pytest.mark.timeout(120)
def test_sqlite_writer_waits_at_most_the_lock_timeout(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    assert_ok(run_ledger("seed", "--db", db))
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        result = run_ledger("append", "-", "--db", db, "--lock-timeout", "0.5",
                            input=line(4), timeout=60)
        assert_one_error_line(result, "write lock", "0.5 s", "--lock-timeout")
        assert time.monotonic() - started < 30
    finally:
        holder.close()
    assert_ok(run_ledger("append", "-", "--db", db, input=line(4)))


def test_two_schemas_of_one_database_keep_two_locks(pg_database: str, roles: Roles) -> None:
    # The lock names the ledger's own schema: a second ledger in another schema of the same
    # database appends while the first one's lock is held.
    assert_ok(run_ledger("init", "--db", pg_database))
    schema = "second_" + uuid.uuid4().hex[:6]
    roles.sql(f'CREATE SCHEMA "{schema}"', pg_database)
    second = pg_database + f"?options=-csearch_path%3D{schema}"
    assert_ok(run_ledger("init", "--db", second))
    holder = psycopg.connect(libpq_url(pg_database))
    try:
        holder.execute("LOCK TABLE public.ledger_write_lock IN EXCLUSIVE MODE")
        assert_ok(run_ledger("append", "-", "--db", second, "--lock-timeout", "5",
                             input=line(5)))
        result = run_ledger("append", "-", "--db", pg_database, "--lock-timeout", "1",
                            input=line(5))
        assert_one_error_line(result, "write lock")
    finally:
        holder.close()
