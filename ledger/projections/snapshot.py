"""A claim's persisted snapshot: its answer at the head, and its valid-time timelines.

Why this answers any `--as-of` without refolding: in fold order (occurred_from, position) the
events kept at a world-time cut-off E are a *prefix* (those with occurred_from < E). So the
head answer's lists, filtered by `occurred_from < E`, are exactly the lists at E, and only the
values a fold computes over the whole prefix (status, event count, the latest occurred_to for
`tentative`) need storing, once per distinct occurred_from: the valid-time timeline. `--certain`
keeps `occurred_to <= E` instead, which is not a prefix, so it has a timeline of its own keyed by
occurred_to. A snapshot is the state at one log position; it may be reused at an earlier
position P only when the claim has no event after P (the caller checks `last_position`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from ledger.domain.claims import fold, item_of, render, scan
from ledger.domain.model import StoredEvent
from ledger.domain.time import format_instant
from ledger.domain.view import ViewEvent, visible_events

#: Beyond this many distinct occurred_to values the --certain timeline (quadratic to build) is
#: not stored and such questions refold the claim from the log instead.
MAX_CERTAIN_POINTS = 256

_LISTS = ("claimants", "denials", "corroborations", "retractions", "sanctions", "links")

Snapshot = dict[str, Any]


def build_snapshot(claim_id: str, events: Sequence[StoredEvent], position: int) -> Snapshot | None:
    """The snapshot of one claim from its stored events up to `position` (None: nothing kept)."""
    kept = visible_events(events, position=position, as_of=None, certain=False)
    if not kept:
        return None
    answer = render(claim_id, fold(kept), link_status=_no_status)
    return {
        "answer": answer,
        "resolutions": [item_of(e) for e in kept if e.type == "ClaimResolved"],
        "timeline": _timeline(kept),
        "certain": _certain_timeline(kept),
    }


def _no_status(_claim_id: str) -> str | None:
    return None


def _timeline(kept: list[ViewEvent]) -> list[list[Any]]:
    """[E_from, status, event_count, max occurred_to] per distinct occurred_from."""
    rows: list[list[Any]] = []
    max_to = 0
    steps = list(scan(kept))
    for i, (event, state_status, count) in enumerate(steps):
        max_to = max(max_to, event.occurred_to) if i else event.occurred_to
        if i + 1 == len(steps) or steps[i + 1][0].occurred_from != event.occurred_from:
            rows.append([event.occurred_from + 1, state_status, count, max_to])
    return rows


def _certain_timeline(kept: list[ViewEvent]) -> list[list[Any]] | None:
    """[E_from, status, event_count, first occurred_from, last occurred_from] per occurred_to."""
    points = sorted({e.occurred_to for e in kept})
    if len(points) > MAX_CERTAIN_POINTS:
        return None
    if all(e.occurred_to <= kept[i + 1].occurred_to for i, e in enumerate(kept[:-1])):
        # Common case: occurred_to never decreases along the fold order, so the certain set at
        # each occurred_to is a prefix too and one scan serves every point.
        return [
            [e.occurred_to, st, n, kept[0].occurred_from, e.occurred_from]
            for i, (e, st, n) in enumerate(scan(kept))
            if i + 1 == len(kept) or kept[i + 1].occurred_to != e.occurred_to
        ]
    rows = []
    for t in points:
        subset = [e for e in kept if e.occurred_to <= t]
        *_, (_last, state_status, count) = scan(subset)
        starts = [e.occurred_from for e in subset]
        rows.append([t, state_status, count, min(starts), max(starts)])
    return rows


def status_at(snapshot: Snapshot, as_of: int | None, certain: bool) -> str | None:
    """The claim's status at a world-time cut-off (None: nothing of it visible)."""
    point = _point(snapshot, as_of, certain)
    return None if point is None else point[1]


def has_certain_timeline(snapshot: Snapshot) -> bool:
    return snapshot["certain"] is not None


def _point(snapshot: Snapshot, as_of: int | None, certain: bool) -> list[Any] | None:
    if as_of is None:
        return snapshot["timeline"][-1]
    timeline = snapshot["certain"] if certain else snapshot["timeline"]
    if timeline is None:
        raise ValueError("no --certain timeline stored for this claim")
    index = bisect_right([row[0] for row in timeline], as_of) - 1
    return None if index < 0 else timeline[index]


def answer_at(
    snapshot: Snapshot,
    as_of: int | None,
    certain: bool,
    link_status: Callable[[str], str | None],
) -> dict[str, Any] | None:
    """The DESIGN §5 object at a cut-off, derived from the snapshot (without `basis`)."""
    point = _point(snapshot, as_of, certain)
    if point is None:
        return None
    head = snapshot["answer"]
    if as_of is None:
        keep = _all
        mark = _untouched
    elif certain:
        bound = format_instant(as_of)
        keep = lambda item: item["occurred_to"] <= bound  # noqa: E731 - ISO strings sort as time
        mark = _untouched
    else:
        bound = format_instant(as_of)
        keep = lambda item: item["occurred_from"] < bound  # noqa: E731
        mark = lambda item: _tentative(item, bound)  # noqa: E731
    answer: dict[str, Any] = {"claim_id": head["claim_id"]}
    lists = {key: [mark(i) for i in head[key] if keep(i)] for key in _LISTS}
    claimants = lists["claimants"]
    answer["statement"] = claimants[0].get("statement") if claimants else None
    answer["status"] = point[1]
    answer.update({k: lists[k] for k in ("claimants", "denials", "corroborations", "retractions")})
    resolutions = [mark(i) for i in snapshot["resolutions"] if keep(i)]
    answer["resolution"] = resolutions[-1] if resolutions else None
    answer["sanctions"] = lists["sanctions"]
    for link in lists["links"]:
        link["other_status"] = link_status(link["other_claim_id"])
    answer["links"] = lists["links"]
    answer["event_count"] = point[2]
    if certain and as_of is not None:
        answer["first_occurred_at"] = format_instant(point[3])
        answer["last_occurred_at"] = format_instant(point[4])
        answer["tentative"] = False
    else:
        answer["first_occurred_at"] = head["first_occurred_at"]
        answer["last_occurred_at"] = format_instant(point[0] - 1)
        answer["tentative"] = as_of is not None and point[3] > as_of
    return answer


def _all(_item: dict[str, Any]) -> bool:
    return True


def _untouched(item: dict[str, Any]) -> dict[str, Any]:
    return dict(item)


def _tentative(item: dict[str, Any], bound: str) -> dict[str, Any]:
    copy = dict(item)
    copy["tentative"] = item["occurred_to"] > bound
    return copy
