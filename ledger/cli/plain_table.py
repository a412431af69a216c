"""The exact text Rich prints for `output.write_table`'s tables, when no cell has to wrap.

Rich lays out every cell as a renderable (measured, wrapped, justified, padded, cut into
segments, then joined): a claim list of 10,000 rows took 7 to 15 s there. When the output is
plain text (not a terminal, no colour, UTF-8) and the whole table fits the console's width, each
column is as wide as its widest cell and every cell is one line, so the same characters are
string padding. Anything this does not know to be that case returns None, and Rich prints the
table as before; tests/cli/test_plain_table.py compares the two on generated tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.cells import cell_len

# What Rich measures or strips in ways plain padding would not reproduce: control characters
# (Text strips some), and the joiner and emoji selector that make widths depend on neighbours.
_UNPLAIN = re.compile("[\x00-\x1f\x7f\u200d\ufe0f]")


def table_text(
    console: Any, columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None
) -> str | None:
    """What `console.print(table)` would write for write_table's table, or None (use Rich)."""
    if (
        console.is_terminal
        or console.color_system is not None
        or console.legacy_windows
        or console.is_jupyter
        or not console.encoding.startswith("utf")
    ):
        return None
    headers = [console.render_str(name).plain for name in columns]
    count = len(headers)
    if any(len(row) != count for row in rows):
        return None
    # Column by column, so that the usual column (printable ASCII: as many cells as
    # characters) is measured and padded by str methods rather than per cell.
    columns_text = [[header, *texts] for header, texts in zip(headers, zip(*rows))] or [
        [header] for header in headers
    ]
    measured: list[list[int] | None] = []  # None: width is length
    widths = []
    for texts in columns_text:
        joined = "".join(texts)
        if joined.isascii() and joined.isprintable():
            measured.append(None)
            widths.append(max(map(len, texts)))
            continue
        cells = [_width(text) for text in texts]
        if None in cells:
            return None
        width = max(cells)  # type: ignore[type-var]
        # Rich strips trailing whitespace from a text longer (in characters) than its column
        # is wide (in cells), then pads with spaces: not always the same characters.
        if any(len(text) > width and text[-1:].isspace() for text in texts):
            return None
        measured.append(cells)  # type: ignore[arg-type]
        widths.append(width)
    padded = [w + 2 for w in widths]  # one space either side (Rich's padding (0, 1))
    table_width = sum(padded) + count + 1
    if table_width > console.width:
        return None
    lines = []
    if title:
        heading = console.render_str(title, style="table.title", highlight=False).plain
        if _width(heading) is None:
            return None
        heading = heading.rstrip()  # what Rich's centring does first
        width = cell_len(heading)
        if width > table_width:
            return None
        left = (table_width - width) // 2
        lines.append(" " * left + heading + " " * (table_width - width - left))
    shown = [
        [f" {text.ljust(width)} " for text in texts] if cells is None
        else [f" {text}{' ' * (width - used)} " for text, used in zip(texts, cells)]
        for texts, cells, width in zip(columns_text, measured, widths)
    ]
    frame = box.HEAVY_HEAD
    lines.append(frame.get_top(padded))
    by_row = list(zip(*shown))
    lines.append(frame.head_left + frame.head_vertical.join(by_row[0]) + frame.head_right)
    lines.append(frame.get_row(padded, "head", edge=True))
    body = by_row[1:]
    if body:
        middle = frame.mid_vertical
        lines.extend(frame.mid_left + middle.join(cells) + frame.mid_right for cells in body[:-1])
        lines.append(frame.foot_left + frame.foot_vertical.join(body[-1]) + frame.foot_right)
    lines.append(frame.get_bottom(padded))
    lines.append("")
    return "\n".join(lines)


def _width(text: str) -> int | None:
    """The text's width in cells, or None when plain padding might not print it as Rich does."""
    if text.isascii() and text.isprintable():
        return len(text)
    if "\n" in text or _UNPLAIN.search(text):
        return None
    return cell_len(text)
