"""Helpers of the team-server tests: throwaway roles, URLs as a role, rows forged by hand."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.faults._support import libpq_url


class Roles:
    """Login roles made for one test (cluster-wide names, so unique), dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin_url = admin_url
        self.prefix = "lt_" + uuid.uuid4().hex[:8] + "_"
        self.made: list[str] = []
        self._psycopg = psycopg

    def make(self, name: str, *options: str) -> str:
        role = self.prefix + name
        with self._psycopg.connect(libpq_url(self.admin_url), autocommit=True) as admin:
            admin.execute(f'CREATE ROLE "{role}" LOGIN {" ".join(options)}')  # test-only names
        self.made.append(role)
        return role

    def sql(self, statement: str, url: str | None = None) -> list[tuple[Any, ...]]:
        """Run one statement (as the admin, or on `url`) in autocommit; its rows, if any."""
        with self._psycopg.connect(libpq_url(url or self.admin_url), autocommit=True) as conn:
            cur = conn.execute(statement)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def drop(self, databases: list[str]) -> None:
        with self._psycopg.connect(libpq_url(self.admin_url), autocommit=True) as admin:
            for role in reversed(self.made):
                for url in databases:
                    with self._psycopg.connect(libpq_url(url), autocommit=True) as conn:
                        conn.execute(f'DROP OWNED BY "{role}" CASCADE')
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def as_role(url: str, role: str, *, search_path: str | None = None) -> str:
    """`url` connecting as `role` (trust auth: no password), optionally with a search_path."""
    parsed = make_url(libpq_url(url)).set(username=role, password=None)
    if search_path is not None:
        parsed = parsed.update_query_dict({"options": f"-csearch_path={search_path}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def roles(pg_database: str) -> Iterator[Roles]:
    made = Roles(pg_database)
    try:
        yield made
    finally:
        made.drop([pg_database])


def line(i: int, claim: str = "team-claim", **extra: Any) -> str:
    """One ClaimMade NDJSON line with a fixed event id per `i`."""
    event = {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-team/{i}")),
        "type": "ClaimMade",
        "claim_id": f"{claim}-{i}",
        "occurred_at": "2023-11-21",
        "data": {"claimant": "Wire", "statement": f"statement {i}"},
        **extra,
    }
    return json.dumps(event) + "\n"


def chained_row(prev: tuple[int, str] | None, *, recorded_at: int, claim: str) -> dict[str, Any]:
    """A correctly chained events row after `prev` (position, hash): what an INSERT-only role
    could add by hand."""
    from ledger.codec import event_hash, new_salt
    from ledger.domain.model import ZERO_HASH

    position = 1 if prev is None else prev[0] + 1
    prev_hash = ZERO_HASH if prev is None else prev[1]
    data = {"claimant": "Planted", "statement": "from the future"}
    fields = {
        "event_id": str(uuid.uuid4()), "type": "ClaimMade", "claim_id": claim, "version": 1,
        "position": position, "schema_version": 1, "occurred_from": 1_700_000_000_000_000,
        "occurred_to": 1_700_000_000_000_000, "recorded_at": recorded_at,
    }
    salt = new_salt()
    digest = event_hash(prev_hash=prev_hash, salt=salt, data=data, metadata={}, **fields)
    return {**fields, "data": json.dumps(data), "metadata": "{}", "salt": salt,
            "prev_hash": prev_hash, "hash": digest}


INSERT_ROW = (
    "INSERT INTO events (position, event_id, type, claim_id, version, schema_version, "
    "occurred_from, occurred_to, recorded_at, data, metadata, salt, prev_hash, hash) VALUES "
    "(%(position)s, %(event_id)s, %(type)s, %(claim_id)s, %(version)s, %(schema_version)s, "
    "%(occurred_from)s, %(occurred_to)s, %(recorded_at)s, %(data)s, %(metadata)s, %(salt)s, "
    "%(prev_hash)s, %(hash)s)"
)
INSERT_ROW_SQLITE = INSERT_ROW.replace("%(", ":").replace(")s", "")

#: 9000-01-01T00:00:00Z in microseconds: the issue's planted time.
YEAR_9000_US = 221_845_392_000_000_000


@contextmanager
def sqlite_bypass(path: str) -> Iterator[Any]:
    """A raw sqlite3 connection to change the file as a local attacker would."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
