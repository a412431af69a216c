"""A claim's persisted snapshot: its answer at the head, and its valid-time timelines.

Why this answers any `--as-of` without refolding: in fold order (occurred_from, position) the
events kept at a world-time cut-off E are a *prefix* (those with occurred_from < E). Each list
of the head answer is in fold order too, so its items kept at E are a prefix of it, and the
timeline stores, per distinct occurred_from, how long each prefix is, with the values a fold
computes over the whole prefix (status, event count, the latest occurred_to for `tentative`).
`--certain` keeps `occurred_to <= E` instead, which is not a prefix, so it has a timeline of its
own keyed by occurred_to and filters items by their occurred_to. A snapshot is the state at one
log position; it may be reused at an earlier position P only when the claim has no event after
P (the caller checks `last_position`), and only while the actor registry resolves every actor
name it holds as it did when it was built (`actor_keys`: an alias registered later merges
names in claims that have no event of their own after it).

Stored as three orjson documents: the small valid-time `timeline` (status filters and links
read only that), the `certain` timeline (decoded only by `--certain` questions) and the `body`
(the head answer, every resolution, and each item's occurred_to as an integer, with an index
of where each part lies: snapshot_body.py). `answer_json_at` and `row_at` join slices of the
body's text for the usual answer of a list; `answer_at` decodes the body afresh for every
answer, so an answer owns its dicts and may be edited in place.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.domain.actors import Registry, is_actor_stream, name_key
from ledger.domain.claims import fold_steps, item_of, render, scan
from ledger.domain.time import format_instant
from ledger.domain.view import LogEvent, ViewEvent, visible_events
from ledger.projections.snapshot_body import (
    NOT_THE_STATEMENT,
    RESOLUTION,
    Layout,
    decode,
    encode,
    layout,
)

#: Beyond this many distinct occurred_to values the --certain timeline (quadratic to build) is
#: not stored and such questions refold the claim from the log instead.
MAX_CERTAIN_POINTS = 256

#: The head answer's lists in slot order; slot 4 holds the resolutions (only the last is shown).
_KEYS = ("claimants", "denials", "corroborations", "retractions", "resolution", "sanctions", "links")
_RESOLUTION = 4
_SLOT = {
    "ClaimMade": 0,
    "ClaimDenied": 1,
    "ClaimCorroborated": 2,
    "ClaimRetracted": 3,
    "ClaimResolved": 4,
    "SanctionThreatened": 5,
    "SanctionImposed": 5,
    "ClaimLinked": 6,
}
_NO_SLOT = -1  # a type outside the lists (a newer schema): counted, never shown

# Valid-time timeline row: [E_from, status, event_count, max occurred_to, *items per slot].
_COUNTS = 4


@dataclass(frozen=True, slots=True)
class Built:
    """One claim's projection row, ready to store."""

    status: str  # at the head
    timeline: bytes
    certain: bytes  # b"null" when not stored (see MAX_CERTAIN_POINTS)
    body: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stored row as questions read it (the body stays encoded until answered)."""

    last_position: int
    timeline: list[list[Any]]
    certain: bytes  # decoded on use: a claim list at a plain --as-of never needs it
    body: bytes


def build_snapshot(
    claim_id: str,
    events: Sequence[LogEvent],
    position: int,
    actors: Registry | None = None,
) -> Built | None:
    """The snapshot of one claim from its stored events up to `position` (None: nothing kept).

    `actors`: the registry at `position`. An actor stream is not a claim and has no snapshot.
    """
    if is_actor_stream(claim_id):
        return None
    kept = visible_events(events, position=position, as_of=None, certain=False)
    if not kept:
        return None
    state, statuses = fold_steps(kept, actors=actors)
    answer = render(claim_id, state, link_status=_no_status, actors=actors)
    resolutions = [item_of(e, actors) for e in kept if e.type == "ClaimResolved"]
    answer["resolution"] = None  # filled from `resolutions` when answered
    ends: list[list[int]] = [[] for _ in _KEYS]
    for e in kept:
        slot = _SLOT.get(e.type, _NO_SLOT)
        if slot != _NO_SLOT:
            ends[slot].append(e.occurred_to)
    timeline = _timeline(kept, statuses)
    certain = _certain_timeline(kept, statuses, actors)
    return Built(
        status=statuses[-1],
        timeline=orjson.dumps(timeline),
        certain=orjson.dumps(certain),
        body=encode(answer, resolutions, ends),
    )


def load_snapshot(last_position: int, timeline: bytes, certain: bytes, body: bytes) -> Snapshot:
    """A stored row as questions read it: the valid-time timeline decoded, the rest kept."""
    return Snapshot(last_position, orjson.loads(timeline), bytes(certain), bytes(body))


def _no_status(_claim_id: str) -> str | None:
    return None


def _timeline(kept: list[ViewEvent], statuses: list[str]) -> list[list[Any]]:
    """One row per distinct occurred_from (see `_COUNTS` for the columns)."""
    rows: list[list[Any]] = []
    counts = [0] * len(_KEYS)
    max_to = kept[0].occurred_to
    last = len(kept) - 1
    for i, event in enumerate(kept):
        slot = _SLOT.get(event.type, _NO_SLOT)
        if slot != _NO_SLOT:
            counts[slot] += 1
        if event.occurred_to > max_to:
            max_to = event.occurred_to
        if i == last or kept[i + 1].occurred_from != event.occurred_from:
            rows.append([event.occurred_from + 1, statuses[i], i + 1, max_to, *counts])
    return rows


def _certain_timeline(
    kept: list[ViewEvent], statuses: list[str], actors: Registry | None = None
) -> list[list[Any]] | None:
    """[E_from, status, event_count, first occurred_from, last occurred_from] per occurred_to."""
    if all(e.occurred_to <= kept[i + 1].occurred_to for i, e in enumerate(kept[:-1])):
        # Common case: occurred_to never decreases along the fold order, so the certain set at
        # each occurred_to is a prefix too and the one fold serves every point.
        return [
            [e.occurred_to, statuses[i], i + 1, kept[0].occurred_from, e.occurred_from]
            for i, e in enumerate(kept)
            if i + 1 == len(kept) or kept[i + 1].occurred_to != e.occurred_to
        ]
    points = sorted({e.occurred_to for e in kept})
    if len(points) > MAX_CERTAIN_POINTS:
        return None
    rows = []
    for t in points:
        subset = [e for e in kept if e.occurred_to <= t]
        *_, (_last, state_status, count) = scan(subset, actors=actors)
        starts = [e.occurred_from for e in subset]
        rows.append([t, state_status, count, min(starts), max(starts)])
    return rows


def status_at(snapshot: Snapshot, as_of: int | None, certain: bool) -> str | None:
    """The claim's status at a world-time cut-off (None: nothing of it visible)."""
    point = _point(snapshot, as_of, certain)
    return None if point is None else point[1]


