"""write_table's plain-text path prints exactly what Rich prints, or leaves the table to Rich."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from ledger.cli.output import rich_table
from ledger.cli.plain_table import table_text

# Letters and spaces, the widths that differ (CJK, emoji, combining marks, zero width), what
# Rich strips or wraps (controls, tabs, newlines), markup and emoji codes, odd whitespace.
_ALPHABET = st.sampled_from(
    list("ab Z9-_.,;()") + ["\u00a0", "\u3000", "中", "文", "😀", "\u0301", "\u200b", "\u200d",
                             "\ufe0f", "❤", "\t", "\n", "\r", "\x1b", "[", "]", ":", "é", "ß"]
)
# Mostly what news text looks like, so that most tables take the plain path.
_BENIGN = st.sampled_from(list("ab Z9-_.,;()[]:") + ["\u00a0", "\u3000", "中", "😀", "\u0301", "é"])
_TEXT = st.one_of(st.text(_ALPHABET, max_size=12), st.text(_BENIGN, max_size=40))


def _rich(columns: list[str], rows: list[list[str]], title: str | None, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, soft_wrap=False).print(rich_table(columns, rows, title))
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            st.lists(st.text(st.sampled_from(list("abc de:")), min_size=1, max_size=8),
                     min_size=n, max_size=n),
            st.lists(st.lists(_TEXT, min_size=n, max_size=n), max_size=5),
        )
    ),
    st.one_of(st.none(), st.just(""), _TEXT),
    st.integers(10, 120),
)
def test_plain_text_is_what_rich_prints(
    table: tuple[list[str], list[list[str]]], title: str | None, width: int
) -> None:
    columns, rows = table
    console = Console(file=io.StringIO(), width=width, soft_wrap=False)
    plain = table_text(console, columns, rows, title)
    if plain is not None:
        assert plain == _rich(columns, rows, title, width)


def test_a_claim_list_table_takes_the_plain_path() -> None:
    columns = ["claim", "status", "claimants", "events"]
    rows = [[f"claim-{i:03d}", "disputed", "Tilyxi (sopabaso ministry); Lomi", str(i)]
            for i in range(50)]
    rows.append(["claim-x", "asserted", "Ærø Ñandú 中文", ""])
    console = Console(file=io.StringIO(), width=100_000, soft_wrap=False)
    plain = table_text(console, columns, rows, "51 claims (as of 2023-09-30T23:59:59.999999Z)")
    assert plain == _rich(columns, rows, "51 claims (as of 2023-09-30T23:59:59.999999Z)", 100_000)


def test_a_terminal_or_a_narrow_console_is_left_to_rich() -> None:
    rows = [["x" * 30, "y"]]
    narrow = Console(file=io.StringIO(), width=20, soft_wrap=False)
    assert table_text(narrow, ["a", "b"], rows, None) is None
    coloured = Console(file=io.StringIO(), width=200, force_terminal=True)
    assert table_text(coloured, ["a", "b"], rows, None) is None
