"""Actors through the CLI on both engines: the seed's "Sergei Choigou" is Sergei Shoigu."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

runner = CliRunner()
CLAIM = "shoigu-tehran-remarks"
SEED_SHOIGU = "shoigu-official-visit-to-iran-2023-09"


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "-f", "json").stdout)


def head(db: str) -> int:
    return int(as_json("log", "--db", db)[-1]["position"])


@pytest.fixture
def seeded(db_url: str) -> str:
    """The seed, plus one claim where Reuters' "Sergei Shoigu" is corroborated by AFP's copy."""
    ok("seed", "--db", db_url)
    ok("claim", "make", CLAIM, "--claimant", "Sergei Shoigu", "--occurred-at", "2023-09-19",
       "--statement", "Russia and Iran will take military cooperation further", "--db", db_url)
    ok("claim", "corroborate", CLAIM, "--corroborator", "Sergei Choigou",
       "--occurred-at", "2023-09-20", "--db", db_url)
    return db_url


def register_shoigu(db: str) -> tuple[int, int]:
    """Register Shoigu, then AFP's spelling as his alias; their positions."""
    added = json.loads(ok("actor", "add", "sergei-shoigu", "--name", "Sergei Shoigu",
                          "--kind", "person", "--wikidata", "Q193471", "--db", db).stdout)
    aliased = json.loads(ok("actor", "alias", "sergei-shoigu", "Sergei Choigou",
                            "--note", "AFP's French spelling", "--db", db).stdout)
    assert added["claim_id"] == "actor:sergei-shoigu" and added["type"] == "ActorRegistered"
    return added["position"], aliased["position"]


def status(db: str, *basis: str) -> str:
    return str(as_json("claim", "show", CLAIM, "--db", db, *basis)["status"])


def test_two_spellings_are_one_origin_from_the_alias_on_and_never_before(seeded: str) -> None:
    assert status(seeded) == "corroborated"  # two "origins": Shoigu and Choigou
    registered, aliased = register_shoigu(seeded)
    assert status(seeded) == "asserted"
    assert status(seeded, "--known-at", f"@{aliased - 1}") == "corroborated"
    assert status(seeded, "--known-at", f"@{registered - 1}") == "corroborated"
    # World time does not undo an alias: it is a fact about the record, not about the world.
    assert status(seeded, "--as-of", "2023-09-30") == "asserted"


def test_items_gain_actor_ids_and_keep_the_names_as_written(seeded: str) -> None:
    _, aliased = register_shoigu(seeded)
    answer = as_json("claim", "show", CLAIM, "--db", seeded)
    (claimant,) = answer["claimants"]
    (corroboration,) = answer["corroborations"]
    assert (claimant["actor"], claimant["actor_id"]) == ("Sergei Shoigu", "sergei-shoigu")
    assert (corroboration["actor"], corroboration["actor_id"]) == ("Sergei Choigou", "sergei-shoigu")
    before = as_json("claim", "show", CLAIM, "--db", seeded, "--known-at", f"@{aliased - 1}")
    assert before["corroborations"][0]["actor_id"] is None
    assert before["claimants"][0]["actor_id"] == "sergei-shoigu"
    # An unregistered actor's items carry null, in the seed's own claims too.
    seed = as_json("claim", "show", SEED_SHOIGU, "--db", seeded)
    assert seed["claimants"][0]["actor"] == "AFP" and seed["claimants"][0]["actor_id"] is None


def test_claim_list_actor_matches_any_name_alias_or_id(seeded: str) -> None:
    other = "choigou-in-moscow"
    ok("claim", "make", other, "--claimant", "Sergei Choigou", "--occurred-at", "2023-10",
       "--statement", "Shoigu was in Moscow", "--db", seeded)
    _, aliased = register_shoigu(seeded)
    for wanted in ("sergei-shoigu", "SERGEI CHOIGOU", "Sergei Shoigu"):
        listed = as_json("claim", "list", "--actor", wanted, "--db", seeded)
        assert [a["claim_id"] for a in listed] == [other, CLAIM], wanted
    # Before the alias, "Sergei Shoigu" does not name the claim that only says "Choigou".
    listed = as_json("claim", "list", "--actor", "Sergei Shoigu", "--db", seeded,
                     "--known-at", f"@{aliased - 1}")
    assert [a["claim_id"] for a in listed] == [CLAIM]


