"""The full-text search index: bitemporal rows, SQLite FTS5 or a PostgreSQL tsvector + GIN.

`search_rows` holds one row per (event, field, text version), valid over the positions
[valid_from, valid_to), with the occurred interval of that version (see
ledger/store/search_index.py). On SQLite the words are indexed by an FTS5 table whose external
content is a view reading each text back out of `events` (stored once); on PostgreSQL by a
`tsvector` column with a GIN index. The index is derived from the log, so an existing log is
indexed here and `ledger replay` rebuilds it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# porter: `denied` finds `denies`; remove_diacritics 2: `Shoigu` finds `Shoïgu`.
_SQLITE_FTS = """CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_content',
    content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"""


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "search_rows",
        # position << 20 | the row's sequence number within its event
        sa.Column("id", _ID, autoincrement=False, nullable=False),
        # NULL: the row's own event (its position, its stored interval), as for most rows
        sa.Column("source", sa.BigInteger(), nullable=True),
        sa.Column("field", sa.SmallInteger(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.BigInteger(), nullable=True),
        sa.Column("valid_to", sa.BigInteger(), nullable=True),
        sa.Column("occurred_from", sa.BigInteger(), nullable=True),
        sa.Column("occurred_to", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_search_rows"),
    )
    from ledger.store.sql.search import SQLITE_CONTENT_VIEW, rebuild_index

    if sqlite:
        # The text of a row: in the event itself, or in the `changes` of the correction that
        # gave it; read back out of `events` so it is stored once.
        op.execute(SQLITE_CONTENT_VIEW)
        op.execute(_SQLITE_FTS)
    else:
        op.execute("ALTER TABLE search_rows ADD COLUMN tsv tsvector NOT NULL")
        op.execute("CREATE INDEX ix_search_rows_tsv ON search_rows USING gin (tsv)")
    # Index the log already stored (a no-op on a new ledger).
    rebuild_index(bind.connection.driver_connection, bind.dialect.name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
        op.execute("DROP VIEW search_content")
    op.drop_table("search_rows")
