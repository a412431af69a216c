"""One place that turns failures into one line on stderr and an exit code."""

from __future__ import annotations

import os
import re

from ledger.service import LedgerError

# Up to the LAST `@` of the run: a password may hold a raw `@` of its own.
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)\S*@")
_PASSWORD_PARAMETER = re.compile(r"((?:ssl)?password\s*=\s*)('[^']*'|[^\s&;]+)", re.IGNORECASE)


def scrub(text: str) -> str:
    """Never print a password, whatever the driver put in its message."""
    return _PASSWORD_PARAMETER.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", text))


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
    if "append-only" in lowered or "lies in the future" in lowered:
        return _strip_driver(_first_line(text))
    if "JSONDecode" in type(exc).__name__ or "malformed json" in lowered:
        # Only a row changed outside the ledger holds data that is not JSON.
        return (
            "a stored event holds data that is not valid JSON (the log was changed outside "
            "the ledger): run `ledger verify`, which names the row"
        )
    if "permission denied" in lowered or "insufficientprivilege" in lowered:
        return _missing_right(text)
    if "read-only transaction" in lowered or "during recovery" in lowered:
        return (
            "this database is read-only (a hot standby or a read-only transaction): write to "
            "the primary"
        )
    return None


# What the ledger's app role holds on each table (`ledger init --app-role`): named when the
# database refuses a right, since PostgreSQL's message names the table but not the right.
_RIGHTS = {
    "events": "SELECT and INSERT",
    "evidence": "SELECT and INSERT",
    "alembic_version": "SELECT",
    "ledger_meta": "SELECT",
    "ledger_write_lock": "UPDATE (to take the write lock)",
}
_DENIED = re.compile(r"permission denied for (table|schema|relation|sequence) \"?([\w.]+)")


def _missing_right(text: str) -> str:
    found = _DENIED.search(text)
    if found is None:
        return _strip_driver(_first_line(text)) + (
            ": this role lacks a right the ledger needs; `ledger init --app-role ROLE` "
            "grants exactly those"
        )
    kind, name = found.group(1), found.group(2).rpartition(".")[2]
    if kind == "schema":
        right = "USAGE"
    else:
        right = _RIGHTS.get(name, "SELECT, INSERT, UPDATE and DELETE (a projection table)")
    return (
        f"permission denied for {kind} {name}: this role needs {right} on it; the ledger's "
        "owner grants what the ledger needs with `ledger init --app-role ROLE`"
    )


def _strip_driver(line: str) -> str:
    """`(psycopg.errors.X) message` -> `message`: the driver's class means nothing to users."""
    return re.sub(r"^\([\w.]+\)\s*", "", line)


def show_tracebacks() -> bool:
    return os.environ.get("LEDGER_DEBUG", "") not in ("", "0")
