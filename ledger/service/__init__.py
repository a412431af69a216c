"""The application layer: the only package the CLI and the web view call, and the public API.

    import ledger
    with ledger.open("my.db") as lg:
        answer = lg.show("wagner-pantsir-s1-to-hezbollah", as_of="2023-11-10", certain=True)

`open` returns a `Ledger` whose methods return the JSON-ready values `--format json` prints.
"""

from __future__ import annotations

import importlib
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
from ledger.service.ledger import Answer, Answers, Ledger
from ledger.service.opening import init_ledger, open_ledger, open_reader, opened

# Imported when first asked for (PEP 562): verify's and the import pipeline's modules cost a
# question's process about 100 ms to load, and `claim show` needs neither.
_LAZY = {
    "describe_ledger": "ledger.service.integrity",
    "privilege_warnings": "ledger.service.integrity",
    "verify_ledger": "ledger.service.integrity",
    "MAX_LINE_BYTES": "ledger.service.log",
    "ImportReport": "ledger.service.log",
    "append_line": "ledger.service.log",
    "export_events": "ledger.service.log",
    "import_events": "ledger.service.log",
    "iter_lines": "ledger.service.log",
    "parse_events": "ledger.service.log",
    "seed_files": "ledger.service.log",
    "uuid7": "ledger.service.log",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ledger.service' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