def links_at_head(snapshot: Snapshot) -> int:
    """How many links the claim makes at the snapshot's position (any world time)."""
    return int(snapshot.timeline[-1][_COUNTS + _SLOT["ClaimLinked"]])


def has_certain_timeline(snapshot: Snapshot) -> bool:
    return snapshot.certain != _NULL


_NULL = orjson.dumps(None)


def actor_keys(snapshot: Snapshot) -> set[str]:
    """The normalised actor names the snapshot's answer holds, in any role."""
    answer, resolutions, _ends = decode(snapshot.body)
    keys: set[str] = set()
    for name in _KEYS:
        items = resolutions if name == "resolution" else answer[name]
        for item in items:
            actor = item.get("actor")
            if isinstance(actor, str):
                keys.add(name_key(actor))
    return keys


def _point(snapshot: Snapshot, as_of: int | None, certain: bool) -> list[Any] | None:
    if as_of is None:
        return snapshot.timeline[-1]
    timeline = orjson.loads(snapshot.certain) if certain else snapshot.timeline
    if timeline is None:
        raise ValueError("no --certain timeline stored for this claim")
    if as_of >= timeline[-1][0]:
        return timeline[-1]  # the usual case for a claim wholly in the past of E
    index = bisect_right(timeline, as_of, key=_first) - 1
    return None if index < 0 else timeline[index]


