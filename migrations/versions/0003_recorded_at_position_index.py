"""Index recorded_at together with position, for "the last position known before T".

`--known-at T` resolves to max(position) among events recorded before T. With an index on
recorded_at alone, PostgreSQL fetched every row before T to find the largest position (0.9 s
at 1,000,000 events when T fell before the last import). Positions grow with recorded_at, so
`ORDER BY recorded_at DESC, position DESC LIMIT 1` on this index is one probe on both engines.
The composite index also serves every query the old one did, so the old one goes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_recorded_at_position", "events", ["recorded_at", "position"])
    op.drop_index("ix_events_recorded_at", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_recorded_at", "events", ["recorded_at"])
    op.drop_index("ix_events_recorded_at_position", table_name="events")
