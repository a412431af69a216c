"""Give SQLite's plain search rows their array index back.

A row that is its event's own current text was stored with two columns (id, field), which
dropped the array index of an alias (`aliases[1]`): the hit was found but its snippet, read
from the event at the row's JSON path, was empty. Such rows are derived, so the index is
derived again from the log when any alias row lacks its index. PostgreSQL always stored it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# search_index.FIELD_CODES["aliases"] is 21 (codes never change once stored).
_DAMAGED = "SELECT 1 FROM search_rows WHERE field = 21 AND item IS NULL LIMIT 1"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    from ledger.store.sql.search import rebuild_index

    driver = bind.connection.driver_connection
    cur = driver.cursor()
    try:
        damaged = cur.execute(_DAMAGED).fetchone() is not None
    finally:
        cur.close()
    if damaged:
        rebuild_index(driver, bind.dialect.name)


def downgrade() -> None:
    pass  # the repaired rows are what the older code should have stored