def _first(row: list[Any]) -> int:
    return int(row[0])


def answer_at(
    snapshot: Snapshot,
    as_of: int | None,
    certain: bool,
    link_status: Callable[[str], str | None],
) -> dict[str, Any] | None:
    """The claim answer (docs/answers.md) at a cut-off, derived from the snapshot (without `basis`)."""
    point = _point(snapshot, as_of, certain)
    if point is None:
        return None
    answer, resolutions, ends = decode(snapshot.body)
    if as_of is None:
        kept_resolutions = resolutions
    elif certain:
        kept_resolutions = _certain_lists(answer, resolutions, ends, as_of, point)
    else:
        kept_resolutions = _valid_lists(answer, resolutions, ends, as_of, point)
    answer["resolution"] = kept_resolutions[-1] if kept_resolutions else None
    for link in answer["links"]:
        other = link.get("other_claim_id")
        link["other_status"] = link_status(other) if isinstance(other, str) else None
    return answer


def _valid_lists(
    answer: dict[str, Any], resolutions: list[Any], ends: list[list[int]], as_of: int, point: list[Any]
) -> list[Any]:
    """Cut the head answer to the prefix kept at E; returns the kept resolutions."""
    counts = point[_COUNTS:]
    if point[2] != answer["event_count"]:
        for slot, key in enumerate(_KEYS):
            if slot != _RESOLUTION and len(answer[key]) != counts[slot]:
                answer[key] = answer[key][: counts[slot]]
        answer["statement"] = _statement(answer["claimants"])
    resolutions = resolutions[: counts[_RESOLUTION]]
    if point[3] > as_of:
        # Some kept event may end after E: it may not have happened yet.
        for slot, key in enumerate(_KEYS):
            items = resolutions if slot == _RESOLUTION else answer[key]
            for item, end in zip(items, ends[slot]):
                if end > as_of:
                    item["tentative"] = True
    answer["status"] = point[1]
    answer["event_count"] = point[2]
    answer["last_occurred_at"] = format_instant(point[0] - 1)
    answer["tentative"] = point[3] > as_of
    return resolutions


def _certain_lists(
    answer: dict[str, Any], resolutions: list[Any], ends: list[list[int]], as_of: int, point: list[Any]
) -> list[Any]:
    """Keep the items that ended by E; returns the kept resolutions."""
    for slot, key in enumerate(_KEYS):
        if slot == _RESOLUTION:
            resolutions = [i for i, end in zip(resolutions, ends[slot]) if end <= as_of]
        else:
            answer[key] = [i for i, end in zip(answer[key], ends[slot]) if end <= as_of]
    answer["statement"] = _statement(answer["claimants"])
    answer["status"] = point[1]
    answer["event_count"] = point[2]
    answer["first_occurred_at"] = format_instant(point[3])
    answer["last_occurred_at"] = format_instant(point[4])
    answer["tentative"] = False
    return resolutions


def _statement(claimants: list[dict[str, Any]]) -> str | None:
    # As the fold: the first assertion in fold order that carries a statement.
    for item in claimants:
        if isinstance(item.get("statement"), str):
            return str(item["statement"])
    return None


_LINKS = _SLOT["ClaimLinked"]
_SANCTIONS = _SLOT["SanctionImposed"]


