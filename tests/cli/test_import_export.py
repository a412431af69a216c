"""Import, export and the refusals of docs/events.md, through the CLI, leaving the log unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

runner = CliRunner()

GOOD = {
    "event_id": "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d",
    "type": "ClaimMade",
    "claim_id": "wagner-pantsir-s1-to-hezbollah",
    "occurred_at": "2023-11-02",
    "data": {"claimant": "Wall Street Journal", "statement": "Wagner plans a transfer"},
    "metadata": {"recorded_by": "analyst-1"},
}


def run(*args: str, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def export(db: str) -> bytes:
    result = run("export", "--db", db)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def write(tmp_path: Path, text: str | bytes, name: str = "in.ndjson") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def line(**changes: Any) -> str:
    obj = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if key.startswith("data_"):
            obj["data"][key[5:]] = value
        elif value is _DROP:
            obj.pop(key)
        else:
            obj[key] = value
    return json.dumps(obj)


_DROP = object()


@pytest.fixture
def ledger_db(db_url: str, tmp_path: Path) -> str:
    other = dict(GOOD, event_id="0193c4f0-7c2a-7b3e-9a1d-000000000001", claim_id="other-claim")
    result = run("import", write(tmp_path, json.dumps(GOOD) + "\n" + json.dumps(other) + "\n",
                                 "base.ndjson"), "--db", db_url)
    assert result.exit_code == 0, result.output
    return db_url


REFUSALS = [
    ("unknown type", line(type="ClaimWhispered"), "type"),
    ("missing required field", json.dumps({**GOOD, "data": {"claimant": "X"}}), "data.statement"),
    ("unknown field", line(colour="blue"), "colour"),
    ("unknown data field", line(data_mood="grim"), "data.mood"),
    ("wrong JSON type", line(data_on_record="yes"), "data.on_record"),
    ("claim id not a slug", line(claim_id="Wagner Pantsir!"), "claim_id"),
    ("time does not parse", line(occurred_at="2023-02-30"), "occurred_at"),
    ("reversed interval", line(occurred_at="2023-11-20/2023-11-02"), "occurred_at"),
    ("naive timestamp", line(occurred_at="2023-11-21T15:30"), "occurred_at"),
    ("NUL in a string", line(data_statement="a\u0000b"), "data.statement"),
    ("lone surrogate", line(data_statement="x").replace('"x"', '"\\ud800"'), "data.statement"),
    ("duplicate key", line().replace('"type": "ClaimMade"', '"type": "ClaimMade", "type": "ClaimDenied"'), "type"),
    ("NaN", line().replace('"metadata": {', '"metadata": {"score": NaN, '), "NaN"),
    ("overflow to infinity", line().replace('"metadata": {', '"metadata": {"score": 1e400, '), "metadata.score"),
    ("integer beyond 2^53", line().replace('"metadata": {', '"metadata": {"n": 9007199254740993, '), "metadata.n"),
    ("not an object", "[1, 2, 3]", "object"),
    ("two objects on a line", line() + " " + line(), "more than one"),
    ("missing occurred_at", line(occurred_at=_DROP), "occurred_at"),
    ("erratum target missing",
     json.dumps({"type": "RecordVoided", "claim_id": GOOD["claim_id"],
                 "data": {"target_event_id": "0193c4f0-7c2a-7b3e-9a1d-ffffffffffff", "reason": "r"}}),
     "target_event_id"),
    ("erratum target in another claim",
     json.dumps({"type": "RecordVoided", "claim_id": "other-claim",
                 "data": {"target_event_id": GOOD["event_id"], "reason": "r"}}),
     "claim"),
    ("erratum changes an unknown field",
     json.dumps({"type": "RecordCorrected",
                 "data": {"target_event_id": GOOD["event_id"], "changes": {"denier": "X"},
                          "reason": "r"}}),
     "denier"),
    ("erratum removes a required field",
     json.dumps({"type": "RecordCorrected",
                 "data": {"target_event_id": GOOD["event_id"], "changes": {"claimant": None},
                          "reason": "r"}}),
     "claimant"),
    ("erratum with occurred_at",
     json.dumps({"type": "RecordVoided", "occurred_at": "2023-11-02",
                 "data": {"target_event_id": GOOD["event_id"], "reason": "r"}}),
     "occurred_at"),
    ("same id, other content", line(occurred_at="2023-11-05"), "event_id"),
]


@pytest.mark.parametrize(("case", "text", "names"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_line_and_field_and_leaves_the_log_unchanged(
    ledger_db: str, tmp_path: Path, case: str, text: str, names: str
) -> None:
    before = export(ledger_db)
    good_first = json.dumps(dict(GOOD, event_id="0193c4f0-7c2a-7b3e-9a1d-000000000002"))
    result = run("import", write(tmp_path, good_first + "\n" + text + "\n"), "--db", ledger_db)
    assert result.exit_code == 1, (case, result.output)
    message = result.stderr.strip()
    assert message.startswith("Error: ") and len(message.splitlines()) == 1, message
    assert "line 2" in message, message
    assert names in message, message
    assert "Traceback" not in result.output
    assert export(ledger_db) == before


def test_import_twice_equals_import_once(ledger_db: str, tmp_path: Path) -> None:
    text = "\n".join(
        json.dumps(dict(GOOD, event_id=None, claim_id=f"claim-{i}")).replace('"event_id": null, ', "")
        for i in range(5)
    )
    path = write(tmp_path, text + "\n")
    first = run("import", path, "--db", ledger_db)
    assert first.exit_code == 0 and "5 added" in first.stderr
    after_once = export(ledger_db)
    second = run("import", path, "--db", ledger_db)
    assert second.exit_code == 0 and "0 added" in second.stderr and "5 skipped" in second.stderr
    assert export(ledger_db) == after_once


def test_dry_run_validates_and_writes_nothing(ledger_db: str, tmp_path: Path) -> None:
    before = export(ledger_db)
    other = dict(GOOD, event_id="0193c4f0-7c2a-7b3e-9a1d-000000000009")
    result = run("import", "--dry-run", write(tmp_path, json.dumps(other) + "\n"), "--db", ledger_db)
    assert result.exit_code == 0 and "would add 1" in result.stderr
    assert export(ledger_db) == before


def test_stdin_and_files_behave_the_same(ledger_db: str, tmp_path: Path) -> None:
    bad = line(claim_id="Not A Slug")
    from_file = run("import", write(tmp_path, bad + "\n"), "--db", ledger_db)
    from_stdin = run("import", "-", "--db", ledger_db, input=bad + "\n")
    assert from_file.exit_code == from_stdin.exit_code == 1
    assert from_file.stderr == from_stdin.stderr


def test_export_is_byte_stable_and_carries_the_full_envelope(ledger_db: str) -> None:
    first, second = export(ledger_db), export(ledger_db)
    assert first == second
    keys = list(json.loads(first.splitlines()[0]))
    assert keys == [
        "event_id", "type", "claim_id", "version", "position", "schema_version",
        "occurred_from", "occurred_to", "recorded_at", "data", "metadata", "salt",
        "prev_hash", "hash",
    ]


def _verify_digest(db: str) -> str:
    result = run("verify", "--db", db)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_round_trip_sqlite_postgres_sqlite_is_byte_identical(tmp_path: Path, pg_url: str) -> None:
    first = str(tmp_path / "first.db")
    assert run("seed", "--db", first).exit_code == 0
    erratum = json.dumps({"type": "RecordCorrected", "data": {
        "target_event_id": "c68f02f5-f290-5aa7-8d5a-8cb6b3155b20",
        "changes": {"occurred_at": "2023-11-03"}, "reason": "date of the print edition"}})
    assert run("append", "-", "--db", first, input=erratum + "\n").exit_code == 0
    original = export(first)
    dump = write(tmp_path, original, "dump.ndjson")
    assert run("import", dump, "--db", pg_url, "--keep-recorded-at").exit_code == 0
    via_pg = export(pg_url)
    assert via_pg == original
    back = str(tmp_path / "back.db")
    assert run("import", write(tmp_path, via_pg, "pg.ndjson"), "--db", back,
               "--keep-recorded-at").exit_code == 0
    assert export(back) == original
    assert _verify_digest(first) == _verify_digest(pg_url) == _verify_digest(back)


def test_import_without_keep_recorded_at_restamps_but_keeps_ids_and_salts(
    tmp_path: Path, sqlite_url: str
) -> None:
    assert run("seed", "--db", sqlite_url).exit_code == 0
    original = [json.loads(x) for x in export(sqlite_url).splitlines()]
    other = str(tmp_path / "other.db")
    dump = write(tmp_path, export(sqlite_url), "dump.ndjson")
    assert run("import", dump, "--db", other).exit_code == 0
    copied = [json.loads(x) for x in export(other).splitlines()]
    assert [(c["event_id"], c["salt"], c["data"]) for c in copied] == [
        (o["event_id"], o["salt"], o["data"]) for o in original
    ]
