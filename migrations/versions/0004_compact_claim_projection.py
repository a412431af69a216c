"""A compact claim projection: timelines and body as orjson bytes instead of one JSON document.

Columns: `timeline` (valid time, read by every question), `certain` (read by `--certain` ones)
and `body` (the head answer, decoded only for the claims answered); see
ledger/projections/snapshot.py.

The old `snapshot` JSON held the head answer plus copies and ~7.6 KB per claim, decoded through
the JSON type; `claim list` spent most of its time there. The table is derived, so it is
recreated empty and its checkpoint dropped: the next reader rebuilds it from the log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_CHECKPOINT = "DELETE FROM projection_checkpoints WHERE name = 'claims'"


def upgrade() -> None:
    op.drop_index("ix_claim_projection_status", table_name="claim_projection")
    op.drop_table("claim_projection")
    op.create_table(
        "claim_projection",
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("timeline", sa.LargeBinary(), nullable=False),
        sa.Column("certain", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claim_projection"),
    )
    op.create_index("ix_claim_projection_status", "claim_projection", ["status"])
    op.execute(_CHECKPOINT)


def downgrade() -> None:
    op.drop_index("ix_claim_projection_status", table_name="claim_projection")
    op.drop_table("claim_projection")
    op.create_table(
        "claim_projection",
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("snapshot", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claim_projection"),
    )
    op.create_index("ix_claim_projection_status", "claim_projection", ["status"])
    op.execute(_CHECKPOINT)
