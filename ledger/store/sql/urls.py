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
    """The path or URL a command works on: `--db`, the environment, or the default file.

    An empty `--db ''` is refused: silently opening the default ledger instead would write
    where the user did not point.
    """
    if db is not None and not db.strip():
        raise LedgerError(
            "--db is empty: give a file path or a database URL, or leave --db out to use "
            "$LEDGER_DATABASE_URL or the default ledger"
        )
    return db or os.environ.get(ENV_VAR) or str(default_sqlite_path())


def _encode_raw_at(raw: str) -> str:
    """`scheme://user:p@ss@host/...` with the password's raw `@` percent-encoded.

    A URL's user part ends at the LAST `@` of its authority; parsers that stop at the first
    one take the password's tail for the host (and print it in their errors).
    """
    scheme, sep, rest = raw.partition("://")
    if not sep:
        return raw
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark, rest.rfind("@") if "@" in rest else 0)
        if found != -1:
            end = min(end, found)
    authority, tail = rest[:end], rest[end:]
    if authority.count("@") < 2:
        return raw
    userinfo, _, host = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return f"{scheme}://{user}{colon}{password.replace('@', '%40')}@{host}{tail}"


def resolve_url(db: str | None) -> URL:
    """Turn a path or URL into an SQLAlchemy URL for the pysqlite or psycopg 3 driver."""
    # Imported here: the read-only SQLite path answers without loading SQLAlchemy at all.
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    raw = target(db)
    if "://" not in raw:
        return URL.create("sqlite+pysqlite", database=str(Path(raw).expanduser()))
    try:
        url = make_url(_encode_raw_at(raw))
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
    """A URL fit to print: never the password, in the user part or a query parameter."""
    from sqlalchemy.engine import URL, make_url

    if isinstance(raw, URL):
        return _render_hidden(raw)
    try:
        return _render_hidden(make_url(_encode_raw_at(raw)))
    except Exception:  # not a URL at all: nothing to hide but a user:pass@ pattern
        if "@" in raw and "://" in raw:
            scheme, _, rest = raw.partition("://")
            return f"{scheme}://***@{rest.rpartition('@')[2]}"
        return raw


def _render_hidden(url: URL) -> str:
    hidden = {
        key: ("***" if key.lower() in _SECRET_PARAMETERS else value)
        for key, value in url.query.items()
    }
    # The rendering percent-encodes the stars; a reader should see the familiar mask.
    return url.set(query=hidden).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


#: Query parameters libpq (and drivers) take a secret from.
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
