"""Fixtures of the fault tests: the 50,000-event input, private PostgreSQL databases, figures."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import postgres_base_url
from tests.faults._support import (
    FIGURES_ENV,
    EventFile,
    libpq_url,
    with_database,
    write_event_file,
)
from tests.faults._team import roles  # noqa: F401 - throwaway PostgreSQL roles (team tests)

#: The size of the kill -9 imports (the issue asks for 50,000+).
BIG_IMPORT_EVENTS = 50_000


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or a plain run) names one figures file; xdist workers inherit it.
    if hasattr(config, "workerinput") or os.environ.get(FIGURES_ENV):
        return
    path = os.path.join(
        tempfile.gettempdir(), f"ledger-faults-figures-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
    )
    os.environ[FIGURES_ENV] = path  # created by the first test that records figures
    config.stash[_FIGURES_KEY] = path


_FIGURES_KEY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = config.stash.get(_FIGURES_KEY, None)
    if not path or not Path(path).exists():
        return
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    Path(path).unlink(missing_ok=True)
    if not rows:
        return
    terminalreporter.section("ledger fault figures")
    totals: dict[str, float] = {}
    for row in sorted(rows, key=lambda r: r["test"]):
        terminalreporter.write_line(
            row["test"] + ": " + ", ".join(f"{k}={v}" for k, v in row.items() if k != "test")
        )
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    terminalreporter.write_line(
        "TOTAL: " + ", ".join(f"{k}={v:g}" for k, v in sorted(totals.items()))
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Within this directory, the slow tests go first so xdist spreads them over the workers
    # instead of leaving one long test to the end; everything else keeps its place.
    here = Path(__file__).parent
    mine = [i for i, item in enumerate(items) if item.path.parent == here]
    if not mine:
        return
    ordered = sorted(
        (items[i] for i in mine),
        key=lambda item: (item.get_closest_marker("slow") is None, _weight(item)),
    )
    for index, item in zip(mine, ordered):
        items[index] = item


def _weight(item: pytest.Item) -> int:
    marker = item.get_closest_marker("timeout")
    return -int(marker.args[0]) if marker and marker.args else 0


@pytest.fixture(scope="session")
def big_import(tmp_path_factory: pytest.TempPathFactory) -> EventFile:
    """50,000 ClaimMade lines with client-chosen ids, written once per session (per worker)."""
    path = tmp_path_factory.mktemp("big") / "big.ndjson"
    return write_event_file(path, BIG_IMPORT_EVENTS, seed="big")


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A whole private PostgreSQL database (not a schema), dropped afterwards.

    Kill and terminate tests look at the ledger's write lock in pg_locks, which lists
    every lock of the server: a database of their own keeps other tests' locks out of sight.
    """
    import psycopg

    base = postgres_base_url()
    assert base is not None
    name = "ledger_faults_" + uuid.uuid4().hex[:12]
    with psycopg.connect(libpq_url(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # test-only fixed-shape name
    try:
        yield with_database(base, name)
    finally:
        with psycopg.connect(libpq_url(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
