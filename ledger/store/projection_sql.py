"""The persisted claim projection: caught up from its checkpoint, rebuilt by replay.

The rows and the checkpoint are written in one transaction under the ledger's write lock, so
a reader sees either the old projection with the old checkpoint or the new one with the new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select

from ledger.domain.model import StoredEvent
from ledger.projections.snapshot import Snapshot, build_snapshot
from ledger.store.engine import write_transaction
from ledger.store.schema import claim_projection as P
from ledger.store.schema import events as T
from ledger.store.schema import projection_checkpoints as C
from ledger.store.sql import _COLUMNS, _chunks, read_head, row_to_event

NAME = "claims"
_WRITE_CHUNK = 2_000

Progress = Callable[[int, int | None], None]


_CHECKPOINT = select(C.c.position).where(C.c.name == NAME)
_ROWS = select(P.c.claim_id, P.c.last_position, P.c.snapshot)
_ROWS_BY_ID = _ROWS.where(P.c.claim_id.in_(bindparam("ids", expanding=True)))


def checkpoint(conn: Connection) -> int:
    value = conn.execute(_CHECKPOINT).scalar()
    return int(value or 0)


def _set_checkpoint(conn: Connection, position: int) -> None:
    conn.execute(delete(C).where(C.c.name == NAME))
    conn.execute(insert(C), {"name": NAME, "position": position})


def catch_up(engine: Engine, progress: Progress | None = None) -> tuple[int, int]:
    """Apply the log after the checkpoint; returns (checkpoint before, after)."""
    with engine.connect() as conn:
        done = checkpoint(conn)
        if done >= read_head(conn).position:
            return done, done
    with write_transaction(engine) as conn:
        return _catch_up(conn, progress)


def rebuild(engine: Engine, progress: Progress | None = None) -> int:
    """Drop every row and refold the whole log; returns the number of claims written."""
    with write_transaction(engine) as conn:
        conn.execute(delete(P))
        _set_checkpoint(conn, 0)
        _catch_up(conn, progress)
        return int(conn.execute(select(func.count()).select_from(P)).scalar() or 0)


def _catch_up(conn: Connection, progress: Progress | None) -> tuple[int, int]:
    start = checkpoint(conn)
    head = read_head(conn).position
    if start >= head:
        return start, start
    claims: list[str] | None = None  # None: every claim, streaming the whole log
    total: int | None = head
    if start > 0:
        q = select(T.c.claim_id).where(T.c.position > start).distinct()
        claims = sorted(c for (c,) in conn.execute(q))
        total = None
        # Touched claims are rebuilt whole (an event may land in their valid-time past);
        # a claim whose every event is now voided simply gets no new row.
        for chunk in _chunks(claims):
            conn.execute(delete(P).where(P.c.claim_id.in_(chunk)))
    rows: list[dict[str, Any]] = []
    done = 0
    for claim_id, events in _events_by_claim(conn, claims, head):
        snapshot = build_snapshot(claim_id, events, head)
        done += len(events)
        if snapshot is not None:
            rows.append(_row(claim_id, events, snapshot))
        if len(rows) >= _WRITE_CHUNK:
            conn.execute(insert(P), rows)
            rows = []
            if progress is not None:
                progress(done, total)
    if rows:
        conn.execute(insert(P), rows)
    _set_checkpoint(conn, head)
    if progress is not None:
        progress(total or done, total)
    return start, head


def _row(claim_id: str, events: list[StoredEvent], snapshot: Snapshot) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "last_position": max(e.position for e in events),
        "status": snapshot["timeline"][-1][1],
        "snapshot": snapshot,
    }


def _events_by_claim(
    conn: Connection, claims: list[str] | None, head: int
) -> Iterator[tuple[str, list[StoredEvent]]]:
    """Each claim's events up to `head`, one claim at a time (memory: one claim)."""
    base = select(*_COLUMNS).where(T.c.position <= head)
    if claims is None:
        q = base.order_by(T.c.claim_id, T.c.version)
        # Options per statement: Connection.execution_options() would change the connection.
        result = conn.execute(q, execution_options={"yield_per": 5_000})
        for claim_id, rows in groupby(result, key=lambda r: r[3]):
            yield claim_id, [row_to_event(r) for r in rows]
        return
    for chunk in _chunks(claims):
        q = base.where(T.c.claim_id.in_(chunk)).order_by(T.c.claim_id, T.c.version)
        for claim_id, rows in groupby(conn.execute(q), key=lambda r: r[3]):
            yield claim_id, [row_to_event(r) for r in rows]


def read_rows(
    engine: Engine, claim_ids: Iterable[str] | None = None
) -> dict[str, tuple[int, Snapshot]]:
    """Snapshots by claim id (all claims, or the ones named)."""
    out: dict[str, tuple[int, Snapshot]] = {}
    with engine.connect() as conn:
        if claim_ids is None:
            rows = conn.execute(_ROWS, execution_options={"yield_per": 5_000})
            for claim_id, last, snap in rows:
                out[claim_id] = (last, snap)
            return out
        for chunk in _chunks(sorted(set(claim_ids))):
            for claim_id, last, snap in conn.execute(_ROWS_BY_ID, {"ids": chunk}):
                out[claim_id] = (last, snap)
    return out


def claims_after(engine: Engine, position: int) -> set[str]:
    """Claims with an event after `position`: their snapshots cannot answer at `position`."""
    q = select(T.c.claim_id).where(T.c.position > position).distinct()
    with engine.connect() as conn:
        return {c for (c,) in conn.execute(q)}


def table_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every projection row in claim order: what replay must reproduce exactly."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(P.c.claim_id, P.c.last_position, P.c.status, P.c.snapshot).order_by(P.c.claim_id)
        )
        return [tuple(r) for r in rows]


class SqlSnapshots:
    """The persisted projection as the question layer reads it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def catch_up(self, progress: Progress | None = None) -> tuple[int, int]:
        return catch_up(self.engine, progress)

    def rows(self, claim_ids: Iterable[str] | None = None) -> dict[str, tuple[int, Snapshot]]:
        return read_rows(self.engine, claim_ids)

    def claims_after(self, position: int) -> set[str]:
        return claims_after(self.engine, position)

    def rebuild(self, progress: Progress | None = None) -> int:
        return rebuild(self.engine, progress)
