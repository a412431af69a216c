"""`ledger search` on both engines: stems, corrections and voids across bases, errors, reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.faults._support import assert_ok, assert_one_error_line, cli_in_process, run_ledger

MADE = {"event_id": "00000000-0000-4000-8000-000000000001", "type": "ClaimMade",
        "claim_id": "wagner-pantsir", "occurred_at": "2023-11-02",
        "data": {"claimant": "Wall Street Journal", "statement": "Wagner will supply a Pantsir-S1",
                 "quote": "The Pantsir was promised to Hezbollah",
                 "source": {"name": "Wall Street Journal"}}}
DENIED = {"event_id": "00000000-0000-4000-8000-000000000002", "type": "ClaimDenied",
          "claim_id": "wagner-pantsir", "occurred_at": "2023-11-05/2023-11-20",
          "data": {"denier": "Dmitry Peskov (Kremlin)", "quote": "The Kremlin denies these musings"}}
OTHER = {"event_id": "00000000-0000-4000-8000-000000000003", "type": "ClaimMade",
         "claim_id": "shoigu-visit", "occurred_at": "2023-11-10",
         "data": {"claimant": "Sergueï Choïgou", "statement": "The minister visited Tehran"}}


def _append(db: str, *lines: dict[str, Any]) -> None:
    body = "".join(json.dumps(line) + "\n" for line in lines)
    assert_ok(cli_in_process("append", "-", "--db", db, input=body))


def _search(db: str, *args: str) -> list[dict[str, Any]]:
    result = assert_ok(cli_in_process("search", *args, "-f", "json", "--db", db))
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _found(db: str, *args: str) -> set[tuple[str, str]]:
    return {(h["event_id"][-2:], h["field"]) for h in _search(db, *args)}


@pytest.fixture
def filled(db_url: str) -> str:
    _append(db_url, MADE, DENIED, OTHER)
    return db_url


def test_words_match_by_stem_case_and_diacritics(filled: str) -> None:
    hits = _search(filled, "denied")
    assert [(h["claim_id"], h["type"], h["field"]) for h in hits] == [
        ("wagner-pantsir", "ClaimDenied", "quote")
    ]
    hit = hits[0]
    assert set(hit) == {"claim_id", "event_id", "position", "type", "field", "snippet", "status",
                        "rank"}
    assert "[denies]" in hit["snippet"]
    assert hit["status"] == "disputed" and hit["position"] == 2
    assert _found(filled, "CHOIGOU") == {("03", "claimant")}
    assert _found(filled, "kremlin") == {("02", "denier"), ("02", "quote")}


def test_phrases_prefixes_and_or(filled: str) -> None:
    assert _found(filled, '"wall street journal"') == {("01", "claimant"), ("01", "source")}
    assert _found(filled, '"journal street"') == set()
    assert _found(filled, "pants*") == {("01", "statement"), ("01", "quote")}
    assert _found(filled, "tehran OR musings") == {("03", "statement"), ("02", "quote")}
    assert _found(filled, "pantsir hezbollah") == {("01", "quote")}  # all words, one text


def test_filters_and_paging(filled: str) -> None:
    assert _found(filled, "pantsir OR tehran", "--claim", "shoigu-visit") == {("03", "statement")}
    assert _found(filled, "kremlin", "--type", "ClaimMade") == set()
    assert _found(filled, "kremlin", "--type", "ClaimDenied") == {("02", "denier"), ("02", "quote")}
    pantsir = _search(filled, "pantsir", "--limit", "10")
    assert [h["rank"] for h in pantsir] == sorted((h["rank"] for h in pantsir), reverse=True)
    pages = _search(filled, "pantsir", "--limit", "1") + _search(
        filled, "pantsir", "--limit", "1", "--offset", "1"
    )
    assert pages == pantsir[:2]
    csv = assert_ok(cli_in_process("search", "pantsir", "-f", "csv", "--db", filled)).stdout
    assert csv.decode().splitlines()[0] == "claim_id,event_id,position,type,field,snippet,status,rank"


def test_a_correction_is_found_by_its_new_text_at_the_head_and_its_old_text_before(
    filled: str,
) -> None:
    _append(filled, {"event_id": "00000000-0000-4000-8000-000000000004", "type": "RecordCorrected",
                     "claim_id": "wagner-pantsir",
                     "data": {"target_event_id": DENIED["event_id"],
                              "changes": {"quote": "Nothing but fabrications"},
                              "reason": "misquoted"}})
    assert _found(filled, "fabrications") == {("02", "quote")}
    assert _found(filled, "musings") == set()
    assert _found(filled, "musings", "--known-at", "@3") == {("02", "quote")}
    assert _found(filled, "fabrications", "--known-at", "@3") == set()
    assert _found(filled, "misquoted") == {("04", "reason")}
    # The fields the correction left alone are still found, at both bases.
    assert _found(filled, "peskov") == _found(filled, "peskov", "--known-at", "@3") == {
        ("02", "denier")
    }


def test_a_moved_event_follows_its_corrected_time(filled: str) -> None:
    assert _found(filled, "tehran", "--as-of", "2023-11-09") == set()
    _append(filled, {"type": "RecordCorrected", "claim_id": "shoigu-visit",
                     "data": {"target_event_id": OTHER["event_id"],
                              "changes": {"occurred_at": "2023-11-08"}, "reason": "wrong day"}})
    assert _found(filled, "tehran", "--as-of", "2023-11-09") == {("03", "statement")}
    assert _found(filled, "tehran", "--as-of", "2023-11-09", "--known-at", "@3") == set()


def test_as_of_and_certain(filled: str) -> None:
    assert _found(filled, "musings", "--as-of", "2023-11-04") == set()
    assert _found(filled, "musings", "--as-of", "2023-11-10") == {("02", "quote")}
    # The denial may not have happened yet by the 10th: --certain leaves it out.
    assert _found(filled, "musings", "--as-of", "2023-11-10", "--certain") == set()
    assert _found(filled, "musings", "--as-of", "2023-11-20", "--certain") == {("02", "quote")}


def test_a_void_hides_the_event_after_it(filled: str) -> None:
    _append(filled, {"type": "RecordVoided", "claim_id": "shoigu-visit",
                     "data": {"target_event_id": OTHER["event_id"], "reason": "duplicate entry"}})
    assert _found(filled, "tehran") == set()
    assert _found(filled, "tehran", "--known-at", "@3") == {("03", "statement")}
    hits = _search(filled, "duplicate")
    assert [(h["type"], h["field"], h["status"]) for h in hits] == [("RecordVoided", "reason", None)]


def test_nothing_is_found_before_anything_was_recorded(filled: str) -> None:
    assert _search(filled, "pantsir", "--known-at", "@0") == []
    assert _search(filled, "pantsir", "--known-at", "2001-01-01") == []
    assert _search(filled, "pantsir", "--known-at", "@1") != []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [('"unclosed', "quote"), ("*", "prefix"), ("OR pantsir", "OR"), ("pantsir OR", "OR"),
     ("!!! ...", "nothing to search"), ("pan*sir", "only end")],
)
def test_a_query_that_cannot_be_parsed_is_one_error_line(
    filled: str, query: str, fragment: str
) -> None:
    assert_one_error_line(cli_in_process("search", query, "--db", filled), fragment)


def test_a_bad_query_in_a_real_process_prints_no_traceback(filled: str) -> None:
    assert_one_error_line(run_ledger("search", 'say "what', "--db", filled), "quote")
    assert_one_error_line(run_ledger("search", "x", "--type", "Nope", "--db", filled), "Nope")


def test_search_on_a_path_with_no_ledger_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ledger.db"
    assert_one_error_line(cli_in_process("search", "pantsir", "--db", str(missing)), "no ledger")
    assert not missing.exists() and not missing.parent.exists()


def test_an_empty_ledger_finds_nothing(db_url: str) -> None:
    assert_ok(cli_in_process("init", "--db", db_url))
    result = assert_ok(cli_in_process("search", "pantsir", "--db", db_url))
    assert result.stdout == b"" and b"no hits" in result.stderr


def test_actor_names_and_aliases_are_found_from_their_position_on(db_url: str) -> None:
    _append(db_url, OTHER)
    assert _search(db_url, "shoigu") == []
    assert_ok(cli_in_process("actor", "add", "sergei-shoigu", "--name", "Sergei Shoigu",
                             "--alias", "Sergei Choigou", "--db", db_url))
    hits = _search(db_url, "shoigu")
    assert [(h["claim_id"], h["type"], h["field"], h["status"]) for h in hits] == [
        ("actor:sergei-shoigu", "ActorRegistered", "name", None)
    ]
    assert ("ActorRegistered", "aliases") in {(h["type"], h["field"]) for h in _search(db_url, "choigou")}
    assert_ok(cli_in_process("actor", "unalias", "sergei-shoigu", "Sergei Choigou",
                             "--reason", "a misspelling", "--db", db_url))
    after = {(h["type"], h["field"]) for h in _search(db_url, '"sergei choigou"')}
    # The registration no longer answers to the alias; the unalias event itself names it.
    assert after == {("ActorUnaliased", "alias")}
    before = {(h["type"], h["field"]) for h in _search(db_url, '"sergei choigou"', "--known-at", "@2")}
    assert before == {("ActorRegistered", "aliases")}


def test_an_alias_hit_shows_the_alias_it_matched(db_url: str) -> None:
    # Bug: SQLite stored an alias's row without its array index, so the hit had no snippet.
    assert_ok(cli_in_process("actor", "add", "sergei-shoigu", "--name", "Sergei Shoigu",
                             "--alias", "Sergei Choigou", "--alias", "Shoigu Kuzhugetovich",
                             "--db", db_url))
    snippets = {h["snippet"] for h in _search(db_url, "choigou")}
    assert snippets == {"Sergei [Choigou]"}
    assert {h["snippet"] for h in _search(db_url, "kuzhugetovich")} == {"Shoigu [Kuzhugetovich]"}
