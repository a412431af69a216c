"""Archived copies of sources (the evidence table), append-only like `events`.

A copy is content-addressed: `sha256` is the lowercase hex digest of `bytes`, and an event's
`source.archive` names it, so the chain commits to the copy through the event's data hash.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER evidence_refuse_update BEFORE UPDATE ON evidence
       BEGIN SELECT RAISE(ABORT, 'ledger: evidence is append-only; UPDATE refused'); END""",
    """CREATE TRIGGER evidence_refuse_delete BEFORE DELETE ON evidence
       BEGIN SELECT RAISE(ABORT, 'ledger: evidence is append-only; DELETE refused'); END""",
    # As on events: INSERT OR REPLACE would delete the stored copy without firing the DELETE
    # trigger, so an insert that collides is refused before it happens. The price: SQLite
    # hands a BEFORE INSERT trigger the whole new row, so the zero-filled blob of an insert is
    # built in memory once (never the copy's bytes, which incremental blob I/O writes after).
    """CREATE TRIGGER evidence_refuse_replace BEFORE INSERT ON evidence
       WHEN EXISTS (SELECT 1 FROM evidence WHERE sha256 = NEW.sha256)
       BEGIN SELECT RAISE(ABORT, 'ledger: evidence is append-only; a stored copy cannot be replaced'); END""",
]

_PG_STATEMENTS = [
    """CREATE FUNCTION ledger_refuse_evidence_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'ledger: evidence is append-only; % refused', TG_OP
           USING ERRCODE = 'restrict_violation';
       END $$""",
    """CREATE TRIGGER evidence_refuse_update_delete BEFORE UPDATE OR DELETE ON evidence
       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_evidence_change()""",
    """CREATE TRIGGER evidence_refuse_truncate BEFORE TRUNCATE ON evidence
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_evidence_change()""",
    # Stored uncompressed out of line: a copy is read back in slices (substring), which on
    # EXTERNAL storage touches only the slice's TOAST chunks instead of decompressing from
    # the start for every slice; most archived copies (images, PDFs) are compressed already.
    "ALTER TABLE evidence ALTER COLUMN bytes SET STORAGE EXTERNAL",
]


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.BigInteger(), nullable=False),
        # Last: SQLite then writes the zero-filled blob of an insert lazily, instead of
        # building a record as large as the copy before incremental blob I/O fills it.
        sa.Column("bytes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_evidence"),
        sa.CheckConstraint("size >= 0", name="ck_evidence_size_non_negative"),
    )
    statements = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _PG_STATEMENTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers on both engines.
    op.drop_table("evidence")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_evidence_change()")
