"""Writing many event rows fast (PostgreSQL COPY), and refreshing the planner's statistics.

The SQL is constant text (no values are ever formatted into it); JSON columns are serialised
once with orjson, which PostgreSQL's COPY parses into JSONB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, text

from ledger.domain.model import Prepared, StoredEvent
from ledger.store.sql.statements import PG_COPY, to_rows

# Below this many rows a plain INSERT is cheaper than setting up COPY.
_COPY_THRESHOLD = 32

#: Appends of at least this many events refresh PostgreSQL's statistics afterwards. Without
#: them, the planner of a freshly bulk-loaded table guessed a bitmap scan for one claim's rows
#: (hundreds of times slower than after ANALYZE).
ANALYZE_AFTER = 10_000


def copy_events(
    dbapi_conn: Any,
    dialect: str,
    rows: Sequence[StoredEvent],
    prepared: Sequence[Prepared | None] = (),
) -> bool:
    """COPY the rows inside the caller's transaction when that is the fast way; else False."""
    if dialect != "postgresql" or len(rows) < _COPY_THRESHOLD:
        return False
    # COPY streams rows; one huge parameter in pipeline mode is what hung other libraries'
    # bulk writes.
    cursor = dbapi_conn.cursor()
    try:
        with cursor.copy(PG_COPY) as copy:
            for row in to_rows(rows, prepared):
                copy.write_row(row)
    finally:
        cursor.close()
    return True


def analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's statistics on `events` after a large append (best effort)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite's planner picks the claim index without statistics
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE events"))
            conn.commit()
    except Exception:  # noqa: BLE001 - statistics are an optimisation; the append has committed
        pass