def answer_json_at(
    claim_id: str, snapshot: Snapshot, as_of: int | None, certain: bool, linked_from: bytes,
    basis: bytes,
) -> bytes | None:
    """`orjson.dumps` of the answer (with `linked_from` and `basis` as given, encoded), from
    the body's text without decoding it; None when the answer has to be built from the decoded
    body: a body without an index, a claim that links to others (their status at the basis
    goes into each link), --certain, or an item that may not have happened by E.
    """
    found = layout(snapshot.body)
    if found is None or len(found.slots[_LINKS]) > 1:
        return None
    body, a = found.body, found.a
    if as_of is None:
        kept = len(found.slots[RESOLUTION]) - 1
        resolution = found.item(RESOLUTION, kept - 1) if kept else b"null"
        null, links_end = a + found.res_null, a + found.links_end
        return b"".join((
            body[a:null], resolution, body[null + 4 : links_end], b',"linked_from":', linked_from,
            body[links_end : found.r - 2], b',"basis":', basis, b"}",
        ))
    if certain:
        return None
    point = _point(snapshot, as_of, certain)
    if point is None or point[3] > as_of:
        return None
    cut = _cut(found, point)
    if cut is None:
        return None
    counts, statement = cut
    kept = min(point[_COUNTS + RESOLUTION], len(found.slots[RESOLUTION]) - 1)
    items = found.items
    return b"".join((
        body[a : a + found.statement[0]], statement,
        b',"status":', orjson.dumps(point[1]),
        b',"claimants":', items(0, counts[0]), b',"denials":', items(1, counts[1]),
        b',"corroborations":', items(2, counts[2]), b',"retractions":', items(3, counts[3]),
        b',"resolution":', found.item(RESOLUTION, kept - 1) if kept else b"null",
        b',"sanctions":', items(_SANCTIONS, counts[_SANCTIONS]), b',"links":[]',
        b',"linked_from":', linked_from,
        b',"event_count":', str(point[2]).encode(),
        b',"first_occurred_at":', found.span(found.first),
        b',"last_occurred_at":', orjson.dumps(format_instant(point[0] - 1)),
        b',"tentative":false,"basis":', basis, b"}",
    ))


def _cut(found: Layout, point: list[Any]) -> tuple[list[int | None], bytes] | None:
    """Per slot how many items are kept (None: all), and the statement's JSON text, at a
    timeline point; None when the statement has to come from the decoded body.

    As `_valid_lists`: the lists are cut and the statement taken again only when the point
    keeps fewer events than the head.
    """
    statement = found.span(found.statement)
    if point[2] == found.head[1]:
        return [None] * len(_KEYS), statement
    first = found.statement_at
    if first == NOT_THE_STATEMENT:
        return None
    counts = point[_COUNTS:]
    return counts, statement if 0 <= first < counts[0] else b"null"


def row_at(
    claim_id: str, snapshot: Snapshot, as_of: int | None, certain: bool
) -> dict[str, Any] | None:
    """What a csv or table row shows of the answer at a cut-off, from the body's index alone
    (the keys of `ledger.service.claim_lists.row_of`); None when it needs the decoded answer."""
    found = layout(snapshot.body)
    if found is None:
        return None
    if as_of is None:
        status, event_count, first, last, tentative = found.head
        counts: list[int | None] = [None] * len(_KEYS)
        statement = found.span(found.statement)
    else:
        if certain:
            return None
        point = _point(snapshot, as_of, certain)
        if point is None:
            return None
        cut = _cut(found, point)
        if cut is None:
            return None
        counts, statement = cut
        status, event_count, first = point[1], point[2], found.head[2]
        last, tentative = format_instant(point[0] - 1), point[3] > as_of
    claimants, denials, corroborations, claimant_origins, corroboration_origins = found.names
    made, corroborated = counts[0], counts[2]
    sanctions = len(found.slots[_SANCTIONS]) - 1
    if counts[_SANCTIONS] is not None:
        sanctions = min(sanctions, counts[_SANCTIONS])
    return {
        "claim_id": claim_id,
        "status": status,
        "statement": orjson.loads(statement),
        "claimants": claimants[:made],
        "denials": denials[: counts[1]],
        "origins": [o or a for o, a in zip(claimant_origins[:made], claimants[:made])]
        + [o or a for o, a in zip(corroboration_origins[:corroborated], corroborations)],
        "sanctions": sanctions,
        "event_count": event_count,
        "first_occurred_at": first,
        "last_occurred_at": last,
        "tentative": tentative,
    }
