"""Guard rails for a working analyst: a read creates nothing, a typo starts no claim."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
CLAIM = "al-ahli-israeli-airstrike"
OTHER = "al-ahli-misfired-rocket"


def run(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, env=env)


def ok(*args: str, input: bytes | str | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def refused(*args: str, input: bytes | str | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return result


def made(db: str, claim: str = CLAIM, claimant: str = "Hamas health ministry") -> dict[str, Any]:
    result = ok("claim", "make", claim, "--claimant", claimant, "--statement", f"{claim} s",
                "--occurred-at", "2023-10-17", "--db", db)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def count(db: str) -> int:
    return len(json.loads(ok("log", "-f", "json", "--db", db).stdout))


# -- PostgreSQL from the plain install ---------------------------------------------------------


def test_the_postgresql_driver_is_a_plain_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.replace(" ", "").startswith("psycopg[binary]") for d in project["dependencies"])


# -- a read never creates a database -----------------------------------------------------------

READS = [
    ("claim", "list"),
    ("claim", "show", CLAIM),
    ("claim", "history", CLAIM),
    ("log",),
    ("diff", "--from", "2023", "--to", "head"),
    ("verify",),
    ("info",),
    ("export",),
]


@pytest.mark.parametrize("command", READS, ids=lambda c: " ".join(c[:2]))
def test_a_read_on_a_missing_file_creates_nothing(tmp_path: Path, command: tuple[str, ...]) -> None:
    where = tmp_path / "no-such-dir" / "typo.db"
    result = refused(*command, "--db", str(where))
    assert result.stderr.strip() == (
        f"Error: no ledger at {where}; create one with ledger init --db {where}"
    )
    assert not where.parent.exists()


@pytest.mark.parametrize(
    "command", [("why", CLAIM), ("timeline", CLAIM), ("search", "airstrike"), ("actor", "list")],
    ids=lambda c: c[0],
)
def test_the_other_reads_create_nothing_either(tmp_path: Path, command: tuple[str, ...]) -> None:
    where = tmp_path / "no-such-dir" / "typo.db"
    result = refused(*command, "--db", str(where))
    assert f"no ledger at {where}" in result.stderr
    assert not where.parent.exists()


def test_a_read_on_an_empty_file_leaves_it_empty(tmp_path: Path) -> None:
    where = tmp_path / "empty.db"
    where.touch()
    refused("claim", "list", "--db", str(where))
    assert where.read_bytes() == b""


def test_a_read_on_a_database_without_a_ledger_is_refused(pg_url: str) -> None:
    for command in READS:
        result = refused(*command, "--db", pg_url)
        assert "no ledger at" in result.stderr and "ledger init --db" in result.stderr, command
    from sqlalchemy import create_engine, inspect

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_a_write_still_creates_the_ledger(tmp_path: Path) -> None:
    where = tmp_path / "new" / "ledger.db"
    made(str(where))
    assert where.is_file()
    assert count(str(where)) == 1


# -- a typo never creates a claim --------------------------------------------------------------


SINGLE = [
    ("claim", "deny", "--denier", "IDF", "--occurred-at", "2023-10-17"),
    ("claim", "corroborate", "--corroborator", "AP", "--occurred-at", "2023-10-18"),
    ("claim", "retract", "--retractor", "Hamas health ministry", "--occurred-at", "2023-10-18"),
    ("claim", "resolve", "--outcome", "refuted", "--resolver", "HRW", "--occurred-at", "2023-11"),
    ("claim", "link", "--relation", "contradicts", "--to", OTHER, "--occurred-at", "2023-10-18"),
    ("sanction", "threaten", "--threatened-by", "US", "--target", "x", "--occurred-at", "2023"),
    ("sanction", "impose", "--imposed-by", "US", "--target", "x", "--occurred-at", "2023"),
]


@pytest.mark.parametrize("command", SINGLE, ids=lambda c: " ".join(c[:2]))
def test_a_typo_in_the_claim_id_is_refused_naming_the_closest(
    db_url: str, command: tuple[str, ...]
) -> None:
    made(db_url)
    made(db_url, OTHER)
    group, verb, *options = command
    result = refused(group, verb, "al-ahli-israeli-airstrke", *options, "--db", db_url)
    assert "did you mean al-ahli-israeli-airstrike" in result.stderr
    assert "--new-claim" in result.stderr
    assert count(db_url) == 2
    # --new-claim says the claim starts here.
    ok(group, verb, "al-ahli-israeli-airstrke", *options, "--new-claim", "--db", db_url)
    assert count(db_url) == 3


def test_responds_to_must_name_an_event_of_the_same_claim(db_url: str) -> None:
    first, other = made(db_url), made(db_url, OTHER)
    deny = ("claim", "deny", CLAIM, "--denier", "IDF", "--occurred-at", "2023-10-17")
    missing = refused(*deny, "--responds-to", "0193c4f0-7d3a-7cc1-9f2e-5b8a4e2d1c07", "--db", db_url)
    assert "responds_to" in missing.stderr and "no event" in missing.stderr
    elsewhere = refused(*deny, "--responds-to", other["event_id"], "--db", db_url)
    assert f"belongs to claim '{OTHER}'" in elsewhere.stderr
    ok(*deny, "--responds-to", first["event_id"], "--db", db_url)
    assert count(db_url) == 3


def test_a_link_names_another_existing_claim(db_url: str) -> None:
    made(db_url)
    link = ("claim", "link", CLAIM, "--relation", "contradicts", "--occurred-at", "2023-10-18")
    itself = refused(*link, "--to", CLAIM, "--db", db_url)
    assert "linked to itself" in itself.stderr
    nowhere = refused(*link, "--to", "al-ahli-misfired-rockt", "--db", db_url)
    assert "no claim 'al-ahli-misfired-rockt'" in nowhere.stderr
    assert count(db_url) == 1
    ok(*link, "--to", "al-ahli-misfired-rockt", "--new-claim", "--db", db_url)
    made(db_url, OTHER)
    ok(*link, "--to", OTHER, "--db", db_url)
    # --new-claim never allows a self-link.
    refused(*link, "--to", CLAIM, "--new-claim", "--db", db_url)


def _line(event_id: str, type_: str, claim: str, **data: Any) -> str:
    return json.dumps({"event_id": event_id, "type": type_, "claim_id": claim,
                       "occurred_at": "2023-10-17", "data": data})


IDS = [f"0193c4f0-7d3a-7cc1-9f2e-5b8a4e2d1c{n:02d}" for n in range(20)]


def test_import_applies_the_reference_rules_with_targets_anywhere_in_the_input(
    db_url: str, tmp_path: Path
) -> None:
    # A denial before the assertion it answers, a link before its target claim's first event,
    # and a claim started by a denial (a dataset may do that): all accepted.
    good = "\n".join([
        _line(IDS[0], "ClaimDenied", CLAIM, denier="IDF", responds_to=IDS[1]),
        _line(IDS[1], "ClaimMade", CLAIM, claimant="Hamas", statement="s"),
        _line(IDS[2], "ClaimLinked", CLAIM, relation="contradicts", other_claim_id=OTHER),
        _line(IDS[3], "ClaimDenied", OTHER, denier="Hamas"),
    ]) + "\n"
    path = tmp_path / "good.ndjson"
    path.write_text(good)
    ok("import", str(path), "--db", db_url)
    assert count(db_url) == 4
    bad = {
        "responds_to": _line(IDS[4], "ClaimDenied", OTHER, denier="x", responds_to=IDS[1]),
        "itself": _line(IDS[5], "ClaimLinked", CLAIM, relation="refines", other_claim_id=CLAIM),
        "no claim": _line(IDS[6], "ClaimLinked", CLAIM, relation="refines", other_claim_id="zz"),
        "no event": _line(IDS[7], "ClaimDenied", CLAIM, denier="x", responds_to=IDS[19]),
    }
    for words, line in bad.items():
        path.write_text(_line(IDS[8], "ClaimMade", "fine", claimant="a", statement="b") + "\n"
                        + line + "\n")
        result = refused("import", str(path), "--db", db_url)
        assert "line 2" in result.stderr and words in result.stderr, result.stderr
    assert count(db_url) == 4


# -- warnings ----------------------------------------------------------------------------------


def test_a_retraction_by_a_non_claimant_warns(db_url: str) -> None:
    made(db_url)
    result = ok("claim", "retract", CLAIM, "--retractor", "IDF", "--occurred-at", "2023-10-18",
                "--db", db_url)
    assert "Warning: 'IDF' made no assertion" in result.stderr
    assert "will not change" in result.stderr
    own = ok("claim", "retract", CLAIM, "--retractor", "hamas HEALTH ministry",
             "--occurred-at", "2023-10-19", "--db", db_url)
    assert "Warning" not in own.stderr


def test_a_second_resolution_warns_what_it_changes(db_url: str) -> None:
    made(db_url)
    resolve = ("claim", "resolve", CLAIM, "--resolver", "HRW", "--db", db_url)
    first = ok(*resolve, "--outcome", "refuted", "--occurred-at", "2023-11-26")
    assert "Warning" not in first.stderr
    later = ok(*resolve, "--outcome", "confirmed", "--occurred-at", "2023-12")
    assert "already resolved (refuted by HRW)" in later.stderr and "replaces" in later.stderr
    earlier = ok(*resolve, "--outcome", "refuted", "--occurred-at", "2023-11-01")
    assert "keeps the later one" in earlier.stderr
    shown = json.loads(ok("claim", "show", CLAIM, "-f", "json", "--db", db_url).stdout)
    assert shown["status"] == "confirmed"
