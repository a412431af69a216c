"""One place that turns failures into one line on stderr and an exit code."""

from __future__ import annotations

import os
import re

from ledger.service import LedgerError

_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def scrub(text: str) -> str:
    """Never print a password, whatever the driver put in its message."""
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


_NOTHING_STORED = (
    "nothing from this command was stored (earlier commits are intact); free some space and "
    "run it again"
)
_DISK_FULL = "the disk is full: " + _NOTHING_STORED
_LOST = (
    "the connection to the database was lost during the command ({detail}); whether its last "
    "write committed is unknown. Re-running an import or append is safe (events are matched "
    "by event_id); for a single claim/sanction/record command, check `ledger log` first"
)
_UNREACHABLE = "cannot reach the database server ({detail}); check --db and that it is running"


def _first_line(text: str) -> str:
    return scrub(text.strip().splitlines()[0]) if text.strip() else ""


def message_for(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for a bug (show a traceback)."""
    if isinstance(exc, LedgerError):
        return str(exc)
    text = str(exc)
    lowered = text.lower()
    if "database or disk is full" in lowered or "no space left on device" in lowered:
        return _DISK_FULL
    if "disk i/o error" in lowered:
        # SQLite says this when it cannot even create its -shm file on a full disk.
        return "disk I/O error on the database file (the disk is full?): " + _NOTHING_STORED
    if "database is locked" in lowered:
        return "the database stayed locked by another writer for too long; try again"
    if "unable to open database file" in lowered:
        return "cannot open the database file: check the path and its directory's permissions"
    if "file is not a database" in lowered:
        return "this file is not an SQLite database: point --db at a ledger file"
    if any(
        marker in lowered
        for marker in (
            "terminating connection",
            "server closed the connection",
            "connection is lost",
            "consuming input failed",
            "the connection is closed",
            "connection already closed",
        )
    ):
        return _LOST.format(detail=_first_line(text))
    if any(
        marker in lowered
        for marker in (
            "invalid port",
            "invalid sslmode",
            "failed to resolve host",
            "could not translate host name",
            "name or service not known",
            "invalid connection option",
            "invalid dsn",
        )
    ) or ("connection" in lowered and ("refused" in lowered or "failed" in lowered)):
        return _UNREACHABLE.format(detail=_first_line(text))
    if "append-only" in lowered:
        return _first_line(text)
    return None


def show_tracebacks() -> bool:
    return os.environ.get("LEDGER_DEBUG", "") not in ("", "0")
