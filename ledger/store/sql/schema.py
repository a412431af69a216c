"""Every table, in one MetaData with a naming convention: Alembic and the runtime both read it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSON text on SQLite, JSONB on PostgreSQL: one logical schema, each engine's native JSON.
Json = JSON().with_variant(JSONB(), "postgresql")

events = Table(
    "events",
    metadata,
    # Assigned under the write lock as head + 1, never from a sequence: sequences
    # leave gaps and commit out of order, and a reader tailing by position would skip events.
    # On SQLite, INTEGER PRIMARY KEY makes the position the rowid (one b-tree fewer).
    Column(
        "position",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("event_id", String(36), nullable=False),
    Column("claim_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    # Times are UTC microseconds since the epoch: exact, engine-neutral, fast to compare.
    Column("occurred_from", BigInteger, nullable=False),
    Column("occurred_to", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("data", Json, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("salt", String(32), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("event_id"),
    UniqueConstraint("claim_id", "version"),
    CheckConstraint("position >= 1", name="position_positive"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("occurred_to >= occurred_from", name="occurred_ordered"),
    Index(None, "occurred_from"),
    Index(None, "recorded_at", "position"),
)

# Archived copies of sources (revision 0005), append-only like `events`: content-addressed,
# named by an event's `source.archive`, so the chain commits to them.
evidence = Table(
    "evidence",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
    Column("bytes", LargeBinary, nullable=False),  # last: see revision 0005
    CheckConstraint("size >= 0", name="size_non_negative"),
)

# -- projections: derived from the log, rebuilt by `ledger replay` --------------------------

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    # The last log position applied, written in the same transaction as the rows.
    Column("position", BigInteger, nullable=False),
)

claim_projection = Table(
    "claim_projection",
    metadata,
    Column("claim_id", String(128), primary_key=True),
    # The claim's last event: the snapshot holds for any position from here to the checkpoint.
    Column("last_position", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    # orjson documents read by ledger/projections/snapshot.py (revision 0004): stored as bytes
    # and decoded there, so reading 100,000 rows skips the JSON type's per-row processing.
    Column("timeline", LargeBinary, nullable=False),
    Column("certain", LargeBinary, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

# -- the ledger itself (revision 0007) -------------------------------------------------------

# One row: the ledger's id, made at `init`; verify's witness remembers digests per id.
ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("ledger_id", String(36), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

# Never holds a row: PostgreSQL writers take its table lock, which only roles granted UPDATE
# on it can take (an advisory lock can be taken, and held forever, by anyone who connects).
ledger_write_lock = Table(
    "ledger_write_lock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
)
