"""`ledger evidence add|get|list`, `--source-archive`, and copies through export, import and
verify, on the command line against SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ledger.cli.app import app
from ledger.store.sql.engine import make_engine
from ledger.store.sql.urls import resolve_url

PAGE = b"<html><p>Wagner is preparing to supply a Pantsir-S1.</p></html>\n"
DIGEST = hashlib.sha256(PAGE).hexdigest()


@pytest.fixture(autouse=True)
def _witness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_WITNESS", str(tmp_path / "witness.json"))


def run(*args: str, input: bytes | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), input=input)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, input: bytes | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "wsj-2023-11-02.html"
    path.write_bytes(PAGE)
    return path


def make_claim(db: str, page: Path, claim: str = "wagner-pantsir-s1") -> dict[str, Any]:
    result = ok("claim", "make", claim, "--claimant", "Wall Street Journal", "--statement",
                "Wagner plans a transfer", "--occurred-at", "2023-11-02", "--source", "WSJ",
                "--source-url", "https://wsj.example/a", "--source-archive", str(page),
                "--db", db)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_add_prints_the_digest_and_is_idempotent(db_url: str, page: Path) -> None:
    first = ok("evidence", "add", str(page), "--db", db_url)
    assert first.stdout == f"{DIGEST}\n"
    assert "stored" in first.stderr and "text/html" in first.stderr
    again = ok("evidence", "add", "-", "--media-type", "text/plain", "--db", db_url, input=PAGE)
    assert again.stdout == f"{DIGEST}\n" and "already stored" in again.stderr
    listed = json.loads(ok("evidence", "list", "-f", "json", "--db", db_url).stdout)
    assert [(c["sha256"], c["media_type"], c["size"]) for c in listed] == [
        (DIGEST, "text/html", len(PAGE))
    ]
    assert DIGEST in ok("evidence", "list", "--db", db_url).stdout


def test_get_writes_the_bytes_and_refuses_an_unknown_digest(db_url: str, page: Path) -> None:
    ok("evidence", "add", str(page), "--db", db_url)
    assert ok("evidence", "get", DIGEST, "--db", db_url).stdout_bytes == PAGE
    missing = run("evidence", "get", "0" * 64, "--db", db_url)
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no archived copy")
    malformed = run("evidence", "get", "xyz", "--db", db_url)
    assert malformed.exit_code == 1 and "not a sha256" in malformed.stderr


def test_source_archive_stores_the_copy_and_names_it(db_url: str, page: Path) -> None:
    stored = make_claim(db_url, page)
    assert stored["data"]["source"] == {"name": "WSJ", "url": "https://wsj.example/a",
                                        "archive": DIGEST}
    assert ok("evidence", "get", DIGEST, "--db", db_url).stdout_bytes == PAGE
    ok("sanction", "threaten", "wagner-pantsir-s1", "--threatened-by", "US Treasury",
       "--target", "Wagner", "--occurred-at", "2023-11-03", "--source", "Reuters",
       "--source-archive", str(page), "--db", db_url)
    shown = json.loads(ok("claim", "show", "wagner-pantsir-s1", "-f", "json", "--db",
                          db_url).stdout)
    assert shown["claimants"][0]["source"]["archive"] == DIGEST
    table = ok("claim", "show", "wagner-pantsir-s1", "--db", db_url).stdout
    assert f"[archived {DIGEST[:12]}" in table and "text/html" in table
    assert f"{len(PAGE)} B" in table
    history = ok("claim", "history", "wagner-pantsir-s1", "--db", db_url).stdout
    assert history.count(f"archived {DIGEST[:12]}") == 2


def test_source_archive_needs_a_source_and_a_readable_file(db_url: str, tmp_path: Path) -> None:
    args = ("claim", "make", "c1", "--claimant", "WSJ", "--statement", "S", "--occurred-at",
            "2023", "--db", db_url)
    alone = run(*args, "--source-archive", str(tmp_path / "x.html"))
    assert alone.exit_code == 1 and "need --source NAME" in alone.stderr
    unreadable = run(*args, "--source", "WSJ", "--source-archive", str(tmp_path / "nope.html"))
    assert unreadable.exit_code == 1 and unreadable.stderr.startswith("Error: cannot read")
    assert json.loads(ok("log", "-f", "json", "--db", db_url).stdout) == []


def test_an_event_naming_an_unstored_copy_is_refused(db_url: str, tmp_path: Path) -> None:
    line = {"type": "ClaimMade", "claim_id": "c1", "occurred_at": "2023",
            "data": {"claimant": "WSJ", "statement": "S",
                     "source": {"name": "WSJ", "archive": DIGEST}}}
    path = tmp_path / "in.ndjson"
    path.write_text(json.dumps(line) + "\n")
    refused = run("import", str(path), "--db", db_url)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: line 1, field 'data.source.archive': no archived")
    assert DIGEST in refused.stderr


def test_export_with_evidence_imports_into_an_empty_ledger_with_the_same_head(
    db_url: str, page: Path, tmp_path: Path
) -> None:
    make_claim(db_url, page)
    dump = ok("export", "--with-evidence", "--db", db_url).stdout_bytes
    assert dump.startswith(b'{"evidence":"' + DIGEST.encode())
    other = str(tmp_path / "copy.db")
    imported = ok("import", "-", "--keep-recorded-at", "--db", other, input=dump)
    assert "1 archived copies read, 1 new" in imported.stderr
    assert ok("verify", "--db", other).stdout == ok("verify", "--db", db_url).stdout
    assert ok("evidence", "get", DIGEST, "--db", other).stdout_bytes == PAGE
    plain = ok("export", "--db", db_url).stdout_bytes
    assert b'"evidence":"' not in plain.split(b"\n")[0]


def test_verify_names_a_changed_copy(db_url: str, page: Path) -> None:
    make_claim(db_url, page)
    assert "1 archived copies re-hashed" in ok("verify", "--db", db_url).stderr
    engine = make_engine(resolve_url(db_url))
    try:
        with engine.begin() as conn:
            update = "UPDATE evidence SET bytes = :b"
            with pytest.raises(Exception, match="append-only"), conn.begin_nested():
                conn.execute(text(update), {"b": b"forged"})
            if engine.dialect.name == "sqlite":  # drop the trigger, change, put it back
                trigger = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = "
                                            "'evidence_refuse_update'")).scalar_one()
                conn.execute(text("DROP TRIGGER evidence_refuse_update"))
                conn.execute(text(update), {"b": PAGE.replace(b"Pantsir", b"Panzer!")})
                conn.execute(text(trigger))
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text(update), {"b": PAGE.replace(b"Pantsir", b"Panzer!")})
    finally:
        engine.dispose()
    broken = run("verify", "--db", db_url)
    assert broken.exit_code == 1 and broken.stdout == ""
    errors = [line for line in broken.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and f"evidence {DIGEST}: the stored copy changed" in errors[0]
