"""verify covers everything questions are answered from: every row's types, the triggers, the
projections, and (through its witness file) the log's length since the last verify."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    libpq_url,
    run_ledger,
    text,
    verify_digest,
)
from tests.faults._team import sqlite_bypass

CLAIM = "wagner-pantsir-s1-to-hezbollah"
EMPTY_DIGEST = "0:" + "0" * 64


def _seeded(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    db = str(tmp_path / "l.db") if engine == "sqlite" else request.getfixturevalue("pg_database")
    assert_ok(run_ledger("seed", "--db", db))
    return db


def _sql(engine: str, db: str, *statements: str) -> None:
    """Change the database as its owner would, past the triggers."""
    if engine == "sqlite":
        with sqlite_bypass(db) as conn:
            for statement in statements:
                if " events" in statement:  # put back at once: only the change is under test
                    conn.execute("SAVEPOINT bypass")
                    saved = conn.execute(
                        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
                        "'events' AND name IN ('events_refuse_update', 'events_refuse_delete')"
                    ).fetchall()
                    for trigger in ("events_refuse_update", "events_refuse_delete"):
                        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                    conn.execute(statement)
                    for (sql,) in saved:
                        conn.execute(sql)
                    conn.execute("RELEASE bypass")
                else:
                    conn.execute(statement)
        return
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # user triggers do not fire
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def test_a_corrupted_row_is_named_by_position_never_a_traceback(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    assert_ok(run_ledger("seed", "--db", db))
    _sql("sqlite", db, "UPDATE events SET recorded_at = recorded_at + 0.25 WHERE position = 3")
    assert_one_error_line(run_ledger("verify", "--db", db), "position 3", "recorded_at")
    db2 = str(tmp_path / "l2.db")
    assert_ok(run_ledger("seed", "--db", db2))
    with sqlite_bypass(db2) as conn:  # indexes over data's JSON would refuse the change
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
            "AND sql LIKE '%json%'"
        ).fetchall():
            conn.execute(f'DROP INDEX "{name}"')  # names from the file itself
    _sql("sqlite", db2, "UPDATE events SET data = 'garbage' WHERE position = 4")
    assert_one_error_line(run_ledger("verify", "--db", db2), "position 4", "not valid JSON")
    for command in (("claim", "list"), ("claim", "show", CLAIM), ("log",)):
        result = run_ledger(*command, "--db", db2)
        assert "Traceback" not in text(result), text(result)
        if result.returncode:
            assert_one_error_line(result, "ledger verify")


@pytest.mark.parametrize("engine", ENGINES)
def test_dropped_or_disabled_triggers_fail_verify(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = _seeded(engine, tmp_path, request)
    if engine == "sqlite":
        with sqlite_bypass(db) as conn:
            conn.execute("DROP TRIGGER events_refuse_update")
        assert_one_error_line(run_ledger("verify", "--db", db), "events_refuse_update", "missing")
        return
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
    assert_one_error_line(run_ledger("verify", "--db", db), "events_refuse_update_delete",
                          "disabled")
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete")
        conn.execute("DROP TRIGGER events_refuse_truncate ON events")
    assert_one_error_line(run_ledger("verify", "--db", db), "events_refuse_truncate", "missing")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_forged_projection_fails_verify_and_replay_repairs_it(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = _seeded(engine, tmp_path, request)
    honest = json.loads(assert_ok(run_ledger("claim", "show", CLAIM, "-f", "json", "--db", db)).stdout)
    assert honest["status"] != "confirmed"
    def listed() -> object:
        return json.loads(assert_ok(run_ledger("claim", "list", "-f", "json", "--db", db)).stdout)

    before = listed()  # (and the projection caught up)
    # Another claim's answer, under this claim's id, marked confirmed.
    _sql(engine, db, "UPDATE claim_projection SET status = 'confirmed', body = (SELECT body "
                     f"FROM claim_projection WHERE claim_id <> '{CLAIM}' ORDER BY claim_id "
                     f"LIMIT 1) WHERE claim_id = '{CLAIM}'")
    assert listed() != before  # the forgery is answered as truth
    assert_one_error_line(run_ledger("verify", "--db", db), CLAIM, "projection", "replay")
    assert_ok(run_ledger("replay", "--db", db))
    assert_ok(run_ledger("verify", "--db", db))
    again = json.loads(assert_ok(run_ledger("claim", "show", CLAIM, "-f", "json", "--db", db)).stdout)
    assert again == honest
    assert listed() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_deleted_tail_is_caught_without_a_hand_kept_digest(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = _seeded(engine, tmp_path, request)
    digest = verify_digest(db)
    head = int(digest.split(":")[0])
    _sql(engine, db, f"DELETE FROM events WHERE position > {head - 4}")
    result = run_ledger("verify", "--db", db)
    assert_one_error_line(result, f"the log ends at position {head - 4} but position {head} "
                                  "was verified on")
    # Everything gone: still caught.
    _sql(engine, db, "DELETE FROM events")
    assert_one_error_line(run_ledger("verify", "--db", db), f"position {head} was verified")


def test_the_witness_follows_the_log_and_is_the_users_file(tmp_path: Path) -> None:
    from tests.faults._support import clean_env

    db = str(tmp_path / "l.db")
    witness = tmp_path / "mine" / "witness.json"
    env = clean_env(LEDGER_WITNESS=str(witness))
    assert_ok(run_ledger("seed", "--db", db, env=env))
    assert_ok(run_ledger("verify", "--db", db, env=env))
    entries = json.loads(witness.read_text())
    assert [e["position"] for e in entries.values()] == [16]
    assert oct(witness.stat().st_mode & 0o777) == "0o600"
    assert_ok(run_ledger("append", "-", "--db", db, env=env, input=json.dumps({
        "type": "ClaimMade", "claim_id": "w-1", "occurred_at": "2023",
        "data": {"claimant": "A", "statement": "S"}}) + "\n"))
    assert_ok(run_ledger("verify", "--db", db, env=env))
    assert [e["position"] for e in json.loads(witness.read_text()).values()] == [17]
    # Another ledger is another entry, not a truncation of this one.
    other = str(tmp_path / "other.db")
    assert_ok(run_ledger("init", "--db", other, env=env))
    assert_ok(run_ledger("verify", "--db", other, env=env))
    assert len(json.loads(witness.read_text())) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_the_empty_ledgers_digest_verifies_against_itself(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = str(tmp_path / "l.db") if engine == "sqlite" else request.getfixturevalue("pg_database")
    assert_ok(run_ledger("init", "--db", db))
    result = assert_ok(run_ledger("verify", "--db", db))
    assert result.stdout.decode().strip() == EMPTY_DIGEST
    assert_ok(run_ledger("verify", "--db", db, "--digest", EMPTY_DIGEST))
    assert_ok(run_ledger("seed", "--db", db))
    assert_ok(run_ledger("verify", "--db", db, "--digest", EMPTY_DIGEST))  # a prefix of any log
    assert_one_error_line(run_ledger("verify", "--db", db, "--digest", "0:" + "1" * 64),
                          "position 0")
