"""The seed article's point-in-time questions, through the CLI, on both engines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

A = "wagner-pantsir-s1-to-hezbollah"
B = "wagner-air-defense-to-hezbollah-or-iran"

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture
def seeded(db_url: str) -> str:
    result = run("seed", "--db", db_url)
    assert result.exit_code == 0, result.output
    return db_url


def show(db: str, claim: str, *extra: str) -> dict[str, Any]:
    result = run("claim", "show", claim, "--db", db, "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_nothing_is_known_about_a_before_the_wsj_report(seeded: str) -> None:
    result = run("claim", "show", A, "--as-of", "2023-11-01", "--db", seeded)
    assert result.exit_code == 1
    assert "no visible event" in result.stderr and "2023-11-01" in result.stderr
    assert "Traceback" not in result.output


def test_on_the_day_of_the_report_a_is_disputed_with_a_tentative_denial(seeded: str) -> None:
    answer = show(seeded, A, "--as-of", "2023-11-02")
    assert answer["status"] == "disputed"
    (claimant,) = answer["claimants"]
    assert claimant["actor"] == "Wall Street Journal"
    assert claimant["attributed_to"] == "unidentified US officials"
    assert claimant["on_record"] is False
    (denial,) = answer["denials"]
    assert denial["actor"] == "Dmitry Peskov (Kremlin)" and denial["tentative"] is True
    assert answer["tentative"] is True


@pytest.mark.parametrize("day", ["2023-11-02", "2023-11-10"])
def test_with_certain_a_is_only_reported_until_the_denial_interval_ends(seeded: str, day: str) -> None:
    answer = show(seeded, A, "--as-of", day, "--certain")
    assert answer["status"] == "reported"
    assert answer["denials"] == []
    assert answer["basis"]["certain"] is True


def test_on_10_november_a_is_disputed_and_the_denial_still_tentative(seeded: str) -> None:
    answer = show(seeded, A, "--as-of", "2023-11-10")
    assert answer["status"] == "disputed"
    assert answer["denials"][0]["tentative"] is True
    assert answer["basis"]["as_of"] == "2023-11-10T23:59:59.999999Z"


def test_on_21_november_a_disputed_b_asserted_with_one_threatened_sanction(seeded: str) -> None:
    a = show(seeded, A, "--as-of", "2023-11-21")
    b = show(seeded, B, "--as-of", "2023-11-21")
    assert a["status"] == "disputed"
    assert a["denials"][0]["tentative"] is False
    assert b["status"] == "asserted"
    assert b["denials"] == []
    assert [s["kind"] for s in b["sanctions"]] == ["threatened"]
    assert b["sanctions"][0]["actor"] == "John Kirby (US NSC)"
    refines = [link for link in b["links"] if link["relation"] == "refines"]
    assert refines and refines[0]["other_claim_id"] == A
    assert refines[0]["other_status"] == "disputed"


def test_same_origin_claims_do_not_corroborate_each_other(seeded: str) -> None:
    a = show(seeded, A)
    assert a["status"] == "disputed"
    b = show(seeded, B)
    assert b["status"] != "corroborated"


def test_known_at_before_anything_was_imported_knows_nothing(seeded: str) -> None:
    result = run("claim", "list", "--known-at", "2000-01-01", "--db", seeded, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    result = run("claim", "show", A, "--known-at", "@0", "--db", seeded)
    assert result.exit_code == 1


def test_known_at_beyond_the_head_is_an_error(seeded: str) -> None:
    result = run("claim", "show", A, "--known-at", "@999", "--db", seeded)
    assert result.exit_code == 1
    assert "beyond the head" in result.stderr


def test_seed_is_idempotent(seeded: str) -> None:
    result = run("seed", "--db", seeded)
    assert result.exit_code == 0
    assert "0 added" in result.stderr
    log = run("log", "--db", seeded, "-f", "json")
    assert len(json.loads(log.stdout)) == 16


def test_claim_list_filters_by_status_and_actor_case_insensitively(seeded: str) -> None:
    result = run("claim", "list", "--db", seeded, "-f", "json", "--status", "disputed")
    assert [a["claim_id"] for a in json.loads(result.stdout)] == [A]
    result = run("claim", "list", "--db", seeded, "-f", "json", "--actor", "DMITRY PESKOV (kremlin)")
    ids = {a["claim_id"] for a in json.loads(result.stdout)}
    assert A in ids and B not in ids
    result = run("claim", "list", "--db", seeded, "-f", "json", "--actor", "%")
    assert json.loads(result.stdout) == []


SECTION5_KEYS = {
    "claim_id", "statement", "status", "claimants", "denials", "corroborations", "retractions",
    "resolution", "sanctions", "links", "linked_from", "event_count", "first_occurred_at",
    "last_occurred_at",
    "tentative", "basis",
}
ITEM_KEYS = {"actor", "occurred_from", "occurred_to", "tentative", "event_id", "source", "quote"}


def test_claim_show_json_has_exactly_the_keys_and_types_of_design_section_5(seeded: str) -> None:
    answer = show(seeded, B, "--as-of", "2023-11-21")
    assert set(answer) == SECTION5_KEYS
    assert isinstance(answer["claim_id"], str) and isinstance(answer["statement"], str)
    assert isinstance(answer["event_count"], int) and isinstance(answer["tentative"], bool)
    for key in ("claimants", "denials", "corroborations", "retractions", "sanctions", "links"):
        assert isinstance(answer[key], list)
        for item in answer[key]:
            assert ITEM_KEYS <= set(item)
            assert isinstance(item["tentative"], bool)
    assert answer["resolution"] is None
    assert all(s["kind"] in ("threatened", "imposed") for s in answer["sanctions"])
    assert all("other_status" in link for link in answer["links"])
    assert set(answer["basis"]) == {"as_of", "known_at", "certain", "position", "head_hash"}
    assert len(answer["basis"]["head_hash"]) == 64
    for key in ("first_occurred_at", "last_occurred_at"):
        assert answer[key].endswith("Z") and len(answer[key]) == 27


def test_claim_list_json_is_an_array_of_section_5_objects(seeded: str) -> None:
    result = run("claim", "list", "--db", seeded, "-f", "json")
    answers = json.loads(result.stdout)
    assert len(answers) >= 3
    assert all(set(a) == SECTION5_KEYS for a in answers)


def test_claim_history_shows_both_times(seeded: str) -> None:
    result = run("claim", "history", A, "--db", seeded, "-f", "json")
    rows = json.loads(result.stdout)
    assert [r["type"] for r in rows] == ["ClaimMade", "ClaimDenied"]
    assert all({"occurred_from", "occurred_to", "recorded_at"} <= set(r) for r in rows)


def test_tables_fit_100_columns(seeded: str) -> None:
    # Piped tables take COLUMNS when set (else the text's own width, see test_guard_rails_*).
    for args in (("claim", "list"), ("claim", "show", A), ("log",), ("claim", "history", A)):
        result = runner.invoke(app, [*args, "--db", seeded], env={"COLUMNS": "100"})
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_info_counts_the_claims_of_the_projection(seeded: str) -> None:
    result = run("info", "--db", seeded, "-f", "json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    listed = json.loads(run("claim", "list", "--db", seeded, "-f", "json").stdout)
    assert facts["claims"] == len(listed) > 0
    assert facts["projection_checkpoint"] == facts["events"]
