from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.service import Ledger, open_ledger
from ledger.store.memory import MemoryStore


class StepClock:
    """A clock the test drives: starts at 2024-01-01 and moves 1 ms per reading."""

    def __init__(self, start: int = 1_704_067_200_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1_000
        return self.now


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path, clock: StepClock) -> Iterator[Ledger]:
    """An empty ledger on each implementation of the store port."""
    if request.param == "memory":
        yield Ledger(store=MemoryStore(clock=clock))
        return
    url = str(tmp_path / "ledger.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_ledger(url, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def store(ledger: Ledger):  # type: ignore[no-untyped-def]
    return ledger.store
