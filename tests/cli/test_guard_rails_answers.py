"""Guard rails on answers: every format says everything, answers show their references."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_guard_rails import CLAIM, OTHER, made, ok, refused, run

from ledger.service import open_ledger
from ledger.service.questions import list_claims, resolve_basis, show_claim


def _id(result: Any) -> str:
    return str(json.loads(result.stdout)["event_id"])


def corrected_story(db: str) -> dict[str, str]:
    """A claim whose claimant and date are corrected and whose corroboration is voided."""
    made_id = made(db, claimant="John Kirby")["event_id"]
    corroboration = _id(ok("claim", "corroborate", CLAIM, "--corroborator", "AP",
                           "--occurred-at", "2023-10-22", "--db", db))
    ok("record", "correct", made_id, "--set", "claimant=Joe Biden", "--occurred-at", "2023-10-23",
       "--reason", "misattributed", "--db", db)
    ok("record", "void", corroboration, "--reason", "recorded twice", "--db", db)
    return {"made": made_id, "corroboration": corroboration}


def test_diff_csv_and_table_carry_removals_and_corrections(db_url: str) -> None:
    corrected_story(db_url)
    out = ok("diff", "--from", "@2", "--to", "head", "-f", "csv", "--db", db_url).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"actors_removed", "reasons"} <= set(rows[0])
    (row,) = rows
    assert row["actors_removed"] == "John Kirby; AP"
    assert "-corroboration AP" in row["reasons"]
    assert "corrected claimant John Kirby -> Joe Biden" in row["reasons"]
    assert "corrected claimant date 2023-10-17 -> 2023-10-23" in row["reasons"]
    table = ok("diff", "--from", "@2", "--to", "head", "--db", db_url).stdout
    flat = " ".join(table.split())
    assert "John Kirby -> Joe Biden" in flat or "John Kirby ->" in flat
    assert "1 claim changed" in table
    answer = json.loads(ok("diff", "--from", "@2", "--to", "head", "-f", "json",
                           "--db", db_url).stdout)
    (corrected,) = answer["changes"][0]["events_corrected"]
    assert corrected["changes"]["actor"] == {"from": "John Kirby", "to": "Joe Biden"}
    assert corrected["changes"]["occurred_from"]["to"].startswith("2023-10-23")


def test_a_correction_alone_is_a_change(db_url: str) -> None:
    made_id = made(db_url, claimant="John Kirby")["event_id"]
    ok("record", "correct", made_id, "--set", "claimant=Joe Biden", "--reason", "r", "--db", db_url)
    answer = json.loads(ok("diff", "--from", "@1", "--to", "head", "-f", "json",
                           "--db", db_url).stdout)
    assert [r["claim_id"] for r in answer["changes"]] == [CLAIM]


def test_history_matches_errata_to_rows_by_position(db_url: str) -> None:
    corrected_story(db_url)
    rows = json.loads(ok("claim", "history", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert rows[0]["changed_by"] == [3] and rows[1]["changed_by"] == [4]
    assert rows[2]["erratum"]["target_position"] == 1
    assert rows[3]["erratum"]["target_position"] == 2
    table = " ".join(ok("claim", "history", CLAIM, "--db", db_url).stdout.split())
    assert "corrects #1: date 2023-10-17 -> 2023-10-23; claimant John Kirby -> Joe Biden" in table
    assert "voids #2" in table
    assert "[claimant -> Joe Biden at #3]" in table and "[voided at #4]" in table


def test_show_marks_corrected_fields_with_their_old_value(db_url: str) -> None:
    corrected_story(db_url)
    table = " ".join(ok("claim", "show", CLAIM, "--db", db_url).stdout.split())
    assert "[claimant was John Kirby, corrected at #3]" in table
    assert "[date was 2023-10-17, corrected at #3]" in table
    before = " ".join(ok("claim", "show", CLAIM, "--known-at", "@2", "--db", db_url).stdout.split())
    assert "corrected at" not in before


def _linked_story(db: str) -> str:
    made(db)
    made(db, OTHER, claimant="IDF")
    made(db, "third-claim", claimant="AP")
    ok("claim", "link", OTHER, "--relation", "contradicts", "--to", CLAIM,
       "--occurred-at", "2023-10-18", "--db", db)
    link = _id(ok("claim", "link", "third-claim", "--relation", "supports", "--to", CLAIM,
                  "--occurred-at", "2023-10-19", "--db", db))
    ok("claim", "deny", OTHER, "--denier", "Hamas", "--occurred-at", "2023-10-20", "--db", db)
    return link


def test_show_lists_linked_from_with_status_at_the_basis(db_url: str) -> None:
    link = _linked_story(db_url)

    def shown(*basis: str) -> dict[str, Any]:
        out = ok("claim", "show", CLAIM, "-f", "json", *basis, "--db", db_url).stdout
        return json.loads(out)  # type: ignore[no-any-return]

    answer = shown()
    keys = list(answer)
    assert keys[keys.index("links") + 1] == "linked_from"
    assert answer["linked_from"] == [
        {"claim_id": OTHER, "relation": "contradicts", "status": "disputed"},
        {"claim_id": "third-claim", "relation": "supports", "status": "asserted"},
    ]
    assert shown("--as-of", "2023-10-18")["linked_from"] == [
        {"claim_id": OTHER, "relation": "contradicts", "status": "asserted"},
    ]
    ok("record", "correct", link, "--set", f"other_claim_id={OTHER}", "--reason", "r",
       "--db", db_url)
    assert [x["claim_id"] for x in shown()["linked_from"]] == [OTHER]
    assert [x["claim_id"] for x in shown("--known-at", "@6")["linked_from"]] == [OTHER,
                                                                                  "third-claim"]
    table = ok("claim", "show", CLAIM, "--db", db_url).stdout
    assert "Linked from" in table


def test_linked_from_from_snapshots_equals_a_refold(db_url: str) -> None:
    link = _linked_story(db_url)
    ok("record", "void", link, "--reason", "r", "--db", db_url)
    ledger = open_ledger(db_url)
    try:
        assert ledger.snapshots is not None
        for spec in ({}, {"as_of": "2023-10-18"}, {"known_at": "@5"}, {"as_of": "2023-10-19",
                                                                       "certain": True}):
            basis = resolve_basis(ledger.store, **spec)
            from_log = list_claims(ledger.store, basis)
            from_snapshots = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
            assert json.dumps(from_snapshots) == json.dumps(from_log), spec
            for answer in from_log:
                one = show_claim(ledger.store, answer["claim_id"], basis, None, ledger.snapshots)
                assert one == answer
        head = list_claims(ledger.store, resolve_basis(ledger.store))
        linked = {a["claim_id"]: a["linked_from"] for a in head}
        assert linked[CLAIM] == [{"claim_id": OTHER, "relation": "contradicts",
                                  "status": "disputed"}]
    finally:
        ledger.close()


def test_a_command_offers_only_the_formats_it_prints(db_url: str) -> None:
    made(db_url)
    result = run("claim", "show", CLAIM, "-f", "csv", "--db", db_url)
    assert result.exit_code == 2
    assert "csv" not in run("claim", "show", "--help").stdout
    assert "csv" in run("claim", "list", "--help").stdout


def test_tables_shorten_long_text_and_say_how_to_get_it_whole(
    db_url: str, tmp_path: Path
) -> None:
    quote = "x" * 5_000 + " the end"
    path = tmp_path / "quote.txt"
    path.write_text(quote + "\n")
    made_id = _id(ok("claim", "make", CLAIM, "--claimant", "a", "--statement", "s",
                     "--occurred-at", "2023-10-17", "--quote-file", str(path), "--db", db_url))
    table = ok("claim", "show", CLAIM, "--db", db_url)
    assert "the end" not in table.stdout and "more characters" in table.stdout
    assert "--format json" in table.stderr
    shown = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert shown["claimants"][0]["quote"] == quote
    assert shown["claimants"][0]["event_id"] == made_id


def test_text_from_a_file_or_stdin(db_url: str, tmp_path: Path) -> None:
    long = "word " * 60_000  # 300 KB: "Argument list too long" as a shell argument
    statement = tmp_path / "statement.txt"
    statement.write_text("A statement from a file\n")
    ok("claim", "make", CLAIM, "--claimant", "a", "--statement-file", str(statement),
       "--occurred-at", "2023-10-17", "--db", db_url)
    ok("claim", "deny", CLAIM, "--denier", "IDF", "--quote-file", "-", "--occurred-at",
       "2023-10-17", "--db", db_url, input=long)
    shown = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert shown["statement"] == "A statement from a file"
    assert shown["denials"][0]["quote"] == long
    both = refused("claim", "deny", CLAIM, "--denier", "x", "--quote", "q", "--quote-file", "-",
                   "--occurred-at", "2023", "--db", db_url, input="q")
    assert "not both" in both.stderr
    missing = refused("claim", "deny", CLAIM, "--denier", "x", "--quote-file",
                      str(tmp_path / "nope.txt"), "--occurred-at", "2023", "--db", db_url)
    assert "cannot read" in missing.stderr


def test_denials_and_corroborations_can_be_attributed(db_url: str) -> None:
    made(db_url, claimant="Reuters")
    ok("claim", "corroborate", CLAIM, "--corroborator", "TASS", "--attributed-to",
       "Reuters", "--occurred-at", "2023-10-18", "--db", db_url)
    shown = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    (item,) = shown["corroborations"]
    assert item["attributed_to"] == "Reuters" and item["on_record"] is False
    assert item["origin"] == "Reuters"
    # One origin in all: a corroboration attributed to the claimant is not independent.
    assert shown["status"] == "asserted"
    ok("claim", "corroborate", CLAIM, "--corroborator", "AFP", "--occurred-at", "2023-10-19",
       "--db", db_url)
    again = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert again["status"] == "corroborated"
    assert again["corroborations"][1]["on_record"] is True  # the default, as for ClaimMade
    ok("claim", "deny", CLAIM, "--denier", "Kremlin", "--attributed-to", "a Kremlin source",
       "--occurred-at", "2023-10-20", "--db", db_url)
    denied = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert denied["denials"][0]["on_record"] is False
    assert denied["denials"][0]["attributed_to"] == "a Kremlin source"


def test_the_list_table_counts_origins_and_denials(db_url: str) -> None:
    made(db_url, claimant="Reuters")
    for who in ("AP", "AFP", "ap"):
        ok("claim", "corroborate", CLAIM, "--corroborator", who, "--occurred-at", "2023-10-18",
           "--db", db_url)
    ok("claim", "deny", CLAIM, "--denier", "IDF", "--occurred-at", "2023-10-18", "--db", db_url)
    table = ok("claim", "list", "--db", db_url).stdout
    assert "1 claim (" in table
    header = next(line for line in table.splitlines() if "origins" in line)
    row = next(line for line in table.splitlines() if CLAIM in line)
    cells = [c.strip() for c in row.strip("│┃ ").split("│")]
    names = [c.strip() for c in header.strip("│┃ ").split("┃")]
    values = dict(zip(names, cells))
    assert values["origins"] == "3" and values["denials"] == "1"


def test_tables_use_columns_or_their_full_width(db_url: str) -> None:
    made(db_url)
    ok("claim", "deny", CLAIM, "--denier", "IDF", "--statement", "word " * 40,
       "--occurred-at", "2023-10-18", "--db", db_url)
    piped = ok("claim", "show", CLAIM, "--db", db_url).stdout
    assert max(len(line) for line in piped.splitlines()) > 200  # not wrapped at 100
    narrow = run("claim", "show", CLAIM, "--db", db_url, env={"COLUMNS": "70"})
    assert narrow.exit_code == 0
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 70


def test_importing_an_export_warns_that_times_are_restamped(db_url: str, tmp_path: Path) -> None:
    source = str(tmp_path / "source.db")
    made(source)
    exported = tmp_path / "export.ndjson"
    exported.write_bytes(ok("export", "--db", source).stdout_bytes)
    restamped = ok("import", str(exported), "--db", db_url)
    assert "1 lines are full envelopes" in restamped.stderr
    assert "--keep-recorded-at" in restamped.stderr
    kept = ok("import", str(exported), "--keep-recorded-at", "--db", str(tmp_path / "b.db"))
    assert "Warning" not in kept.stderr
    plain = tmp_path / "plain.ndjson"
    plain.write_text(json.dumps({"type": "ClaimMade", "claim_id": "x", "occurred_at": "2023",
                                 "data": {"claimant": "a", "statement": "b"}}) + "\n")
    assert "Warning" not in ok("import", str(plain), "--db", db_url).stderr


def test_version_and_completion() -> None:
    from importlib.metadata import version

    assert ok("--version").stdout.strip() == f"ledger {version('ledger')}"
    assert "--install-completion" in ok("--help").stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_during_an_import_says_nothing_was_written(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    ok("init", "--db", str(db))
    ledger = Path(sys.executable).with_name("ledger")
    child = subprocess.Popen(
        [str(ledger), "import", "-", "--db", str(db)], stdin=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "LEDGER_DEBUG": ""},
    )
    assert child.stdin is not None
    line = json.dumps({"type": "ClaimMade", "claim_id": "x", "occurred_at": "2023",
                       "data": {"claimant": "a", "statement": "b"}}) + "\n"
    child.stdin.write(line.encode() * 3)
    child.stdin.flush()
    time.sleep(1.5)  # let it open the ledger and block reading the rest of its input
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert b"Error: interrupted; nothing partial was stored" in err
    assert b"Traceback" not in err and b"Aborted" not in err
    assert json.loads(ok("log", "-f", "json", "--db", str(db)).stdout) == []
