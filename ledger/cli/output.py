"""Rendering: JSON for scripts on stdout, escaped tables for people, messages on stderr."""

from __future__ import annotations

import csv
import io
import re
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
# One search in C instead of a test per character (a table of 10,000 claims has 70,000 cells).
_INVISIBLE_CHAR = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in sorted(_INVISIBLE)) + "]"
)


def escape_text(value: str) -> str:
    """Make every control, bidi and zero-width character visible as \\u{XXXX}."""
    if value.isprintable() and (value.isascii() or _INVISIBLE_CHAR.search(value) is None):
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


def write_json_lines(lines: Sequence[bytes]) -> None:
    """Values already encoded (compact JSON text), one per line, a few thousand per write."""
    out = sys.stdout.buffer
    for start in range(0, len(lines), _LINES_PER_WRITE):
        out.write(b"\n".join(lines[start : start + _LINES_PER_WRITE]) + b"\n")
    sys.stdout.flush()


_LINES_PER_WRITE = 2_000


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


#: The longest text a table cell shows: a quote of megabytes would print as a wall of lines.
MAX_CELL = 300


def shorten(text: str, limit: int = MAX_CELL) -> str:
    """`text` cut to `limit` characters, the cut marked with how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def table_width() -> int | None:
    """`COLUMNS` when set; a terminal's own width; else (piped) no limit but the text's."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return None
    return _PIPED_WIDTH


# Wide enough that a table piped to another program is never wrapped (cells are shortened).
_PIPED_WIDTH = 100_000


def write_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    from rich.console import Console

    from ledger.cli.plain_table import table_text

    shortened = False
    texts = []
    for row in rows:
        cells = []
        for value in row:
            text = cell(value)
            short = shorten(text)
            shortened = shortened or short is not text
            cells.append(short)
        texts.append(cells)
    console = Console(width=table_width(), soft_wrap=False)
    plain = table_text(console, columns, texts, title)
    if plain is None:
        console.print(rich_table(columns, texts, title))
    else:
        sys.stdout.write(plain)
        sys.stdout.flush()
    if shortened:
        info(
            f"text longer than {MAX_CELL} characters was shortened; "
            "--format json (or jsonl) prints it whole"
        )


def rich_table(columns: Sequence[str], texts: Iterable[Sequence[str]], title: str | None) -> Any:
    """The table `write_table` prints, as Rich lays it out (cells already escaped, shortened)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for index, name in enumerate(columns):
        # The first column is the key people scan for (a claim id, a position): never wrapped.
        table.add_column(name, overflow="fold", no_wrap=index == 0)
    for cells in texts:
        table.add_row(*(Text(text) for text in cells))
    return table


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 claim`, `2 claims`."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def info(message: str) -> None:
    """A summary or progress line for people: always stderr, never mixed with data."""
    print(message, file=sys.stderr)


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)
