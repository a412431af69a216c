"""`why` against a plain model of the status rules, on random histories with errata."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.service import NotFoundError
from tests.unit.explain_support import (
    CLAIM,
    DAYS,
    Story,
    active,
    histories,
    kept,
    model_rule,
)

# (as_of day or None, certain, how many positions before the head): mostly late bases, where
# the claim has events to explain.
bases = st.tuples(st.one_of(st.none(), st.integers(6, 27)), st.booleans(), st.integers(0, 3))


def _ask(story: Story, as_of: int | None, certain: bool, position: int) -> Any:
    kwargs: dict[str, Any] = {"known_at": f"@{position}", "certain": certain}
    if as_of is not None:
        kwargs["as_of"] = DAYS[as_of]
    try:
        return story.ledger.why(CLAIM, **kwargs), story.ledger.show(CLAIM, **kwargs)
    except NotFoundError:
        return None, None


@settings(max_examples=150, deadline=None)
@given(history=histories, basis=bases)
def test_why_agrees_with_the_model_and_with_show(history: list[Any], basis: Any) -> None:
    story = Story(history)
    as_of, certain, at = basis
    assume(story.position > 0)
    position = max(1, story.position - at)
    why, show = _ask(story, as_of, certain, position)
    view = kept(story.at_position[position], as_of, certain and as_of is not None)
    if not view:
        assert why is None
        return
    rule, status = model_rule(view)
    assert (why["rule"], why["status"]) == (rule, status)
    assert why["status"] == show["status"] and why["tentative"] == show["tentative"]
    assert why["basis"] == show["basis"]
    roles = {r["event_id"]: r["role"] for r in why["reasons"]}
    live = active(view)
    if rule == 1:
        assert roles == {[e for e in view if e.kind == "resolved"][-1].event_id: "resolves"}
    elif rule == 2:
        assert roles == {}
    elif rule == 3:
        expected = {}
        for i, e in enumerate(view):
            if e.kind == "made":
                expected[e.event_id] = "retracted"
                ender = next(r for r in view[i + 1:] if r.kind == "retracted"
                             and r.actor.casefold() == e.actor.casefold())
                expected[ender.event_id] = "retracts"
        assert roles == expected
    elif rule == 4:
        assert roles == {e.event_id: "denies" for e in view if e.kind == "denied"}
    else:
        expected = {e.event_id: "asserts" for e in live}
        if rule == 5:
            expected |= {e.event_id: "corroborates" for e in view if e.kind == "corroborated"}
        assert roles == expected
    # Reasons in fold order, each where the model has it.
    order = [e.event_id for e in view]
    assert [r["event_id"] for r in why["reasons"]] == sorted(roles, key=order.index)
    by_id = {e.event_id: e for e in view}
    for reason in why["reasons"]:
        assert reason["position"] == by_id[reason["event_id"]].position
    origins = {str(e.origin).casefold() for e in live}
    origins |= {str(e.origin).casefold() for e in view if e.kind == "corroborated"}
    assert sorted(o.casefold() for o in why["origins"]) == sorted(origins)
    assert why["fields"]["first_occurred_at"] == view[0].event_id
    latest = max(e.start for e in view)
    assert why["fields"]["last_occurred_at"] == next(
        e.event_id for e in view if e.start == latest)


@settings(max_examples=150, deadline=None)
@given(history=histories, basis=bases)
def test_removing_the_decisive_events_changes_the_status_or_the_rule(
    history: list[Any], basis: Any
) -> None:
    story = Story(history)
    as_of, certain, at = basis
    assume(story.position > 0)
    position = max(1, story.position - at)
    why, _show = _ask(story, as_of, certain, position)
    if why is None:
        return
    if why["rule"] == 2:
        # An absence decides it: no assertion is kept, so no event is named.
        assert why["reasons"] == []
        return
    named = {r["event_id"] for r in why["reasons"]}
    assert named
    view = kept(story.at_position[position], as_of, certain and as_of is not None)
    rest = [e for e in view if e.event_id not in named]
    before = (why["rule"], why["status"])
    after = model_rule(rest) if rest else None
    if after == before:
        # Only the last resolution is named; an earlier one with the same outcome remains.
        assert before[0] == 1
        assert [e for e in rest if e.kind == "resolved"][-1].outcome == why["status"]
    else:
        assert after != before


@pytest.mark.parametrize("certain", [False, True])
def test_why_of_a_claim_with_no_event_at_the_basis_is_one_not_found(certain: bool) -> None:
    story = Story([("event", {"type": "ClaimMade", "claim_id": CLAIM, "occurred_at": DAYS[5],
                              "data": {"claimant": "WSJ", "statement": "s"}})])
    with pytest.raises(NotFoundError, match="no visible event"):
        story.ledger.why(CLAIM, as_of=DAYS[2], certain=certain)
    with pytest.raises(NotFoundError, match="no claim 'other'"):
        story.ledger.why("other")
