"""The persisted claim projection and its checkpoint.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Derived tables: they may be dropped and rebuilt from the log at any time (ledger replay).
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projection_checkpoints"),
    )
    op.create_table(
        "claim_projection",
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("snapshot", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claim_projection"),
    )
    op.create_index("ix_claim_projection_status", "claim_projection", ["status"])


def downgrade() -> None:
    op.drop_index("ix_claim_projection_status", table_name="claim_projection")
    op.drop_table("claim_projection")
    op.drop_table("projection_checkpoints")