def test_actor_show_gives_names_at_the_basis_and_claims_by_role(seeded: str) -> None:
    registered, aliased = register_shoigu(seeded)
    shown = as_json("actor", "show", "sergei-shoigu", "--db", seeded)
    assert shown["names"] == ["Sergei Shoigu", "Sergei Choigou"]
    assert (shown["kind"], shown["wikidata"]) == ("person", "Q193471")
    (claim,) = shown["claims"]
    assert claim["claim_id"] == CLAIM and claim["status"] == "asserted"
    roles = [(r["role"], r["actor"]) for r in claim["roles"]]
    assert roles == [("claimant", "Sergei Shoigu"), ("corroborator", "Sergei Choigou")]
    assert shown["basis"]["position"] == aliased
    earlier = as_json("actor", "show", "sergei-shoigu", "--db", seeded,
                      "--known-at", f"@{registered}")
    assert earlier["names"] == ["Sergei Shoigu"] and earlier["aliases"] == []
    assert [r["role"] for r in earlier["claims"][0]["roles"]] == ["claimant"]
    table = ok("actor", "show", "sergei-shoigu", "--db", seeded).stdout
    assert "Sergei Choigou" in table and "corroborator" in table


def test_actor_list_in_every_format(seeded: str) -> None:
    registered, _ = register_shoigu(seeded)
    ok("actor", "add", "dmitry-peskov", "--name", "Dmitry Peskov (Kremlin)",
       "--alias", "Dmitri Peskov", "--kind", "person", "--db", seeded)
    listed = as_json("actor", "list", "--db", seeded)
    assert [a["actor_id"] for a in listed] == ["dmitry-peskov", "sergei-shoigu"]
    assert listed[0]["aliases"] == ["Dmitri Peskov"]
    assert as_json("actor", "list", "--db", seeded, "--known-at", f"@{registered}")[0][
        "aliases"
    ] == []
    csv = ok("actor", "list", "--db", seeded, "-f", "csv").stdout.splitlines()
    assert csv[0].startswith("actor_id,name,aliases") and len(csv) == 3
    assert len(ok("actor", "list", "--db", seeded, "-f", "jsonl").stdout.splitlines()) == 2
    assert as_json("actor", "list", "--db", seeded, "--known-at", "@1") == []


def test_unalias_splits_from_its_position_on(seeded: str) -> None:
    _, aliased = register_shoigu(seeded)
    removed = json.loads(ok("actor", "unalias", "sergei-shoigu", "Sergei Choigou",
                            "--reason", "checking the spelling", "--db", seeded).stdout)
    assert status(seeded) == "corroborated"
    assert status(seeded, "--known-at", f"@{aliased}") == "asserted"
    assert removed["position"] == aliased + 1


