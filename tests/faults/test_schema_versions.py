"""Schema versions: a newer database is refused by every command, an older one is upgraded by
`ledger init`, and the migrations have one head and round-trip on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ledger.store.sql.engine import make_engine
from ledger.store.sql.migrate import alembic_config, downgrade, head_revision
from ledger.store.sql.urls import resolve_url
from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    cli_in_process,
    export_lines,
    run_ledger,
    verify_digest,
    write_event_file,
)

FUTURE = "9f3a_from_the_future"
TABLES = {"events", "claim_projection", "projection_checkpoints"}

# Every command that opens the database, with the arguments it needs.
COMMANDS = [
    ("init",),
    ("info",),
    ("verify",),
    ("export",),
    ("log",),
    ("seed",),
    ("claim", "list"),
    ("claim", "show", "some-claim"),
    ("claim", "history", "some-claim"),
    ("claim", "make", "some-claim", "--claimant", "A", "--statement", "S", "--occurred-at", "2023"),
    ("claim", "deny", "some-claim", "--denier", "B", "--occurred-at", "2023"),
    ("sanction", "threaten", "some-claim", "--threatened-by", "C", "--target", "D",
     "--occurred-at", "2023"),
    ("record", "void", "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d", "--reason", "wrong"),
    ("diff", "--from", "2023-01-01", "--to", "2023-12-31"),
    ("replay",),
    ("import", "-"),
    ("append", "-"),
]
# PostgreSQL goes through the same check (ledger.store.sql.migrate.schema_state); a few suffice there.
PG_COMMANDS = [
    c for c in COMMANDS if c[0] in ("init", "info", "verify", "import") or c[1:2] == ("make",)
]


def _engine(db: str):  # type: ignore[no-untyped-def]
    return make_engine(resolve_url(db))


def _revision(db: str) -> str | None:
    engine = _engine(db)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _tables(db: str) -> set[str]:
    engine = _engine(db)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _seeded(db: str, tmp_path: Path) -> list[str]:
    events = write_event_file(tmp_path / "events.ndjson", 25, seed="schema")
    assert_ok(run_ledger("import", str(events.path), "--db", db))
    return list(events.ids)


@pytest.mark.timeout(240)
def test_a_newer_schema_is_refused_by_every_command(db_url: str, tmp_path: Path) -> None:
    _seeded(db_url, tmp_path)
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    finally:
        engine.dispose()
    line = json.dumps({"type": "ClaimMade", "claim_id": "x", "occurred_at": "2023",
                       "data": {"claimant": "A", "statement": "S"}}) + "\n"
    refused = 0
    commands = COMMANDS if db_url.endswith(".db") else PG_COMMANDS
    for n, args in enumerate(commands):
        # A few through the real program, the rest in process (the same code path, faster).
        run = run_ledger if n % 5 == 0 else cli_in_process
        result = run(*args, "--db", db_url, input=line if "-" in args else None)
        message = assert_one_error_line(result, FUTURE, head_revision(), "newer")
        assert "upgrade ledger" in message
        refused += 1
    assert refused == len(commands)
    assert _revision(db_url) == FUTURE  # nothing was touched


@pytest.mark.timeout(120)
def test_an_older_schema_is_upgraded_by_init(db_url: str, tmp_path: Path) -> None:
    ids = _seeded(db_url, tmp_path)
    digest = verify_digest(db_url)
    engine = _engine(db_url)
    try:
        downgrade(engine, "0001")
    finally:
        engine.dispose()
    assert _revision(db_url) == "0001"

    # Other commands refuse an older schema and say how to upgrade it.
    message = assert_one_error_line(cli_in_process("claim", "list", "--db", db_url), "0001")
    assert "ledger init" in message and head_revision() in message

    result = assert_ok(run_ledger("init", "--db", db_url))
    assert f"upgraded from 0001 to revision {head_revision()}" in result.stderr.decode()
    assert _revision(db_url) == head_revision()
    assert TABLES <= _tables(db_url)
    # The log came through untouched and the projection tables work again.
    assert [e["event_id"] for e in export_lines(db_url)] == ids
    assert verify_digest(db_url) == digest
    assert_ok(cli_in_process("replay", "--db", db_url))
    listed = assert_ok(cli_in_process("claim", "list", "-f", "json", "--db", db_url))
    assert len(json.loads(listed.stdout)) == len({f"fault-claim-{i:05d}" for i in range(25)})
    again = assert_ok(cli_in_process("init", "--db", db_url))
    assert "up to date" in again.stderr.decode()


@pytest.mark.timeout(60)
def test_the_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    # A straight line from base to head: every revision has at most one child.
    revisions = list(script.walk_revisions())
    downs = [r.down_revision for r in revisions if r.down_revision is not None]
    assert len(downs) == len(set(downs)) == len(revisions) - 1
    assert head_revision() == script.get_heads()[0]


@pytest.mark.timeout(120)
def test_migrations_upgrade_from_empty_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert _revision(db_url) == head_revision()
        assert TABLES <= _tables(db_url)

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert _revision(db_url) is None
        assert _tables(db_url) <= {"alembic_version"}

        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert _revision(db_url) == head_revision()
        assert TABLES <= _tables(db_url)
    finally:
        engine.dispose()

    # After the round trip the schema still does its job: append, and refuse changes.
    one = {"type": "ClaimMade", "claim_id": "round-trip", "occurred_at": "2023-11-21",
           "data": {"claimant": "A", "statement": "S"}}
    assert_ok(run_ledger("append", "-", "--db", db_url, input=json.dumps(one) + "\n"))
    assert verify_digest(db_url).startswith("1:")
    engine = _engine(db_url)
    try:
        for statement in ("UPDATE events SET claim_id = 'changed'", "DELETE FROM events"):
            with pytest.raises(Exception, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(statement))
    finally:
        engine.dispose()
    assert verify_digest(db_url).startswith("1:")
