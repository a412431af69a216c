"""The application layer: the only package the CLI and the web view call, and the public API.

    import ledger
    with ledger.open("my.db") as lg:
        answer = lg.show("wagner-pantsir-s1-to-hezbollah", as_of="2023-11-10", certain=True)

`open` returns a `Ledger` whose methods return the JSON-ready values `--format json` prints.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import (
    ConflictError,
    DuplicateEventError,
    IntegrityError,
    InvalidInput,
    LedgerError,
    NotFoundError,
    SchemaError,
)
from ledger.service.integrity import describe_ledger, privilege_warnings, verify_ledger
from ledger.service.ledger import Answer, Answers, Ledger
from ledger.service.log import (
    MAX_LINE_BYTES,
    ImportReport,
    append_line,
    export_events,
    import_events,
    iter_lines,
    parse_events,
    seed_files,
    uuid7,
)
from ledger.service.opening import init_ledger, open_ledger, open_reader, opened


def open(  # noqa: A001 - `ledger.open` is the documented entry point
    db: str | None = None,
    *,
    read_only: bool = False,
    create: bool = True,
    tz: Any = None,
    lock_timeout: float | None = None,
) -> Ledger:
    """Open the ledger at `db` (a path or URL; None: the default database).

    `read_only` opens an existing SQLite file with the bare driver (fast one-shot questions);
    `create=False` refuses a database that holds no ledger instead of creating one.
    `lock_timeout`: seconds a write waits for another writer's lock (default 30).
    """
    if read_only:
        return open_reader(db, tz=tz)
    return open_ledger(db, create=create, tz=tz, lock_timeout=lock_timeout)


def init(db: str | None = None, *, app_role: str | None = None) -> dict[str, Any]:
    """Create or upgrade the schema; says from which revision to which.

    `app_role` (PostgreSQL): grant that role exactly what appending and asking need, and
    nothing that could change a stored event; `app_role` says what each table got.
    """
    from ledger.service.opening import init_with_app_role

    before, after, url, granted = init_with_app_role(db, app_role)
    return {"database": url, "from_revision": before, "to_revision": after, "app_role": granted}


__all__ = [
    "Answer",
    "Answers",
    "ConflictError",
    "DuplicateEventError",
    "ImportReport",
    "IntegrityError",
    "InvalidInput",
    "Ledger",
    "LedgerError",
    "MAX_LINE_BYTES",
    "NotFoundError",
    "SchemaError",
    "append_line",
    "describe_ledger",
    "export_events",
    "import_events",
    "init",
    "init_ledger",
    "iter_lines",
    "open",
    "open_ledger",
    "open_reader",
    "opened",
    "parse_events",
    "privilege_warnings",
    "seed_files",
    "uuid7",
    "verify_ledger",
]
