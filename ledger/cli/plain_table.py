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
    widths = []
    for text in headers:
        width = _width(text)
        if width is None:
            return None
        widths.append(width)
    cells: list[list[tuple[str, int]]] = []
    stripped: list[tuple[int, str]] = []
    for row in rows:
        if len(row) != count:
            return None
        measured = []
        for index, text in enumerate(row):
            width = _width(text)
            if width is None:
                return None
            measured.append((text, width))
            if width > widths[index]:
                widths[index] = width
            if len(text) > width and text[-1:].isspace():
                stripped.append((index, text))
        cells.append(measured)
    # Rich strips trailing whitespace from a text longer (in characters) than its column is
    # wide (in cells), then pads with spaces: not always the same characters.
    if any(len(text) > widths[index] for index, text in stripped):
        return None
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
    frame = box.HEAVY_HEAD
    lines.append(frame.get_top(padded))
    lines.append(_row(frame.head_left, frame.head_vertical, frame.head_right, headers, widths,
                      [_width(h) or 0 for h in headers]))
    lines.append(frame.get_row(padded, "head", edge=True))
    last = len(cells) - 1
    for number, measured in enumerate(cells):
        if number == last:
            left_edge, divider, right_edge = frame.foot_left, frame.foot_vertical, frame.foot_right
        else:
            left_edge, divider, right_edge = frame.mid_left, frame.mid_vertical, frame.mid_right
        lines.append(_row(left_edge, divider, right_edge, [t for t, _ in measured], widths,
                          [w for _, w in measured]))
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


def _row(
    left: str, divider: str, right: str, texts: Sequence[str], widths: Sequence[int],
    measured: Sequence[int],
) -> str:
    parts = [
        " " + text + " " * (width - used + 1) for text, width, used in zip(texts, widths, measured)
    ]
    return left + divider.join(parts) + right
