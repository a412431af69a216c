"""Hostile strings: stored and exported exactly, shown escaped, matched after NFC + casefold only.

News text carries bidi overrides, terminal escapes, zero-width and combining characters, emoji
and very long quotes. The ledger must keep them exactly (they are evidence), and must never let
them act on the terminal of the person reading a table.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import unicodedata
import uuid
from pathlib import Path

import pytest

from tests.faults._support import (
    LEDGER,
    assert_ok,
    assert_one_error_line,
    clean_env,
    cli_in_process,
    record_figures,
    run_ledger,
)

NS = uuid.UUID("0a7d5c1e-2b3f-4c5d-8e9f-a0b1c2d3e4f5")

HOSTILE = {
    "bidi override": "Kremlin \u202eyas ton did\u202c spokesman \u2066isolate\u2069 \u200f",
    "ANSI escapes": "\x1b[31mRED\x1b[0m \x1b[2J\x1b]0;pwned\x07 \x1b[1A",
    "C0 and C1 controls": "over\rwrite back\x08space del\x7f \x85next \x9bcsi",
    "zero-width": "Pe\u200bs\u200ckov\u200d \u2060joiner \ufeffnbsp",
    "combining": "Cafe\u0301 Z\u0335\u0321a\u0336\u0317l\u0334go\u0489 \u0915\u094d\u0937",
    "emoji": "\U0001f6f0\ufe0f \U0001f469\U0001f3fd\u200d\U0001f680 \U0001f1f7\U0001f1fa \u2764",
    "right-to-left script": "\u0642\u0627\u0644 \u0627\u0644\u0645\u062a\u062d\u062f\u062b",
    "line separators": "para\u2028graph\u2029end",
}
_SPECULATION = "All of these musings are speculation. " * 27_600
ONE_MB_QUOTE = "\u00ab" + _SPECULATION[: 1024 * 1024] + "\u00bb"

# What a table may never contain: C0/C1 controls (but newline), format characters (bidi, ZW).
_FORBIDDEN_CATEGORIES = {"Cc", "Cf"}


def _raw_dangerous(text: str, categories: set[str] = _FORBIDDEN_CATEGORIES) -> list[str]:
    return sorted({
        f"U+{ord(c):04X}" for c in text
        if c != "\n" and unicodedata.category(c) in categories
    })


def _line(i: int, claim: str, type_: str, data: dict[str, object]) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid5(NS, f"{claim}/{i}")),
        "type": type_,
        "claim_id": claim,
        "occurred_at": f"2023-11-{10 + i:02d}",
        "data": data,
        "metadata": {"recorded_by": HOSTILE["ANSI escapes"], "note": HOSTILE["bidi override"]},
    }


def _hostile_lines() -> list[dict[str, object]]:
    lines = []
    for i, (name, value) in enumerate(HOSTILE.items()):
        lines.append(_line(i, "hostile-strings", "ClaimMade", {
            "claimant": value,
            "statement": f"{name}: {value}",
            "attributed_to": value,
            "origin": value,
            "quote": value,
            "source": {"name": value, "url": f"https://example.org/{value}"},
            "tags": [value, name],
        }))
    lines.append(_line(9, "hostile-strings", "ClaimDenied", {
        "denier": HOSTILE["ANSI escapes"], "statement": HOSTILE["bidi override"],
        "quote": HOSTILE["C0 and C1 controls"],
    }))
    lines.append(_line(0, "hostile-long-quote", "ClaimMade", {
        "claimant": "Dmitry Peskov (Kremlin)", "statement": "A very long quote",
        "quote": ONE_MB_QUOTE,
    }))
    return lines


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, object]]]:
    tmp = tmp_path_factory.mktemp("hostile")
    lines = _hostile_lines()
    path = tmp / "hostile.ndjson"
    # ensure_ascii=False: the file holds the raw characters, as news text would.
    path.write_bytes(b"".join(json.dumps(l, ensure_ascii=False).encode() + b"\n" for l in lines))
    db = str(tmp / "hostile.db")
    assert_ok(run_ledger("import", str(path), "--db", db, timeout=120))
    return db, lines


@pytest.mark.timeout(180)
def test_hostile_strings_are_stored_and_exported_exactly(
    hostile_db: tuple[str, list[dict[str, object]]], tmp_path: Path
) -> None:
    db, lines = hostile_db
    exported = assert_ok(run_ledger("export", "--db", db, timeout=120)).stdout
    rows = [json.loads(raw) for raw in exported.splitlines()]
    assert [r["event_id"] for r in rows] == [l["event_id"] for l in lines]
    for row, line in zip(rows, lines):
        # Code point for code point (so UTF-8 byte for byte): data and metadata as given.
        assert row["data"] == line["data"]
        assert row["metadata"] == line["metadata"]
    long_quote = next(r for r in rows if r["claim_id"] == "hostile-long-quote")["data"]["quote"]
    assert long_quote == ONE_MB_QUOTE and len(ONE_MB_QUOTE.encode()) > 1_000_000
    # Non-control characters are written raw, as UTF-8: the bytes of the input are in the export.
    for value in ("\u202e", "\u200b", "\u0301", "\U0001f469\U0001f3fd\u200d\U0001f680",
                  "\u0642\u0627\u0644"):
        assert value.encode() in exported
    # And the export round-trips: import into an empty ledger, export again, same bytes.
    copy = tmp_path / "copy.ndjson"
    copy.write_bytes(exported)
    other = str(tmp_path / "other.db")
    assert_ok(run_ledger("import", str(copy), "--db", other, "--keep-recorded-at", timeout=120))
    assert assert_ok(run_ledger("export", "--db", other, timeout=120)).stdout == exported
    record_figures("hostile strings stored", hostile_tried=len(HOSTILE) + 1, hostile_refused=0)


@pytest.mark.timeout(120)
def test_strings_that_cannot_be_stored_are_refused_naming_line_and_field(tmp_path: Path) -> None:
    """U+0000 and lone surrogates are not storable text (docs/events.md): refused, nothing stored."""
    db = str(tmp_path / "refused.db")
    good = json.dumps(_line(0, "refused-strings", "ClaimMade",
                            {"claimant": "A", "statement": "fine"}), ensure_ascii=False)
    cases = [
        ('"quote": "nul \\u0000 inside"', "data.quote", "U+0000"),
        ('"quote": "lone \\ud800 surrogate"', "data.quote", "surrogate"),
        ('"quote": "reversed \\udc00\\ud800 pair"', "data.quote", "surrogate"),
    ]
    for fragment, field, reason in cases:
        bad = good.replace('"statement": "fine"', '"statement": "fine", ' + fragment)
        result = run_ledger("import", "-", "--db", db, input=good + "\n" + bad + "\n")
        message = assert_one_error_line(result, "line 2", field, reason)
        assert "Traceback" not in message
    # (A NUL cannot reach an option at all: argv strings end at NUL.)
    assert assert_ok(run_ledger("export", "--db", db)).stdout == b""
    record_figures("hostile strings refused", hostile_tried=3, hostile_refused=3)


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "args",
    [
        ("claim", "show", "hostile-strings"),
        ("claim", "list"),
        ("claim", "history", "hostile-strings"),
        ("log",),
        ("info",),
    ],
    ids=lambda a: " ".join(a),
)
def test_tables_show_hostile_strings_escaped(
    args: tuple[str, ...], hostile_db: tuple[str, list[dict[str, object]]]
) -> None:
    db, _ = hostile_db
    result = assert_ok(run_ledger(*args, "--db", db, timeout=120))
    shown = result.stdout.decode("utf-8")
    assert _raw_dangerous(shown) == [], shown[:3000]
    assert "\x1b" not in shown and "\u202e" not in shown
    if args[:2] == ("claim", "show"):
        # The escapes are visible, so a reader can tell something was there.
        for mark in ("\\u{202E}", "\\u{001B}", "\\u{200B}", "\\u{000D}"):
            assert mark in shown, mark
        assert "\U0001f6f0" in shown and "\u0642\u0627\u0644" in shown  # printable: kept


@pytest.mark.timeout(120)
def test_tables_escape_line_and_paragraph_separators(
    hostile_db: tuple[str, list[dict[str, object]]]
) -> None:
    db, _ = hostile_db
    shown = assert_ok(run_ledger("claim", "show", "hostile-strings", "--db", db)).stdout.decode()
    assert _raw_dangerous(shown, {"Zl", "Zp"}) == []


def _on_a_terminal(*args: str) -> bytes:
    """Run the program with stdout and stderr on a pseudo-terminal; what the terminal receives."""
    master, slave = pty.openpty()
    env = clean_env(COLUMNS="120", TERM="xterm-256color")
    proc = subprocess.Popen([*LEDGER, *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    return out


@pytest.mark.timeout(120)
def test_a_table_on_a_real_terminal_carries_no_hostile_escape(
    hostile_db: tuple[str, list[dict[str, object]]]
) -> None:
    db, _ = hostile_db
    seen = _on_a_terminal("claim", "show", "hostile-strings", "--db", db).decode("utf-8", "replace")
    # Rich styles the table with its own SGR sequences on a terminal; the hostile ones
    # (clear screen, OSC title, cursor up) and the bidi override must not get through.
    for sequence in ("\x1b[2J", "\x1b]0;pwned", "\x1b[1A", "\x1b[31mRED", "\u202e", "\x9b"):
        assert sequence not in seen, repr(sequence)
    assert "\\u{202E}" in seen


@pytest.mark.timeout(120)
def test_an_error_quoting_a_hostile_value_is_escaped_on_a_terminal(tmp_path: Path) -> None:
    db = str(tmp_path / "err.db")
    seen = _on_a_terminal(
        "claim", "make", "x", "--claimant", "a", "--statement", "b",
        "--occurred-at", "2023\x1b[2J\u202e", "--db", db,
    ).decode("utf-8", "replace")
    assert "Error: " in seen
    assert "\x1b[2J" not in seen and "\u202e" not in seen, repr(seen)


@pytest.mark.timeout(180)
def test_actor_matching_is_nfc_and_casefold_only(tmp_path: Path) -> None:
    db = str(tmp_path / "actors.db")
    claims = {
        "precomposed": "Caf\u00e9 de Flore",  # é as one code point
        "decomposed": "Cafe\u0301 Noir",  # e + combining acute
        "ansi-actor": HOSTILE["ANSI escapes"],
        "bidi-actor": HOSTILE["bidi override"],
        "sharp-s": "Stra\u00dfe Reporter",
    }
    lines = [
        json.dumps({"event_id": str(uuid.uuid5(NS, f"actor/{name}")), "type": "ClaimMade",
                    "claim_id": f"actor-{name}", "occurred_at": "2023-11-21",
                    "data": {"claimant": actor, "statement": f"by {name}"}})
        for name, actor in claims.items()
    ]
    assert_ok(run_ledger("import", "-", "--db", db, input="\n".join(lines) + "\n"))

    def matched(actor: str) -> list[str]:
        result = assert_ok(
            cli_in_process("claim", "list", "--actor", actor, "-f", "json", "--db", db)
        )
        return [a["claim_id"] for a in json.loads(result.stdout)]

    expectations = {
        "CAFE\u0301 DE FLORE": ["actor-precomposed"],  # NFC, then casefold
        "caf\u00e9 noir": ["actor-decomposed"],  # the stored decomposed form matches too
        "STRASSE REPORTER": ["actor-sharp-s"],  # casefold, not lower: ß == ss
        HOSTILE["ANSI escapes"]: ["actor-ansi-actor"],  # exactly, control characters and all
        # Not matched: no accent folding, no NFKC, no stripping of invisible characters.
        "cafe de flore": [],
        "Ca\u200bf\u00e9 de Flore": [],
        "\uff23\uff41\uff46\u00e9 de Flore": [],  # fullwidth letters (NFKC would fold them)
        "Caf": [],  # no substring matching
    }
    for actor, expected in expectations.items():
        assert matched(actor) == expected, repr(actor)
    # And once through the real program, for the argument's trip through argv.
    real = assert_ok(run_ledger("claim", "list", "--actor", "CAFE\u0301 DE FLORE", "-f", "json",
                                "--db", db))
    assert [a["claim_id"] for a in json.loads(real.stdout)] == ["actor-precomposed"]
    record_figures("actor matching", actor_queries=len(expectations))
