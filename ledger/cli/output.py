"""Rendering: JSON for scripts on stdout, escaped tables for people, messages on stderr."""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

# Characters that can make news text lie on a terminal: bidi overrides and isolates, marks,
# zero-width characters, and every control character (ANSI escapes start with ESC).
_INVISIBLE = {
    0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF,
}


def escape_text(value: str) -> str:
    """Make every control, bidi and zero-width character visible as \\u{XXXX}."""
    if value.isprintable() and not any(ord(c) in _INVISIBLE for c in value):
        return value
    out = []
    for c in value:
        code = ord(c)
        # Zl/Zp: U+2028 and U+2029 break lines on some terminals as surely as \n does.
        category = unicodedata.category(c)
        if code in _INVISIBLE or category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\u{{{code:04X}}}")
        else:
            out.append(c)
    return "".join(out)


def write_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def write_jsonl(values: Iterable[Any]) -> None:
    out = sys.stdout.buffer
    for value in values:
        out.write(orjson.dumps(value) + b"\n")
    sys.stdout.flush()


def write_structured(fmt: str, value: Any, records: Iterable[Any]) -> bool:
    """Write `value` for `-f json` or `records` (one per line) for `-f jsonl`.

    Returns False for the formats the caller renders itself (table, csv).
    """
    if fmt == "json":
        write_json(value)
        return True
    if fmt == "jsonl":
        write_jsonl(records)
        return True
    return False


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    sys.stdout.write(buffer.getvalue())
    sys.stdout.flush()


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return escape_text(orjson.dumps(value).decode())
    return escape_text(str(value))


def write_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for index, name in enumerate(columns):
        # The first column is the key people scan for (a claim id, a position): never wrapped.
        table.add_column(name, overflow="fold", no_wrap=index == 0)
    for row in rows:
        table.add_row(*(Text(cell(v)) for v in row))
    width = 100 if not sys.stdout.isatty() else None
    Console(width=width, soft_wrap=False).print(table)


def info(message: str) -> None:
    """A summary or progress line for people: always stderr, never mixed with data."""
    print(message, file=sys.stderr)


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)
