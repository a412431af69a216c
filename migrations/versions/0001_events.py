"""The append-only events table, its indexes and the triggers that refuse changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'ledger: events are append-only; UPDATE refused'); END""",
    """CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'ledger: events are append-only; DELETE refused'); END""",
    # INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers unless
    # recursive_triggers is on: refuse any insert that would collide, before it happens.
    # Three EXISTS, one per unique key, so each is a single index probe (an OR inside one
    # subquery made SQLite scan, and every insert paid for it).
    """CREATE TRIGGER events_refuse_replace BEFORE INSERT ON events
       WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
         OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
         OR EXISTS (SELECT 1 FROM events WHERE claim_id = NEW.claim_id AND version = NEW.version)
       BEGIN SELECT RAISE(ABORT, 'ledger: events are append-only; a stored event cannot be replaced'); END""",
]

_PG_STATEMENTS = [
    """CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'ledger: events are append-only; % refused', TG_OP
           USING ERRCODE = 'restrict_violation';
       END $$""",
    """CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
]


def upgrade() -> None:
    op.create_table(
        "events",
        # INTEGER PRIMARY KEY is SQLite's rowid itself: one b-tree fewer on every insert.
        sa.Column("position", _POSITION, autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("occurred_from", sa.BigInteger(), nullable=False),
        sa.Column("occurred_to", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("metadata", _JSON, nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_events"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
        sa.UniqueConstraint("claim_id", "version", name="uq_events_claim_id_version"),
        sa.CheckConstraint("position >= 1", name="ck_events_position_positive"),
        sa.CheckConstraint("version >= 1", name="ck_events_version_positive"),
        sa.CheckConstraint("occurred_to >= occurred_from", name="ck_events_occurred_ordered"),
    )
    op.create_index("ix_events_occurred_from", "events", ["occurred_from"])
    op.create_index("ix_events_recorded_at", "events", ["recorded_at"])
    statements = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _PG_STATEMENTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers on both engines.
    op.drop_index("ix_events_recorded_at", table_name="events")
    op.drop_index("ix_events_occurred_from", table_name="events")
    op.drop_table("events")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_change()")
