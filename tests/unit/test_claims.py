"""The claim projection (docs/answers.md): status rules, their precedence, and the JSON shape."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from itertools import count
from typing import Any

import pytest

from ledger.domain.claims import EMPTY, apply, fold, project, status
from ledger.domain.model import StoredEvent
from ledger.domain.time import parse_cutoff, parse_instant, parse_occurred
from ledger.domain.view import visible_events

RECORDED_BASE = parse_instant("2024-01-01T00:00:00.000000Z")

KEYS = [
    "claim_id",
    "statement",
    "status",
    "claimants",
    "denials",
    "corroborations",
    "retractions",
    "resolution",
    "sanctions",
    "links",
    "event_count",
    "first_occurred_at",
    "last_occurred_at",
    "tentative",
]
COMMON = ["actor", "occurred_from", "occurred_to", "tentative", "event_id", "source", "quote"]


class History:
    """Builds one claim's stored events; each call appends at the next position."""

    def __init__(self, claim: str = "wagner-pantsir") -> None:
        self.claim = claim
        self.events: list[StoredEvent] = []
        self._positions = count(1)

    def add(self, type_: str, occurred: str | None = "2023-11-02", **data: Any) -> str:
        position = next(self._positions)
        recorded = RECORDED_BASE + position * 60_000_000
        interval = parse_occurred(occurred) if occurred else None
        event_id = f"e{position}"
        self.events.append(
            StoredEvent(
                position=position,
                event_id=event_id,
                type=type_,
                claim_id=self.claim,
                version=position,
                schema_version=1,
                occurred_from=interval.start if interval else recorded,
                occurred_to=interval.end if interval else recorded,
                recorded_at=recorded,
                data=data,
                metadata={},
                salt="00" * 16,
                prev_hash="0" * 64,
                hash=f"{position:064x}",
            )
        )
        return event_id

    def made(
        self, claimant: str = "Wall Street Journal", occurred: str = "2023-11-02", **data: Any
    ) -> str:
        data.setdefault("statement", "Wagner will supply a Pantsir-S1")
        return self.add("ClaimMade", occurred, claimant=claimant, **data)

    def denied(self, denier: str = "Peskov", occurred: str = "2023-11-03", **data: Any) -> str:
        return self.add("ClaimDenied", occurred, denier=denier, **data)

    def corroborated(self, who: str, occurred: str = "2023-11-04", **data: Any) -> str:
        return self.add("ClaimCorroborated", occurred, corroborator=who, **data)

    def retracted(self, who: str, occurred: str = "2023-11-05") -> str:
        return self.add("ClaimRetracted", occurred, retractor=who)

    def resolved(self, outcome: str, occurred: str = "2023-11-06") -> str:
        return self.add("ClaimResolved", occurred, outcome=outcome, resolver="UN panel")

    def project(
        self,
        *,
        as_of: str | None = None,
        certain: bool = False,
        position: int | None = None,
        links: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        p = len(self.events) if position is None else position
        e = None if as_of is None else parse_cutoff(as_of)
        view = visible_events(self.events, position=p, as_of=e, certain=certain)
        return project(self.claim, view, link_status=(links or {}).get)

    def status(self, **kwargs: Any) -> str:
        return str(self.project(**kwargs)["status"])


# --- each rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["confirmed", "refuted"])
def test_resolution_outcome_is_the_status(outcome: str) -> None:
    h = History()
    h.made()
    h.resolved(outcome)
    assert h.status() == outcome


def test_last_resolution_in_fold_order_wins_not_last_recorded() -> None:
    h = History()
    h.made()
    h.resolved("refuted", occurred="2023-12-02")
    h.resolved("confirmed", occurred="2023-12-01")  # recorded later, happened earlier
    assert h.status() == "refuted"
    assert h.project()["resolution"]["outcome"] == "refuted"


def test_no_claim_made_is_unasserted() -> None:
    h = History()
    assert h.status() == "unasserted"
    h.corroborated("AFP")
    assert h.status() == "unasserted"


def test_claimant_retraction_makes_claim_retracted() -> None:
    h = History()
    h.made("Kirby")
    h.retracted("Kirby")
    assert h.status() == "retracted"


def test_retraction_matches_claimant_case_insensitively_after_nfc() -> None:
    composed = "Caf\u00e9 Press"
    decomposed_upper = "CAFE\u0301 PRESS"
    assert unicodedata.normalize("NFC", decomposed_upper) != decomposed_upper
    h = History()
    h.made(composed)
    h.retracted(decomposed_upper)
    assert h.status() == "retracted"


def test_retraction_by_another_actor_leaves_assertion_active() -> None:
    h = History()
    h.made("Kirby")
    h.retracted("Peskov")
    assert h.status() == "asserted"


def test_retraction_earlier_in_fold_order_does_not_retract_later_assertion() -> None:
    h = History()
    h.retracted("Kirby", occurred="2023-11-01")
    h.made("Kirby", occurred="2023-11-02")
    assert h.status() == "asserted"


def test_reassertion_after_retraction_is_active_again() -> None:
    h = History()
    h.made("Kirby", occurred="2023-11-02")
    h.retracted("kirby", occurred="2023-11-03")
    h.made("KIRBY", occurred="2023-11-04")
    assert h.status() == "asserted"


def test_one_claimant_retracting_leaves_the_other_active() -> None:
    h = History()
    h.made("Kirby")
    h.made("WSJ", attributed_to="unidentified US officials")
    h.retracted("Kirby")
    assert h.status() == "reported"


def test_denial_makes_claim_disputed() -> None:
    h = History()
    h.made()
    h.denied()
    assert h.status() == "disputed"


def test_two_origins_corroborate() -> None:
    h = History()
    h.made("Kirby", origin="US government")
    h.made("Reuters", origin="Israeli officials")
    assert h.status() == "corroborated"


def test_corroboration_from_another_origin_corroborates() -> None:
    h = History()
    h.made("Kirby", origin="US government")
    h.corroborated("Mossad")
    assert h.status() == "corroborated"


def test_same_origin_repetition_is_not_corroboration() -> None:
    h = History()
    h.made("Wall Street Journal", attributed_to="US government")
    h.made("John Kirby (US NSC)", origin="us GOVERNMENT")
    h.corroborated("Pentagon", origin="US Government")
    assert h.status() == "asserted"


def test_corroboration_origin_defaults_to_corroborator() -> None:
    h = History()
    h.made("Kirby")  # origin defaults to the claimant
    h.corroborated("KIRBY")
    assert h.status() == "asserted"


def test_on_record_assertion_is_asserted() -> None:
    h = History()
    h.made("Kirby")
    assert h.status() == "asserted"


@pytest.mark.parametrize("extra", [{"attributed_to": "unnamed officials"}, {"on_record": False}])
def test_off_record_assertions_only_are_reported(extra: dict[str, Any]) -> None:
    h = History()
    h.made("WSJ", **extra)
    assert h.status() == "reported"


# --- each precedence pair ---------------------------------------------------------------------


def test_resolution_beats_unasserted() -> None:
    h = History()
    h.resolved("refuted")
    assert h.status() == "refuted"


def test_resolution_beats_retracted_and_disputed() -> None:
    h = History()
    h.made("Kirby")
    h.denied()
    h.retracted("Kirby")
    h.resolved("confirmed", occurred="2023-11-07")
    assert h.status() == "confirmed"


def test_unasserted_beats_retracted_and_disputed() -> None:
    h = History()
    h.denied()
    h.retracted("Kirby")
    assert h.status() == "unasserted"


def test_retracted_beats_disputed() -> None:
    h = History()
    h.made("Kirby")
    h.denied()
    h.retracted("Kirby")
    assert h.status() == "retracted"


def test_retracted_beats_corroborated() -> None:
    h = History()
    h.made("Kirby")
    h.corroborated("Mossad")
    h.retracted("Kirby")
    assert h.status() == "retracted"


def test_disputed_beats_corroborated() -> None:
    h = History()
    h.made("Kirby")
    h.corroborated("Mossad")
    h.denied()
    assert h.status() == "disputed"


def test_disputed_beats_reported() -> None:
    h = History()
    h.made("WSJ", attributed_to="officials")
    h.denied()
    assert h.status() == "disputed"


def test_corroborated_beats_asserted_and_reported() -> None:
    h = History()
    h.made("WSJ", attributed_to="US officials")
    h.made("Haaretz", attributed_to="Israeli officials")
    assert h.status() == "corroborated"
    h.made("Kirby", origin="US officials")
    assert h.status() == "corroborated"


def test_asserted_beats_reported() -> None:
    h = History()
    h.made("WSJ", attributed_to="US government")
    h.made("Kirby", origin="US government")
    assert h.status() == "asserted"


def test_retracted_on_record_assertion_leaves_claim_reported() -> None:
    h = History()
    h.made("Kirby", origin="US government")
    h.made("WSJ", attributed_to="US government")
    h.retracted("kirby")
    assert h.status() == "reported"


def test_retracted_assertion_no_longer_counts_as_origin() -> None:
    h = History()
    h.made("Kirby", origin="US government")
    h.made("Haaretz", origin="Israeli officials", occurred="2023-11-03")
    assert h.status() == "corroborated"
    h.retracted("Haaretz")
    assert h.status() == "asserted"


# --- time and errata through the projection ---------------------------------------------------


def test_seed_article_bases() -> None:
    h = History()
    h.made("Wall Street Journal", attributed_to="unidentified US officials", origin="US government")
    h.denied("Dmitry Peskov (Kremlin)", occurred="2023-11-02/2023-11-20")
    assert h.project(as_of="2023-11-01")["event_count"] == 0
    at_2nd = h.project(as_of="2023-11-02")
    assert at_2nd["status"] == "disputed" and at_2nd["tentative"] is True
    assert at_2nd["denials"][0]["tentative"] is True
    assert h.status(as_of="2023-11-02", certain=True) == "reported"
    assert h.status(as_of="2023-11-10", certain=True) == "reported"
    assert h.status(as_of="2023-11-21", certain=True) == "disputed"
    assert h.project(as_of="2023-11-21")["tentative"] is False


def test_voided_denial_no_longer_disputes() -> None:
    h = History()
    h.made()
    d = h.denied()
    h.add("RecordVoided", None, target_event_id=d, reason="wrong claim")
    assert h.status() == "asserted"
    assert h.status(position=2) == "disputed"
    assert h.project()["event_count"] == 1


def test_corrected_claimant_changes_retraction_match() -> None:
    h = History()
    m = h.made("Kirby")
    h.retracted("Peskov")
    assert h.status() == "asserted"
    h.add("RecordCorrected", None, target_event_id=m, changes={"claimant": "PESKOV"}, reason="x")
    assert h.status() == "retracted"


def test_moved_retraction_reorders_activity() -> None:
    h = History()
    h.made("Kirby", occurred="2023-11-02")
    r = h.retracted("Kirby", occurred="2023-11-05")
    assert h.status() == "retracted"
    h.add(
        "RecordCorrected",
        None,
        target_event_id=r,
        changes={"occurred_at": "2023-11-01"},
        reason="wrong date",
    )
    assert h.status() == "asserted"


# --- the output shape -------------------------------------------------------------------------


def test_project_has_exactly_the_design_keys_and_item_fields() -> None:
    h = History()
    h.made(
        "WSJ",
        occurred="2023-11-02",
        attributed_to="officials",
        quote="q",
        source={"name": "Wall Street Journal"},
        tags=["cameo:0332"],
    )
    h.denied("Peskov", occurred="2023-11-03/2023-11-20")
    h.corroborated("Mossad", occurred="2023-11-04", evidence="photos")
    h.retracted("Nobody", occurred="2023-11-05")
    h.add(
        "SanctionThreatened",
        "2023-11-21",
        threatened_by="Kirby",
        target="Russian entities",
        condition="if transferred",
    )
    h.add("SanctionImposed", "2023-11-22", imposed_by="OFAC", target="Wagner")
    h.add("ClaimLinked", "2023-11-21", relation="refines", other_claim_id="other")
    h.add("ClaimLinked", "2023-11-21", relation="supports", other_claim_id="unknown")
    h.resolved("confirmed", occurred="2023-11-30")
    h.add("RecordCorrected", None, target_event_id="e3", changes={"evidence": "video"}, reason="r")
    out = h.project(links={"other": "asserted"})

    assert list(out) == KEYS
    assert out["event_count"] == 9  # the erratum is not counted
    assert out["statement"] == "Wagner will supply a Pantsir-S1"
    assert out["first_occurred_at"] == "2023-11-02T00:00:00.000000Z"
    assert out["last_occurred_at"] == "2023-11-30T00:00:00.000000Z"
    assert out["tentative"] is False

    claimant = out["claimants"][0]
    assert list(claimant)[:7] == COMMON
    assert claimant["actor"] == "WSJ" and claimant["claimant"] == "WSJ"
    assert claimant["occurred_to"] == "2023-11-03T00:00:00.000000Z"
    assert claimant["on_record"] is False and claimant["origin"] == "officials"
    assert claimant["source"] == {"name": "Wall Street Journal"} and claimant["quote"] == "q"
    assert claimant["tags"] == ["cameo:0332"] and claimant["modality"] == "fact"
    assert out["denials"][0]["actor"] == "Peskov" and out["denials"][0]["source"] is None
    assert out["denials"][0]["occurred_to"] == "2023-11-21T00:00:00.000000Z"
    assert out["corroborations"][0]["evidence"] == "video"
    assert out["corroborations"][0]["origin"] == "Mossad"
    assert out["retractions"][0]["actor"] == "Nobody"
    assert [(s["kind"], s["actor"]) for s in out["sanctions"]] == [
        ("threatened", "Kirby"),
        ("imposed", "OFAC"),
    ]
    assert out["sanctions"][0]["condition"] == "if transferred"
    assert out["sanctions"][1]["measures"] is None
    assert [(x["relation"], x["other_status"]) for x in out["links"]] == [
        ("refines", "asserted"),
        ("supports", None),
    ]
    assert out["links"][0]["actor"] is None and out["links"][0]["note"] is None
    assert out["resolution"]["outcome"] == "confirmed"
    assert out["resolution"]["actor"] == "UN panel"
    assert out["status"] == "confirmed"


def test_statement_comes_from_first_claim_made_in_fold_order() -> None:
    h = History()
    h.made("A", occurred="2023-11-05", statement="later")
    h.made("B", occurred="2023-11-01", statement="earlier")
    out = h.project()
    assert out["statement"] == "earlier"
    assert [c["actor"] for c in out["claimants"]] == ["B", "A"]


def test_empty_view_projects_to_unasserted_with_nulls() -> None:
    out = History().project()
    assert list(out) == KEYS
    assert out["status"] == "unasserted" and out["event_count"] == 0
    assert out["first_occurred_at"] is None and out["resolution"] is None
    assert out["statement"] is None


def test_fold_is_apply_reduced_and_ignores_errata() -> None:
    h = History()
    h.made()
    h.denied()
    view = visible_events(h.events, position=2, as_of=None, certain=False)
    state = EMPTY
    for event in view:
        state = apply(state, event)
    assert state == fold(view)
    assert status(state) == "disputed"
    assert apply(state, replace(view[0], type="RecordVoided")) == state

