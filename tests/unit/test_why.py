"""`why` on small stories: the events it names, the origins it shows, the sentence it leads with."""

from __future__ import annotations

import uuid
from typing import Any

from ledger.domain.events import validate_event
from ledger.service import Ledger
from ledger.store.memory import MemoryStore

CLAIM = "the-claim"


def _made(day: str, claimant: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return ("event", {"type": "ClaimMade", "claim_id": CLAIM, "occurred_at": day,
                      "data": {"claimant": claimant, "statement": f"by {claimant}", **data}})


def _act(kind: str, field: str, day: str, who: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return ("event", {"type": kind, "claim_id": CLAIM, "occurred_at": day,
                      "data": {field: who, **data}})


def _why(*history: Any, **basis: Any) -> Any:
    ledger = Ledger(MemoryStore())
    for _kind, line in history:
        ledger.store.append([validate_event(dict(line, event_id=str(uuid.uuid4())))])
    return ledger.why(CLAIM, **basis)


def _ids(answer: Any) -> list[tuple[str, str | None, str]]:
    return [(r["type"], r["actor"], r["role"]) for r in answer["reasons"]]


def test_a_retracted_assertion_is_named_with_the_first_retraction_after_it() -> None:
    answer = _why(
        _made("2023-11-05", "Reuters"),
        _act("ClaimRetracted", "retractor", "2023-11-09", "reuters"),
        _act("ClaimRetracted", "retractor", "2023-11-07", "Reuters"),
        _act("ClaimRetracted", "retractor", "2023-11-02", "Reuters"),  # before it: no effect
    )
    assert (answer["status"], answer["rule"]) == ("retracted", 3)
    roles = [(r["occurred_from"][:10], r["role"]) for r in answer["reasons"]]
    assert roles == [("2023-11-05", "retracted"), ("2023-11-07", "retracts")]
    assert answer.sentence.startswith("retracted since 2023-11-07")
    assert "because Reuters retracted it" in answer.sentence


def test_an_assertion_made_again_after_its_retraction_is_the_active_one() -> None:
    answer = _why(
        _made("2023-11-05", "WSJ"),
        _act("ClaimRetracted", "retractor", "2023-11-06", "WSJ"),
        _made("2023-11-08", "WSJ", statement="again"),
    )
    assert (answer["status"], answer["rule"]) == ("asserted", 6)
    (reason,) = answer["reasons"]
    assert reason["occurred_from"].startswith("2023-11-08") and reason["role"] == "asserts"
    # The statement comes from the first assertion in fold order, retracted or not.
    assert answer["fields"]["statement"] != reason["event_id"]


def test_one_origin_in_two_spellings_is_not_corroboration_and_is_shown_as_first_written() -> None:
    same = _why(_made("2023-11-05", "Reuters"), _act("ClaimCorroborated", "corroborator",
                                                     "2023-11-06", "reuters"))
    assert (same["status"], same["rule"], same["origins"]) == ("asserted", 6, ["Reuters"])
    assert _ids(same) == [("ClaimMade", "Reuters", "asserts")]
    two = _why(_made("2023-11-05", "Reuters"),
               _act("ClaimCorroborated", "corroborator", "2023-11-04", "AP"),
               _act("ClaimCorroborated", "corroborator", "2023-11-06", "reuters"))
    assert (two["status"], two["rule"], two["origins"]) == ("corroborated", 5, ["AP", "Reuters"])
    assert _ids(two) == [("ClaimCorroborated", "AP", "corroborates"),
                         ("ClaimMade", "Reuters", "asserts"),
                         ("ClaimCorroborated", "reuters", "corroborates")]
    assert "2 independent origins (AP and Reuters)" in two.sentence
    assert two.sentence.startswith("corroborated since 2023-11-05")


def test_a_resolution_decides_and_the_sentence_names_what_it_outranks() -> None:
    answer = _why(
        _made("2023-11-05", "Reuters"),
        _act("ClaimDenied", "denier", "2023-11-06", "Kremlin"),
        _act("ClaimResolved", "resolver", "2023-11-09", "UN panel", outcome="confirmed"),
        _act("ClaimResolved", "resolver", "2023-12-01/2023-12-03", "UN panel",
             outcome="refuted"),
    )
    assert (answer["status"], answer["rule"]) == ("refuted", 1)
    assert _ids(answer) == [("ClaimResolved", "UN panel", "resolves")]
    assert answer["fields"]["resolution"] == answer["reasons"][0]["event_id"]
    assert answer.sentence == (
        "refuted since 2023-12-01 (tentative until 2023-12-04) because UN panel refuted it; "
        "rule 1 outranks the denial"
    )


def test_off_the_record_only_is_rule_7_and_a_denial_outranks_it() -> None:
    quiet = _why(_made("2023-11-02", "WSJ", attributed_to="unidentified US officials"))
    assert (quiet["status"], quiet["rule"]) == ("reported", 7)
    assert quiet["origins"] == ["unidentified US officials"]
    assert quiet["reasons"][0]["origin"] == "unidentified US officials"
    denied = _why(_made("2023-11-02", "WSJ", attributed_to="unidentified US officials"),
                  _act("ClaimDenied", "denier", "2023-11-02/2023-11-20", "Dmitry Peskov"))
    assert denied.sentence == (
        "disputed since 2023-11-02 (tentative until 2023-11-21) because Dmitry Peskov denied "
        "it; rule 4 outranks off-the-record reporting"
    )


def test_unasserted_names_no_event() -> None:
    answer = _why(_act("ClaimDenied", "denier", "2023-11-02", "Kremlin"))
    assert (answer["status"], answer["rule"], answer["reasons"]) == ("unasserted", 2, [])
    assert answer["origins"] == [] and answer["fields"]["statement"] is None
    assert "no one has asserted it" in answer.sentence


def test_still_tentative_at_the_cut_off_says_so() -> None:
    answer = _why(_made("2023-11-02", "WSJ"),
                  _act("ClaimDenied", "denier", "2023-11", "Kremlin"), as_of="2023-11-10")
    assert answer["tentative"] is True
    assert answer.sentence.startswith("disputed since 2023-11-02 (tentative until 2023-12-01)")
