"""One place that turns failures into one line on stderr and an exit code."""

from __future__ import annotations

import os
import re

from ledger.domain.errors import LedgerError

_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def scrub(text: str) -> str:
    """Never print a password, whatever the driver put in its message."""
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


def message_for(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for a bug (show a traceback)."""
    if isinstance(exc, LedgerError):
        return str(exc)
    text = str(exc)
    lowered = text.lower()
    if "database or disk is full" in lowered or "no space left on device" in lowered:
        return (
            "the disk is full: nothing from this command was stored (earlier commits are intact); "
            "free some space and run it again"
        )
    if "database is locked" in lowered:
        return "the database stayed locked by another writer for too long; try again"
    if "unable to open database file" in lowered:
        return "cannot open the database file: check the path and its directory's permissions"
    if "file is not a database" in lowered:
        return "this file is not an SQLite database: point --db at a ledger file"
    if "connection" in lowered and ("refused" in lowered or "failed" in lowered):
        first = scrub(text.strip().splitlines()[0]) if text.strip() else ""
        return f"cannot reach the database server ({first}); is it running?"
    if "append-only" in lowered:
        return scrub(text.strip().splitlines()[0])
    return None


def show_tracebacks() -> bool:
    return os.environ.get("LEDGER_DEBUG", "") not in ("", "0")
