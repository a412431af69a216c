"""Guard rails on questions: filters check their values, mistakes are named as what they are."""

from __future__ import annotations

import json

from tests.cli.test_guard_rails import CLAIM, OTHER, made, ok, refused

from ledger.service.questions import within_name


def test_show_says_a_claim_does_not_exist_rather_than_not_visible(db_url: str) -> None:
    made(db_url)
    missing = refused("claim", "show", "al-ahli-israeli-airstrke", "--db", db_url)
    assert "no claim 'al-ahli-israeli-airstrke' in the ledger" in missing.stderr
    assert f"did you mean {CLAIM}?" in missing.stderr
    early = refused("claim", "show", CLAIM, "--as-of", "2023-10-16", "--db", db_url)
    assert "exists but has no visible event at this basis" in early.stderr
    history = refused("claim", "history", "al-ahli-israeli-airstrke", "--db", db_url)
    assert f"did you mean {CLAIM}?" in history.stderr


def test_a_day_first_date_is_named_as_not_iso(db_url: str) -> None:
    made(db_url)
    result = refused("claim", "show", CLAIM, "--as-of", "17/10/2023", "--db", db_url)
    assert "'17/10/2023' is not an ISO 8601 date" in result.stderr
    assert "YYYY-MM-DD" in result.stderr and "interval" not in result.stderr
    interval = refused("claim", "show", CLAIM, "--as-of", "2023-10-01/2023-10-20", "--db", db_url)
    assert "is an interval" in interval.stderr
    listed = refused("claim", "list", "--known-at", "1/12/2023", "--db", db_url)
    assert "not an ISO 8601 date" in listed.stderr


def test_log_type_checks_the_catalogue(db_url: str) -> None:
    made(db_url)
    result = refused("log", "--type", "ClaimDenid", "--db", db_url)
    assert "unknown event type 'ClaimDenid'; did you mean ClaimDenied?" in result.stderr
    shown = json.loads(ok("log", "--type", "ClaimMade", "-f", "json", "--db", db_url).stdout)
    assert [e["type"] for e in shown] == ["ClaimMade"]


def test_actor_matches_a_run_of_whole_words(db_url: str) -> None:
    made(db_url)
    made(db_url, OTHER, claimant="Al Jazeera")
    ok("claim", "deny", CLAIM, "--denier", "IDF (Daniel Hagari)", "--occurred-at", "2023-10-18",
       "--db", db_url)

    def found(actor: str) -> list[str]:
        out = ok("claim", "list", "--actor", actor, "-f", "json", "--db", db_url).stdout
        return [a["claim_id"] for a in json.loads(out)]

    assert found("IDF") == [CLAIM]
    assert found("daniel HAGARI") == [CLAIM]
    assert found("idf (daniel hagari)") == [CLAIM]
    assert found("Hagar") == []
    assert found("jazeera") == [OTHER]
    assert found("Al") == [OTHER]
    assert found("health") == [CLAIM]


def test_within_name_against_a_model() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    words = st.lists(st.sampled_from(["idf", "IDF", "Daniel", "hagari", "al", "Ahli"]), max_size=5)

    @given(name=words, start=st.integers(0, 5), size=st.integers(1, 3), other=words)
    def check(name: list[str], start: int, size: int, other: list[str]) -> None:
        text = " ".join(name)
        run = name[start : start + size]
        if run:
            assert within_name(" ".join(run).upper(), f"({text})")
        lower = [w.lower() for w in name]
        wanted = [w.lower() for w in other]
        expected = bool(wanted) and any(
            lower[i : i + len(wanted)] == wanted for i in range(len(lower))
        )
        assert within_name(" ".join(other), text) == expected

    check()
