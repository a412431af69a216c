"""Options shared by many commands, declared once."""

from __future__ import annotations

from enum import Enum
from collections.abc import Iterable
from typing import Annotated, Any, Optional

import typer


def choices(name: str, values: Iterable[str]) -> Any:
    """A str Enum for a Typer option, built from one of the domain's tuples of choices."""
    return Enum(name, {v.replace("-", "_"): v for v in values}, type=str)


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


DbOpt = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        help="Database: a file path, sqlite:///file.db or postgresql://host/db. "
        "Default: $LEDGER_DATABASE_URL, else ledger.db in your data directory.",
        envvar="LEDGER_DATABASE_URL",
        show_envvar=True,
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output: table for people, json/jsonl/csv for scripts."),
]


class RecordFormat(str, Enum):
    """The formats of a command that prints one nested object: csv is for flat rows."""

    table = "table"
    json = "json"
    jsonl = "jsonl"


RecordFormatOpt = Annotated[
    RecordFormat,
    typer.Option("--format", "-f", help="Output: table for people, json/jsonl for scripts."),
]
TzOpt = Annotated[
    Optional[str],
    typer.Option(
        "--tz",
        help="Default time zone for dates and offset-less times (IANA name, e.g. Europe/Paris). "
        "Without it, dates are UTC days and a timestamp needs Z or an offset.",
        envvar="LEDGER_TIMEZONE",
        show_envvar=True,
    ),
]
AsOfOpt = Annotated[
    Optional[str],
    typer.Option(
        "--as-of",
        help="World time: what had happened by the END of this period (2023-11-10 includes "
        "all of the 10th).",
    ),
]
KnownAtOpt = Annotated[
    Optional[str],
    typer.Option(
        "--known-at",
        help="Ledger time: what the ledger had recorded by the end of this time, or @N for "
        "the first N positions.",
    ),
]
CertainOpt = Annotated[
    bool,
    typer.Option("--certain", help="Keep only events that had certainly happened by --as-of."),
]
ExpectVersionOpt = Annotated[
    Optional[int],
    typer.Option(
        "--expect-version",
        min=0,
        help="Append only if the claim is at this version (0: a new claim); else a conflict.",
    ),
]
LockTimeoutOpt = Annotated[
    Optional[float],
    typer.Option(
        "--lock-timeout",
        min=0,
        help="Seconds to wait for another writer's lock before giving up (default 30; 0: do "
        "not wait).",
        envvar="LEDGER_LOCK_TIMEOUT",
        show_envvar=True,
    ),
]
LimitOpt = Annotated[
    Optional[int], typer.Option("--limit", min=0, help="At most N results (default: all).")
]
OffsetOpt = Annotated[
    int, typer.Option("--offset", min=0, help="Skip the first N results (paging).")
]
