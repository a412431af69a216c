"""A claim's status over world time (at one position) and over ledger time (position by position).

Pure: the caller passes the claim's stored events. Both timelines are defined by the answers
`claim show` gives: a `world` item holds from the instant `from` written as `--as-of`, i.e. the
cut-off E = from + 1 microsecond, and a `ledger` item is the answer at `--known-at @position`.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ledger.domain.claims import EMPTY, ClaimState, fold, fold_steps, status
from ledger.domain.model import ERRATA_TYPES
from ledger.domain.time import format_instant
from ledger.domain.view import LogEvent, ViewEvent, fold_key, visible_events

if TYPE_CHECKING:
    from ledger.domain.actors import Registry

__all__ = ["ledger_timeline", "world_timeline", "world_points"]


def world_points(
    kept: Sequence[ViewEvent], actors: Registry | None = None
) -> list[tuple[int, str, bool, list[str]]]:
    """(instant, status, tentative, event ids) at every instant where either may change.

    `kept` are the claim's kept events with no world-time cut-off, in fold order, and
    `actors` the registry at their position. The events kept at a cut-off E are those with
    occurred_from < E: a prefix of the fold order, so one fold gives the status of every
    prefix. Status changes only where an event starts; an answer stops being tentative where
    the last event that may not have happened yet ends.
    """
    if not kept:
        return []
    _state, statuses = _fold_steps(kept, actors)
    starts = [e.occurred_from for e in kept]
    # The latest occurred_to among each prefix: tentative at E iff it is > E.
    latest: list[int] = []
    for e in kept:
        latest.append(e.occurred_to if not latest or e.occurred_to > latest[-1] else latest[-1])
    causes: dict[int, list[str]] = {}
    for e in kept:
        causes.setdefault(e.occurred_from, []).append(e.event_id)
    for e in kept:
        # At the instant occurred_to - 1 the cut-off E reaches occurred_to: certainly happened.
        if e.occurred_to - 1 >= e.occurred_from:
            causes.setdefault(e.occurred_to - 1, []).append(e.event_id)
    points = []
    for t in sorted(causes):
        n = bisect_right(starts, t)
        if n == 0:
            continue
        points.append((t, statuses[n - 1], latest[n - 1] > t + 1, causes[t]))
    return points


def _fold_steps(kept: Sequence[ViewEvent], actors: Registry | None) -> tuple[Any, list[str]]:
    # Only name the registry when there is one: the fold without actors is the plain one.
    return fold_steps(kept) if actors is None else fold_steps(kept, actors=actors)


def world_timeline(
    kept: Sequence[ViewEvent], actors: Registry | None = None
) -> list[dict[str, Any]]:
    """One item per change of (status, tentative) over world time: {from, status, tentative,
    event_ids}, the event ids being those that start (or stop being tentative) at `from`."""
    items: list[dict[str, Any]] = []
    for t, now, tentative, event_ids in world_points(kept, actors):
        if items and items[-1]["status"] == now and items[-1]["tentative"] == tentative:
            continue
        items.append(
            {"from": format_instant(t), "status": now, "tentative": tentative,
             "event_ids": list(event_ids)}
        )
    return items


def ledger_timeline(
    events: Sequence[LogEvent],
    *,
    position: int,
    actors_at: Callable[[int], Registry | None] | None = None,
    others: Sequence[LogEvent] = (),
) -> list[dict[str, Any]]:
    """The status with no world-time cut-off after each position up to `position` that
    changed it: {position, recorded_at, status, event_id}; `status` is null from a position
    where nothing of the claim is visible any more (its events voided).

    The positions are the claim's own, and those of `others` (actor events, which change
    how its actors compare); `actors_at(p)` is the registry at position p.
    """
    ordered = sorted(
        (e for e in (*events, *others) if e.position <= position), key=lambda e: e.position
    )
    own = sorted((e for e in events if e.position <= position), key=lambda e: e.position)
    items: list[dict[str, Any]] = []
    previous: Any = ()  # no status yet (None is a status here: nothing visible)
    for event, now in zip(ordered, _statuses_in_log_order(ordered, own, actors_at)):
        if now == previous or (now is None and previous == ()):
            continue
        previous = now
        items.append(
            {"position": event.position, "recorded_at": format_instant(event.recorded_at),
             "status": now, "event_id": event.event_id}
        )
    return items


#: The types the status rules read; any other kept event leaves the status as it was.
_STATUS_TYPES = frozenset(
    {"ClaimMade", "ClaimDenied", "ClaimCorroborated", "ClaimRetracted", "ClaimResolved"}
)


def _statuses_in_log_order(
    ordered: Sequence[LogEvent],
    own: Sequence[LogEvent],
    actors_at: Callable[[int], Registry | None] | None,
) -> list[str | None]:
    """The claim's status after each event of `ordered` (position order).

    The view is carried from one position to the next: a world event joins it uncorrected
    (no erratum after it is visible yet), an erratum rebuilds it. The fold continues from the
    previous state when the new event comes last in fold order (the usual case: events
    recorded in world-time order), and is redone only when it lands earlier.
    """
    out: list[str | None] = []
    view: list[ViewEvent] = []  # the kept events after the last position, in fold order
    state: ClaimState | None = None  # the fold of `view`; None: to be redone
    registry: Registry | None = None
    own_ids = {e.event_id for e in own}
    for event in ordered:
        now = None if actors_at is None else actors_at(event.position)
        if now is not registry:
            registry, state = now, None
        if event.event_id not in own_ids:
            pass  # an actor event: only the registry changed
        elif event.type in ERRATA_TYPES:
            view = visible_events(own, position=event.position, as_of=None, certain=False)
            state = None
        else:
            (joined,) = visible_events([event], position=event.position, as_of=None,
                                       certain=False)
            if not view or fold_key(joined) >= fold_key(view[-1]):
                view.append(joined)
                if state is not None:
                    state = _fold([joined], registry, state)
            else:
                insort(view, joined, key=fold_key)
                if state is not None and event.type not in _STATUS_TYPES and out:
                    # Earlier in fold order but of a type the rules ignore: same status.
                    state = None
                    out.append(out[-1])
                    continue
                state = None
        if not view:
            out.append(None)
            continue
        if state is None:
            state = _fold(view, registry)
        out.append(status(state))
    return out


def _fold(
    events: Sequence[ViewEvent], actors: Registry | None, state: ClaimState | None = None
) -> ClaimState:
    start = EMPTY if state is None else state
    return fold(events, start) if actors is None else fold(events, start, actors=actors)
