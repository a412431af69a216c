"""Replay folded by worker processes: the same rows as one process, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.service import Ledger, open_ledger
from ledger.store.sql import replay
from ledger.store.sql.engine import write_transaction
from ledger.store.sql.projection import checkpoint, disagreements, refold_rows, table_rows
from tests.integration.test_projection import _apply_steps, _event

CLAIMS = [f"claim-{i:02d}" for i in range(12)]


def _history() -> list[Any]:
    """Every kind of event over a dozen claims, with errata and actor events among them."""
    kinds = ["made", "denied", "corroborated", "retracted", "resolved", "linked", "threatened"]
    actors = ["WSJ", "Reuters", "Kremlin"]
    history: list[Any] = [("actor", "register", "a0", "Reuters")]
    for i, claim in enumerate(CLAIMS):
        history.append(("event", _event("made", claim, i % 20, 0, actors[i % 3], CLAIMS[0])))
        for j in range(i % 4):
            kind = kinds[(i + j) % len(kinds)]
            other = CLAIMS[(i + j + 1) % len(CLAIMS)]
            history.append(("event", _event(kind, claim, (i + 3 * j) % 27, j * 3, actors[j % 3], other)))
        if i % 5 == 2:
            history.append(("void", i))
        if i % 5 == 3:
            history.append(("move", i, (i * 7) % 28))
    history.append(("actor", "alias", "a0", "Kremlin"))
    return history


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fold even a small log in workers, a few events per range."""
    monkeypatch.setattr(replay, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(replay, "RANGE_EVENTS", 3)
    monkeypatch.setattr(replay, "worker_count", lambda: 2)


def _ledger(db_url: str) -> Ledger:
    ledger = open_ledger(db_url)
    _apply_steps(ledger, _history(), 3, catch_up=True)
    return ledger


def test_workers_fold_every_claim_as_one_process_does(db_url: str, split: None) -> None:
    ledger = _ledger(db_url)
    try:
        head = ledger.store.head().position
        with write_transaction(ledger.engine) as conn:
            alone = list(refold_rows(conn, head))
            batches = replay.parallel_rows(conn, head, _registry(conn, head))
            assert batches is not None, "a log cut into several ranges is folded by workers"
            folded = [row for rows, _events in batches for row in rows]
        assert folded == alone
        assert len(alone) == len(CLAIMS)
    finally:
        ledger.close()


def test_replay_in_workers_writes_the_incrementally_kept_rows(db_url: str, split: None) -> None:
    ledger = _ledger(db_url)
    try:
        incremental = table_rows(ledger.engine)
        seen: list[tuple[int, int | None]] = []
        assert ledger.snapshots.rebuild(lambda done, total: seen.append((done, total))) == len(CLAIMS)
        assert table_rows(ledger.engine) == incremental
        assert disagreements(ledger.engine) == []
        head = ledger.store.head().position
        assert len(seen) > 2 and seen[-1] == (head, head)
    finally:
        ledger.close()


def test_a_failing_worker_leaves_the_projection_as_it_was(
    db_url: str, split: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = _ledger(db_url)
    try:
        before = table_rows(ledger.engine)
        done = checkpoint_of(ledger)
        fold = replay.snapshot_row

        def failing(claim_id: str, *args: Any) -> Any:
            if claim_id == CLAIMS[-1]:  # the last range: the writer has written others by then
                raise RuntimeError("worker failed")
            return fold(claim_id, *args)

        monkeypatch.setattr(replay, "snapshot_row", failing)  # workers inherit it by fork
        with pytest.raises(RuntimeError, match="worker failed"):
            ledger.snapshots.rebuild()
        assert table_rows(ledger.engine) == before
        assert checkpoint_of(ledger) == done
    finally:
        ledger.close()


def checkpoint_of(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return checkpoint(conn)


def _registry(conn: Any, head: int) -> Any:
    from ledger.domain.actors import registry_at
    from ledger.store.sql.projection import _actor_rows

    return registry_at(_actor_rows(conn, head))


sizes = st.lists(st.integers(1, 9), min_size=1, max_size=40)


@given(counts=sizes, target=st.integers(1, 20))
def test_ranges_hold_every_claim_once_and_about_target_events(counts: list[int], target: int) -> None:
    claims = [f"c{i:03d}" for i in range(len(counts))]
    cut = replay.ranges(zip(claims, counts), target)
    assert cut[0][0] == claims[0] and cut[-1][1] is None
    for claim in claims:
        holding = [r for r in cut if r[0] <= claim and (r[1] is None or claim < r[1])]
        assert len(holding) == 1
    for low, high in cut[:-1]:  # a range closes as soon as it holds `target` events
        inside = [n for c, n in zip(claims, counts) if low <= c and (high is None or c < high)]
        assert sum(inside) >= target > sum(inside[:-1])



def test_replay_stores_bodies_lz4_compressed_where_postgresql_has_lz4(pg_url: str) -> None:
    ledger = open_ledger(pg_url)
    try:
        long = [("event", _event("made", "alpha", d % 27, 0, "Reuters", "beta")) for d in range(40)]
        _apply_steps(ledger, long, 40)
        ledger.snapshots.rebuild()
        with ledger.engine.connect() as conn:
            has_lz4 = conn.exec_driver_sql(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            ).scalar()
            if not has_lz4:
                pytest.skip("this PostgreSQL has no lz4")
            size, method = conn.exec_driver_sql(
                "SELECT octet_length(body), pg_column_compression(body) FROM claim_projection"
            ).one()
        assert size > 2_000  # large enough for PostgreSQL to compress it
        assert method == "lz4"
    finally:
        ledger.close()
