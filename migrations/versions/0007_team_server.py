"""Ledger id, write-lock table and time guard.

* `ledger_meta`: one row, the ledger's id, made here (at `init`): verify's witness file keys
  the last digest it verified by it, so a truncated log is told apart from another ledger.
* `ledger_write_lock`: an empty table whose only purpose is its table lock. Writers lock it
  (PostgreSQL), so only roles granted UPDATE on it can ever hold or block the write lock; a
  role that may merely CONNECT cannot, unlike an advisory lock anyone may take.
* `events_refuse_future`: the database refuses an event recorded beyond its own clock plus a
  minute of skew, so a planted far-future row cannot drag every later append's time after it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The clock skew allowed between the program's clock and the database's is one minute
# (60000000 microseconds), written into each statement: migrations are constant text.
_SQLITE_FUTURE = """CREATE TRIGGER events_refuse_future BEFORE INSERT ON events
   WHEN NEW.recorded_at > CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER) + 60000000
   BEGIN SELECT RAISE(ABORT, 'ledger: recorded_at lies in the future (beyond the database clock plus one minute); INSERT refused'); END"""

_PG_FUTURE = [
    """CREATE FUNCTION ledger_refuse_future() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'ledger: recorded_at % lies in the future (beyond the database clock plus one minute); INSERT refused',
           NEW.recorded_at USING ERRCODE = 'check_violation';
       END $$""",
    # The WHEN clause runs in the executor for every row; the function only for a refused one.
    # statement_timestamp(): the INSERT starts after the write lock was granted, so a writer
    # that waited for the lock is not refused for the wait.
    """CREATE TRIGGER events_refuse_future BEFORE INSERT ON events FOR EACH ROW
       WHEN (NEW.recorded_at > (extract(epoch FROM statement_timestamp()) * 1000000)::bigint + 60000000)
       EXECUTE FUNCTION ledger_refuse_future()""",
]


def upgrade() -> None:
    op.create_table(
        "ledger_meta",
        sa.Column("ledger_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ledger_id", name="pk_ledger_meta"),
    )
    op.execute(
        sa.text("INSERT INTO ledger_meta (ledger_id, created_at) VALUES (:id, :at)").bindparams(
            id=str(uuid.uuid4()), at=time.time_ns() // 1_000
        )
    )
    op.create_table(
        "ledger_write_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_write_lock"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_FUTURE)
    else:
        for statement in _PG_FUTURE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_refuse_future")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_refuse_future ON events")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_future()")
    op.drop_table("ledger_write_lock")
    op.drop_table("ledger_meta")