def test_diff_names_the_merge_that_changed_a_status(seeded: str) -> None:
    _, aliased = register_shoigu(seeded)
    base = f"@{aliased - 1}"
    changes = as_json("diff", "--from", base, "--to", "head", "--db", seeded)["changes"]
    (row,) = changes
    assert (row["claim_id"], row["from_status"], row["to_status"]) == (
        CLAIM, "corroborated", "asserted"
    )
    (merge,) = row["actors_resolved"]
    assert merge["reason"] == f"Sergei Choigou is Sergei Shoigu since position {aliased}"
    assert (merge["from_actor_id"], merge["to_actor_id"]) == (None, "sergei-shoigu")
    table = ok("diff", "--from", base, "--to", "head", "--db", seeded).stdout
    assert "Sergei Choigou is Sergei Shoigu" in " ".join(table.split())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("actor", "alias", "nobody", "X"), "unknown actor 'nobody'"),
        (("actor", "add", "someone", "--name", "S", "--wikidata", "193471"), "Wikidata"),
        (("actor", "add", "imposter", "--name", "sergei choigou"), "belongs to actor 'sergei-shoigu'"),
        (("actor", "add", "other", "--name", "O", "--alias", "SERGEI-SHOIGU"), "sergei-shoigu"),
        (("actor", "alias", "sergei-shoigu", "Sergei Choigou"), "already a name"),
        (("actor", "unalias", "sergei-shoigu", "Shoygu", "--reason", "r"), "has no alias 'Shoygu'"),
        (("actor", "unalias", "sergei-shoigu", "Sergei Shoigu", "--reason", "r"), "registered name"),
        (("actor", "add", "sergei-shoigu", "--name", "Another"), "already registered"),
        (("actor", "add", "Bad Id", "--name", "B"), "not an actor id"),
        (("actor", "show", "nobody"), "no actor 'nobody'"),
    ],
)
def test_each_refusal_is_one_error_line_and_stores_nothing(
    seeded: str, args: tuple[str, ...], words: str
) -> None:
    register_shoigu(seeded)
    before = head(seeded)
    result = run(*args, "--db", seeded)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], lines
    assert "Traceback" not in result.output
    assert head(seeded) == before


def test_actor_show_before_registration_says_when(seeded: str) -> None:
    registered, _ = register_shoigu(seeded)
    result = run("actor", "show", "sergei-shoigu", "--known-at", f"@{registered - 1}",
                 "--db", seeded)
    assert result.exit_code == 1
    assert f"registered at position {registered}" in result.stderr


def test_export_import_round_trip_keeps_the_chain_and_verify_covers_actors(
    seeded: str, tmp_path: Path
) -> None:
    register_shoigu(seeded)
    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(ok("export", "--db", seeded).stdout_bytes)
    lines = [json.loads(line) for line in dump.read_text().splitlines()]
    actor_lines = [line for line in lines if line["type"].startswith("Actor")]
    assert [line["claim_id"] for line in actor_lines] == ["actor:sergei-shoigu"] * 2
    assert all(line["occurred_from"] == line["recorded_at"] for line in actor_lines)
    copy = str(tmp_path / "copy.db")
    ok("init", "--db", copy)
    ok("import", str(dump), "--db", copy, "--keep-recorded-at")
    assert as_json("log", "--db", copy)[-1]["hash"] == as_json("log", "--db", seeded)[-1]["hash"]
    assert status(copy) == "asserted"
    assert ok("verify", "--db", copy).exit_code == 0
    # Importing the export again is idempotent: every line is skipped as already stored.
    again = run("import", str(dump), "--db", copy, "--keep-recorded-at")
    assert again.exit_code == 0 and "0 added" in again.stderr


def test_import_accepts_actor_id_lines_and_checks_them_against_earlier_lines(
    db_url: str, tmp_path: Path
) -> None:
    ok("init", "--db", db_url)
    good = tmp_path / "actors.ndjson"
    good.write_text(
        '{"type": "ActorRegistered", "actor_id": "afp", "data": {"name": "AFP", '
        '"kind": "outlet", "aliases": ["Agence France-Presse"]}}\n'
        '{"type": "ActorAliased", "actor_id": "afp", "data": {"alias": "Al Arabiya (AFP)"}}\n'
    )
    ok("import", str(good), "--db", db_url)
    assert [a["names"] for a in as_json("actor", "list", "--db", db_url)] == [
        ["AFP", "Agence France-Presse", "Al Arabiya (AFP)"]
    ]
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        '{"type": "ActorRegistered", "actor_id": "wsj", "data": {"name": "WSJ"}}\n'
        '{"type": "ActorAliased", "actor_id": "wsj", "data": {"alias": "agence france-presse"}}\n'
    )
    result = run("import", str(bad), "--db", db_url)
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "belongs to actor 'afp'" in result.stderr
    assert [a["actor_id"] for a in as_json("actor", "list", "--db", db_url)] == ["afp"]


def test_help_has_examples() -> None:
    for command in ("add", "alias", "unalias", "show", "list"):
        result = run("actor", command, "--help")
        assert result.exit_code == 0 and "Example: ledger actor " + command in result.stdout
