"""Alembic environment: runs on the connection the ledger hands it, on SQLite or PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from ledger.store.sql.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    # Plain `alembic` CLI use: the URL comes from the config (alembic.ini or -x url=...).
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        _migrate(conn)
        conn.commit()


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("ledger migrations run online only: use `ledger init`")
run()
