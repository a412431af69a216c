"""Shared fixtures: a store on every engine, and PostgreSQL found through LEDGER_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# No test asserts a time: Hypothesis's per-example deadline is one, and on a loaded machine it
# failed examples that were only slow (seen under two test runs at once on two cores).
settings.register_profile("ledger", deadline=None)
settings.load_profile("ledger")

PG_ENV = "LEDGER_TEST_POSTGRES_URL"
ENGINES = ("memory", "sqlite", "postgres")


def postgres_base_url() -> str | None:
    """The server URL the README names; in CI a missing server fails instead of skipping."""
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set: the PostgreSQL suite must run in CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    return url


class PgSchema:
    """A private schema on the test server: each test gets an empty ledger of its own."""

    def __init__(self, base: str) -> None:
        from sqlalchemy import create_engine, text

        self.name = "t_" + uuid.uuid4().hex[:16]
        self._admin = create_engine(_psycopg(base), isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))  # test-only fixed-shape name
        sep = "&" if "?" in base else "?"
        self.url = f"{_psycopg(base)}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        from sqlalchemy import text

        with self._admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._admin.dispose()


def _psycopg(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@pytest.fixture(autouse=True)
def _private_witness(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify remembers digests in a witness file: each test gets its own, never the user's."""
    path = tmp_path_factory.mktemp("witness") / "witness.json"
    monkeypatch.setenv("LEDGER_WITNESS", str(path))


@pytest.fixture(autouse=True)
def _no_inherited_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables follow COLUMNS; pytest-xdist workers inherit COLUMNS=80 from execnet, which
    would make every table test depend on how the suite was started. A test that wants a
    width sets it itself."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to an empty PostgreSQL schema, dropped after the test."""
    base = postgres_base_url()
    assert base is not None
    schema = PgSchema(base)
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.db")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL on each SQL engine."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
    else:
        yield request.getfixturevalue("pg_url")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark every test that runs on PostgreSQL, so `-m postgres` counts and selects them.
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        if "postgres" in params.values() or "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
