"""`timeline` against `claim show` (a refold) on random histories with errata.

Each world item must be what `show --as-of <from>` answers at the basis position, and each
ledger item what `show --known-at @<position>` answers; between items the answer must not
change (so no change is missing from either list).
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.domain.time import US_PER_DAY, format_instant, parse_instant
from ledger.service import NotFoundError
from tests.unit.explain_support import CLAIM, DAYS, Story, histories


def _answer(story: Story, **basis: Any) -> tuple[str, bool] | None:
    try:
        shown = story.ledger.show(CLAIM, **basis)
    except NotFoundError:
        return None
    return shown["status"], shown["tentative"]


@settings(max_examples=80, deadline=None)
@given(history=histories, back=st.integers(0, 3))
def test_world_items_are_what_show_answers_at_their_from(history: list[Any], back: int) -> None:
    story = Story(history)
    assume(story.position > 0)
    at = f"@{max(1, story.position - back)}"
    try:
        answer = story.ledger.timeline(CLAIM, known_at=at)
    except NotFoundError:
        assert _answer(story, known_at=at) is None
        return
    world = answer["world"]
    starts = [parse_instant(item["from"]) for item in world]
    assert starts == sorted(set(starts)), "one item per instant, in world-time order"
    for item in world:
        assert _answer(story, as_of=item["from"], known_at=at) == (
            item["status"], item["tentative"])
    for earlier, later in zip(world, world[1:]):
        assert (earlier["status"], earlier["tentative"]) != (later["status"], later["tentative"])
    # Probes: every midnight of the month, and the instant before each item starts.
    first_day = parse_instant(DAYS[0] + "T00:00:00.000000Z")
    probes = {first_day + d * US_PER_DAY + extra for d in range(len(DAYS) + 2)
              for extra in (0, US_PER_DAY // 2)}
    probes |= {s - 1 for s in starts}
    for t in sorted(probes):
        holding = [item for s, item in zip(starts, world) if s <= t]
        expected = (holding[-1]["status"], holding[-1]["tentative"]) if holding else None
        assert _answer(story, as_of=format_instant(t), known_at=at) == expected, t


@settings(max_examples=80, deadline=None)
@given(history=histories, back=st.integers(0, 3))
def test_ledger_items_are_what_show_answers_at_their_position(
    history: list[Any], back: int
) -> None:
    story = Story(history)
    assume(story.position > 0)
    position = max(1, story.position - back)
    try:
        answer = story.ledger.timeline(CLAIM, known_at=f"@{position}")
    except NotFoundError:
        assert _answer(story, known_at=f"@{position}") is None
        return
    items = answer["ledger"]
    assert [i["position"] for i in items] == sorted({i["position"] for i in items})
    assert all(i["position"] <= position for i in items)
    assert items[0]["status"] is not None
    events = {e.position: e for e in story.ledger.store.read_claim(CLAIM)}
    for item in items:
        assert item["event_id"] == events[item["position"]].event_id
        assert item["recorded_at"] == format_instant(events[item["position"]].recorded_at)
    for p in range(1, position + 1):
        holding = [i for i in items if i["position"] <= p]
        expected = holding[-1]["status"] if holding else None
        shown = _answer(story, known_at=f"@{p}")
        assert (shown[0] if shown else None) == expected, p
    assert answer["basis"]["position"] == position and answer["basis"]["as_of"] is None
