"""Tampering through a bypass of the append-only triggers, each caught by `ledger verify`.

The bypass is what an owner or a superuser can do: on SQLite drop the triggers; on PostgreSQL a
superuser session with `session_replication_role = replica` (triggers do not fire). Only the
hash chain, and a digest kept elsewhere, can then tell. `ledger verify` runs
through the real command line (Typer's CliRunner) with `--db`, exit code 1 and a message naming
the position.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ledger.cli.app import app
from ledger.codec import event_hash
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service import open_ledger
from ledger.store.sql.engine import make_engine
from ledger.store.sql.schema import events as T
from ledger.store.sql.urls import resolve_url

SQLITE_TRIGGERS = ("events_refuse_update", "events_refuse_delete", "events_refuse_replace")
N = 6
_DIGEST = re.compile(r"^(\d+):([0-9a-f]{64})\n$")


# -- building a ledger and running verify -------------------------------------------------------


def _made(claim: str, statement: str) -> NewEvent:
    return validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "ClaimMade",
            "claim_id": claim,
            "occurred_at": "2023-11-02",
            "data": {"claimant": "Wall Street Journal", "statement": statement},
        }
    )


def _denied(claim: str) -> NewEvent:
    return validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "ClaimDenied",
            "claim_id": claim,
            "occurred_at": "2023-11-02/2023-11-20",
            "data": {"denier": "Dmitry Peskov (Kremlin)", "quote": "based on nothing"},
            "metadata": {"recorded_by": "analyst-1"},
        }
    )


@dataclass
class Verified:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def digest(self) -> str:
        m = _DIGEST.match(self.stdout)
        assert m, f"verify printed no digest: {self.stdout!r}"
        return f"{m.group(1)}:{m.group(2)}"


def verify(url: str, *extra: str, witness: str | None = None) -> Verified:
    """`ledger verify`; `witness` names another witness file (a verifier that remembers
    nothing of this ledger, e.g. on another machine)."""
    env = None if witness is None else {"LEDGER_WITNESS": witness}
    result = CliRunner().invoke(app, ["verify", "--db", url, *extra], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Verified(result.exit_code, result.stdout, result.stderr)


def assert_broken_at(result: Verified, position: int, reason: str) -> None:
    assert result.exit_code == 1, result
    assert result.stdout == ""  # no digest for a broken chain
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"Error: chain broken at position {position}: "), errors[0]
    assert reason in errors[0], errors[0]
    assert "Traceback" not in result.stderr


@dataclass
class Ledgered:
    url: str
    dialect: str
    rows: list[dict[str, Any]]  # as first stored, by position
    digest: str  # the digest `ledger verify` printed before any tampering

    def hash_at(self, position: int) -> str:
        return str(self.rows[position - 1]["hash"])


@pytest.fixture
def ledgered(db_url: str) -> Ledgered:
    ledger = open_ledger(db_url)
    try:
        ledger.store.append([_made("a", "first"), _made("b", "second")])
        ledger.store.append([_denied("a")])
        ledger.store.append([_made("c", "fourth"), _denied("b"), _denied("c")])
        dialect = ledger.engine.dialect.name
    finally:
        ledger.close()
    rows = _rows(db_url)
    assert [r["position"] for r in rows] == list(range(1, N + 1))
    before = verify(db_url)
    assert before.exit_code == 0, before
    return Ledgered(db_url, dialect, rows, before.digest)


def _rows(url: str) -> list[dict[str, Any]]:
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(T).order_by(T.c.position))]
    finally:
        engine.dispose()


@contextlib.contextmanager
def bypass(url: str) -> Iterator[Connection]:
    """A transaction in which the append-only triggers do not fire.

    A careful forger puts SQLite's triggers back afterwards (verify names missing ones), so
    only the chain and a digest kept elsewhere can tell what was done.
    """
    engine = make_engine(resolve_url(url))
    try:
        with engine.begin() as conn:
            restore: list[str] = []
            if engine.dialect.name == "sqlite":
                for trigger in SQLITE_TRIGGERS:
                    restore.append(str(conn.execute(
                        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
                        {"n": trigger},
                    ).scalar_one()))
                    conn.execute(text(f"DROP TRIGGER {trigger}"))
            else:
                assert conn.execute(text("SELECT rolsuper FROM pg_roles "
                                         "WHERE rolname = current_user")).scalar()
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            for statement in restore:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _rechain(rows: list[dict[str, Any]], prev: str) -> list[dict[str, Any]]:
    """Re-hash rows in order, each linked to the one before: a forger's consistent chain."""
    forged = []
    for row in rows:
        row = _rehash(row, prev)
        forged.append(row)
        prev = row["hash"]
    return forged


