"""Where the database is: `--db`, else LEDGER_DATABASE_URL, else a file in the user's data dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.domain.errors import LedgerError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ENV_VAR = "LEDGER_DATABASE_URL"


def default_sqlite_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path("ledger", appauthor=False) / "ledger.db"


def target(db: str | None) -> str:
    """The path or URL a command works on: `--db`, the environment, or the default file."""
    return db or os.environ.get(ENV_VAR) or str(default_sqlite_path())


def resolve_url(db: str | None) -> URL:
    """Turn a path or URL into an SQLAlchemy URL for the pysqlite or psycopg 3 driver."""
    # Imported here: the read-only SQLite path answers without loading SQLAlchemy at all.
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    raw = target(db)
    if "://" not in raw:
        return URL.create("sqlite+pysqlite", database=str(Path(raw).expanduser()))
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise LedgerError(
            f"'{redact(raw)}' is not a database URL or path: use a file path, "
            "sqlite:///file.db or postgresql://host/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise LedgerError(
        f"unsupported database '{url.drivername}' in {redact(raw)}: use SQLite or PostgreSQL"
    )


def redact(raw: str | URL) -> str:
    """A URL fit to print: never the password."""
    from sqlalchemy.engine import URL, make_url

    if isinstance(raw, URL):
        return raw.render_as_string(hide_password=True)
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing to hide but a user:pass@ pattern
        if "@" in raw and "://" in raw:
            scheme, _, rest = raw.partition("://")
            return f"{scheme}://***@{rest.rpartition('@')[2]}"
        return raw
