"""A snapshot's answer as stored text (claim list -f jsonl, csv, table) is the fold's answer.

The fold (`project` over the events visible at the cut-off) is the model; the snapshot's text
is sliced from the stored body by `answer_json_at` and `row_at`, which must write what
encoding the fold's answer writes, or decline (None) so that the answer is decoded instead.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.claims import project
from ledger.domain.model import StoredEvent
from ledger.domain.view import visible_events
from ledger.projections.snapshot import (
    answer_at,
    answer_json_at,
    build_snapshot,
    load_snapshot,
    row_at,
    status_at,
)
from ledger.service.claim_lists import row_of
from tests.unit.test_projection_model import (
    BOOL,
    CLAIMS,
    DAY,
    SETTINGS,
    cutoffs,
    histories,
    model_interval,
    stored,
)

LINKED_FROM = [{"claim_id": "claim-z", "relation": "supports", "status": "asserted"}]
BASIS = {"as_of": None, "known_at": None, "certain": False, "position": 9, "head_hash": "ab"}


def _expected(events: list[StoredEvent], claim: str, e: int | None, certain: bool) -> Any:
    view = visible_events(events, position=len(events) and events[-1].position, as_of=e,
                          certain=certain)
    if not view:
        return None
    answer = project(claim, view, link_status=lambda other: None)
    shown: dict[str, Any] = {}
    for key, value in answer.items():
        shown[key] = value
        if key == "links":
            shown["linked_from"] = LINKED_FROM
    shown["basis"] = BASIS
    return shown


def _texts(events: list[StoredEvent], claim: str, e: int | None, certain: bool) -> Any:
    head = events[-1].position
    built = build_snapshot(claim, events, head)
    if built is None:
        return None, None, None
    snap = load_snapshot(head, built.timeline, built.certain, built.body)
    text = answer_json_at(
        claim, snap, e, certain, orjson.dumps(LINKED_FROM), orjson.dumps(BASIS)
    )
    return snap, text, row_at(claim, snap, e, certain)


@SETTINGS
@given(data=st.data(), events=histories())
def test_stored_text_is_the_folded_answer_encoded(
    data: st.DataObject, events: list[StoredEvent]
) -> None:
    e = data.draw(cutoffs, label="as_of")
    certain = data.draw(BOOL, label="certain")
    for claim in CLAIMS:
        mine = [ev for ev in events if ev.claim_id == claim]
        if not mine:
            continue
        expected = _expected(mine, claim, e, certain)
        snap, text, row = _texts(mine, claim, e, certain)
        if expected is None or snap is None:
            assert text is None and row is None
            continue
        if text is not None:
            assert text == orjson.dumps(expected)
        if row is not None:
            assert row == row_of(expected)


def _made(position: int, day: str, claimant: str, **data: Any) -> StoredEvent:
    return stored(position, f"ev-{position}", "ClaimMade", "claim-a", model_interval(day),
                  {"claimant": claimant, "statement": "s", **data})


def test_a_claim_cut_at_a_world_time_is_answered_from_its_text() -> None:
    events = [
        _made(1, "2023-11-01", "Kirby", origin="US government"),
        stored(2, "ev-2", "ClaimDenied", "claim-a", model_interval("2023-11-03"),
               {"denier": "Peskov"}),
        _made(3, "2023-11-05", "Reuters"),
        stored(4, "ev-4", "ClaimResolved", "claim-a", model_interval("2023-11-02"),
               {"resolver": "UN", "outcome": "confirmed"}),
    ]
    cut = model_interval("2023-11-03")[1]  # after the 3rd: the denial, not the second claim
    for e in (None, cut, cut + 30 * DAY):
        _snap, text, row = _texts(events, "claim-a", e, False)
        expected = _expected(events, "claim-a", e, False)
        assert text == orjson.dumps(expected)
        assert row == row_of(expected)
    assert [c["actor"] for c in orjson.loads(_texts(events, "claim-a", cut, False)[1])[
        "claimants"]] == ["Kirby"]


def test_a_body_without_an_index_is_answered_by_decoding_it() -> None:
    events = [_made(1, "2023-11-01", "Kirby"), _made(2, "2023-11-05", "Reuters")]
    built = build_snapshot("claim-a", events, 2)
    assert built is not None
    snap = load_snapshot(2, built.timeline, built.certain, built.body)
    answer, resolutions, ends = orjson.loads(built.body)[2:]
    # How bodies were stored before they carried an index: [A, R, E].
    old = load_snapshot(2, built.timeline, built.certain, orjson.dumps([answer, resolutions, ends]))
    e = model_interval("2023-11-02")[1]
    assert answer_json_at("claim-a", old, e, False, b"[]", b"{}") is None
    assert row_at("claim-a", old, e, False) is None
    for when in (None, e):
        no_links = lambda c: None  # noqa: E731
        assert answer_at(old, when, False, no_links) == answer_at(snap, when, False, no_links)
        assert status_at(old, when, False) == status_at(snap, when, False)