def _rehash(row: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    fields = {k: row[k] for k in (
        "event_id", "type", "claim_id", "version", "position", "schema_version",
        "occurred_from", "occurred_to", "recorded_at", "salt", "data", "metadata")}
    return {**row, "prev_hash": prev_hash, "hash": event_hash(prev_hash=prev_hash, **fields)}


# -- the intact ledger ----------------------------------------------------------------------------


def test_intact_ledger_prints_its_digest_and_exits_0(ledgered: Ledgered) -> None:
    result = verify(ledgered.url)
    assert result.exit_code == 0
    assert result.stdout == f"{N}:{ledgered.hash_at(N)}\n"
    assert f"ok: {N} events verified" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    if ledgered.dialect == "postgresql":
        # The tests connect as `postgres`, a superuser that can disable the triggers.
        assert any("superuser" in w and "'postgres'" in w for w in warnings), result.stderr
    else:
        assert warnings == []


def test_matching_digests_pass(ledgered: Ledgered) -> None:
    result = verify(ledgered.url, "--digest", ledgered.digest)
    assert result.exit_code == 0, result
    assert result.stdout == f"{ledgered.digest}\n"
    assert "matches the digest" in result.stderr
    earlier = f"3:{ledgered.hash_at(3)}"  # a digest taken when the log had 3 events
    assert verify(ledgered.url, "--digest", earlier).exit_code == 0


def test_wrong_or_malformed_digest_is_refused(ledgered: Ledgered) -> None:
    wrong = f"{N}:{'0' * 64}"
    assert_broken_at(verify(ledgered.url, "--digest", wrong), N, "differs from the digest")
    beyond = f"{N + 1}:{ledgered.hash_at(N)}"
    assert_broken_at(verify(ledgered.url, "--digest", beyond), N + 1, "events were removed")
    bad = verify(ledgered.url, "--digest", "six:abc")
    assert bad.exit_code == 1 and "is not a digest" in bad.stderr


def test_bypass_is_needed_and_stays_local(ledgered: Ledgered) -> None:
    """Without the bypass the same change is refused; after it, the triggers are still there
    for every other session (PostgreSQL: the role change was local to the transaction)."""
    engine = make_engine(resolve_url(ledgered.url))
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(update(T).where(T.c.position == 1).values(claim_id="x"))
        if ledgered.dialect == "postgresql":
            with bypass(ledgered.url) as conn:
                conn.execute(update(T).where(T.c.position == 1).values(claim_id="x"))
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(update(T).where(T.c.position == 2).values(claim_id="y"))
    finally:
        engine.dispose()


# -- tampering, each caught at its position -------------------------------------------------------


def test_flipped_byte_in_data_is_caught_at_its_position(ledgered: Ledgered) -> None:
    target = ledgered.rows[2]  # position 3, a ClaimDenied
    raw = bytearray(orjson.dumps(target["data"]))
    at = raw.index(b"Peskov") + 5  # 'v' -> 'w': one bit of one byte
    raw[at] ^= 0x01
    forged = orjson.loads(bytes(raw))
    assert forged["denier"] == "Dmitry Peskow (Kremlin)"
    with bypass(ledgered.url) as conn:
        assert conn.execute(update(T).where(T.c.position == 3).values(data=forged)).rowcount == 1
    assert_broken_at(verify(ledgered.url), 3, "does not match the event's content")


def test_flipped_byte_in_metadata_is_caught(ledgered: Ledgered) -> None:
    with bypass(ledgered.url) as conn:
        forged = {"recorded_by": "analyst-2"}
        conn.execute(update(T).where(T.c.position == 5).values(metadata=forged))
    assert_broken_at(verify(ledgered.url), 5, "does not match the event's content")


def test_swapped_rows_are_caught_at_the_first(ledgered: Ledgered) -> None:
    second, fourth = ledgered.rows[1], ledgered.rows[3]
    with bypass(ledgered.url) as conn:
        conn.execute(delete(T).where(T.c.position.in_([2, 4])))
        conn.execute(insert(T), [{**fourth, "position": 2}, {**second, "position": 4}])
    rows = _rows(ledgered.url)
    assert [r["event_id"] for r in rows[1:4:2]] == [fourth["event_id"], second["event_id"]]
    assert_broken_at(verify(ledgered.url), 2, "prev_hash does not match")


def test_swapped_data_between_rows_is_caught(ledgered: Ledgered) -> None:
    a, b = ledgered.rows[3], ledgered.rows[5]  # positions 4 and 6
    with bypass(ledgered.url) as conn:
        conn.execute(update(T).where(T.c.position == 4).values(data=b["data"], type=b["type"]))
        conn.execute(update(T).where(T.c.position == 6).values(data=a["data"], type=a["type"]))
    assert_broken_at(verify(ledgered.url), 4, "does not match the event's content")


def test_deleted_middle_row_is_caught(ledgered: Ledgered) -> None:
    with bypass(ledgered.url) as conn:
        assert conn.execute(delete(T).where(T.c.position == 3)).rowcount == 1
    result = verify(ledgered.url)
    assert result.exit_code == 1 and result.stdout == ""
    # The missing position is 3: the message names it (the row found there is 4).
    assert "expected position 3, found 4" in result.stderr, result.stderr
    assert "chain broken at position" in result.stderr


def test_deleted_first_row_is_caught(ledgered: Ledgered) -> None:
    with bypass(ledgered.url) as conn:
        conn.execute(delete(T).where(T.c.position == 1))
    result = verify(ledgered.url)
    assert result.exit_code == 1
    assert "expected position 1, found 2" in result.stderr, result.stderr


def test_deleted_last_row_is_caught_only_by_a_digest(ledgered: Ledgered, tmp_path: Path) -> None:
    elsewhere = str(tmp_path / "elsewhere.json")
    with bypass(ledgered.url) as conn:
        assert conn.execute(delete(T).where(T.c.position == N)).rowcount == 1
    # The shorter chain is self-consistent: a verifier that remembers nothing passes it.
    alone = verify(ledgered.url, witness=elsewhere)
    assert alone.exit_code == 0
    assert alone.stdout == f"{N - 1}:{ledgered.hash_at(N - 1)}\n"
    # The digest taken before names position N, which is gone ...
    assert_broken_at(verify(ledgered.url, "--digest", ledgered.digest, witness=elsewhere), N, "events were removed")
    # ... and so does the digest the earlier verify remembered (the witness).
    remembered = verify(ledgered.url)
    assert remembered.exit_code == 1 and remembered.stdout == "", remembered
    assert f"position {N} was verified" in remembered.stderr, remembered.stderr


def test_forged_rehashed_history_is_caught_only_by_a_digest(
    ledgered: Ledgered, tmp_path: Path
) -> None:
    rows = [dict(r) for r in ledgered.rows]
    rows[1]["data"] = {**rows[1]["data"], "statement": "second, rewritten"}
    forged = _rechain(rows[1:], rows[0]["hash"])
    elsewhere = str(tmp_path / "elsewhere.json")
    with bypass(ledgered.url) as conn:
        for row in forged:
            conn.execute(
                update(T)
                .where(T.c.position == row["position"])
                .values(data=row["data"], prev_hash=row["prev_hash"], hash=row["hash"])
            )
    # A self-consistent chain: a verifier that remembers nothing cannot tell, and prints the
    # forger's digest; the one that verified before remembers and refuses it.
    alone = verify(ledgered.url, witness=elsewhere)
    assert alone.exit_code == 0, alone
    remembered = verify(ledgered.url)
    assert remembered.exit_code == 1 and "differs from what was verified" in remembered.stderr
    assert alone.digest == f"{N}:{forged[-1]['hash']}" != ledgered.digest
    # The digest kept elsewhere catches it, at the position it names.
    assert_broken_at(
        verify(ledgered.url, "--digest", ledgered.digest, witness=elsewhere), N, "differs from the digest"
    )
    # A digest of position 2 pins the rewritten event itself ...
    assert_broken_at(
        verify(ledgered.url, "--digest", f"2:{ledgered.hash_at(2)}", witness=elsewhere), 2, "differs from the digest"
    )
    # ... while one of position 1 proves, correctly, that the first event is unchanged.
    assert verify(ledgered.url, "--digest", f"1:{ledgered.hash_at(1)}", witness=elsewhere).exit_code == 0


def test_forged_hash_without_rechaining_is_caught_at_the_next_link(ledgered: Ledgered) -> None:
    """Rewrite one event and fix its own hash but not its successor's prev_hash."""
    row = dict(ledgered.rows[3])
    row["data"] = {**row["data"], "statement": "fourth, rewritten"}
    row = _rehash(row, row["prev_hash"])
    with bypass(ledgered.url) as conn:
        conn.execute(update(T).where(T.c.position == 4).values(data=row["data"], hash=row["hash"]))
    assert_broken_at(verify(ledgered.url), 5, "prev_hash does not match")


def test_renumbered_version_is_caught(ledgered: Ledgered) -> None:
    """A re-hashed chain must still obey the invariants: versions 1..k per claim."""
    rows = [dict(r) for r in ledgered.rows]
    rows[2]["version"] = 3  # claim a: 1, 3 — a gap, hashed consistently
    forged = _rechain(rows[2:], rows[1]["hash"])
    with bypass(ledgered.url) as conn:
        for row in forged:
            conn.execute(
                update(T)
                .where(T.c.position == row["position"])
                .values(version=row["version"], prev_hash=row["prev_hash"], hash=row["hash"])
            )
    assert_broken_at(verify(ledgered.url), 3, "jumps to version 3 after 1")
