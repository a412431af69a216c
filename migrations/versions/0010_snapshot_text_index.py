"""Snapshot bodies carry an index of where each part of the head answer lies in their text.

`claim list -f jsonl`, csv and table answer from slices of the stored text instead of
decoding every body into dicts (ledger/projections/snapshot_body.py). A body stored before
this is still answered, by decoding it, but `ledger verify` compares the stored rows with a
refold of the log, which now writes the new layout: the derived rows are emptied and their
checkpoint dropped, so the next question rebuilds them from the log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_REFRESH = (
    "DELETE FROM claim_projection",
    "DELETE FROM projection_checkpoints WHERE name = 'claims'",
)


def upgrade() -> None:
    for statement in _REFRESH:
        op.execute(statement)


def downgrade() -> None:
    # The older program reads only bodies without an index: rebuild them there, from the log.
    for statement in _REFRESH:
        op.execute(statement)
