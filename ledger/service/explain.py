"""Explanations: why a claim has its status, its status on both time axes, and a picture of it.

Each question reads only the claim's own events (`read_claim` up to the basis position) and the
actor registry's, never the whole log, so it costs the same on a ledger of ten events or of
millions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ledger.domain.actors import Registry, name_key, registry_at, touched_keys
from ledger.domain.claims import ACTOR_FIELD, fold
from ledger.domain.errors import InvalidInput, NotFoundError
from ledger.domain.time import US_PER_DAY, describe_instant
from ledger.domain.view import LogEvent, apply_errata, visible_events
from ledger.projections.timeline import ledger_timeline, world_points, world_timeline
from ledger.projections.why import explain, runner_up, sentence

if TYPE_CHECKING:
    from ledger.service.ledger import Answer, Ledger

#: Beyond this many of a claim's positions the picture draws only the latest ones: each row
#: is a view of the claim at that position, and a taller picture is unreadable anyway.
MAX_PICTURE_ROWS = 120

PICTURE_FORMATS = ("svg", "png")

_WHY_KEYS = ("claim_id", "status", "tentative", "basis", "rule", "origins", "reasons", "fields")


def why(
    ledger: Ledger,
    claim: str,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    certain: bool = False,
    tz: ZoneInfo | None = None,
) -> Answer:
    """The deciding rule, origins, reasons and fields of a claim at a basis.

    The answer also carries `.sentence`, the one line a table leads with.
    """
    from ledger.service.ledger import Answer

    basis = ledger._basis(as_of, known_at, certain, tz)
    events = ledger.store.read_claim(claim, up_to=basis.position)
    kept = visible_events(events, position=basis.position, as_of=basis.as_of, certain=certain)
    if not kept:
        raise _not_visible(claim, basis, events)
    actors = registry_at(ledger.store.read_actors(up_to=basis.position), basis.position)
    # The same fold, with the same registry, as `claim show` at this basis.
    state = fold(kept, actors=actors)
    found = explain(claim, kept, state)
    found["basis"] = basis.to_json()
    answer = Answer({key: found[key] for key in _WHY_KEYS})
    # "Since when": over world time, from the events this basis keeps (with --certain only
    # those, which all ended by the cut-off), as the claim builds up.
    pool = kept if certain or basis.as_of is None else visible_events(
        events, position=basis.position, as_of=None, certain=False
    )
    since, until, still = _since(world_points(pool, actors), basis.as_of, answer["status"])
    answer.sentence = sentence(
        answer, since=since, tentative_until=until, still_tentative=still,
        outranks=runner_up(state),
    )
    return answer


def _since(
    points: list[tuple[int, str, bool, list[str]]], as_of: int | None, now: str
) -> tuple[str | None, str | None, bool]:
    """When the current run of the status began, when it stopped being tentative (if it
    did), and whether it is still tentative at the cut-off."""
    if as_of is not None:
        in_force = [p for p in points if p[0] < as_of]
    else:
        in_force = points
    if not in_force or in_force[-1][1] != now:
        return None, None, False
    start = len(in_force) - 1
    while start > 0 and in_force[start - 1][1] == now:
        start -= 1
    if not in_force[start][2]:
        return _moment(in_force[start][0]), None, False
    for t, status, tentative, _ids in points[points.index(in_force[start]):]:
        if status != now:
            break
        if not tentative:
            # Certain from the cut-off t + 1 on: the end of the last open interval.
            return _moment(in_force[start][0]), _moment(t + 1), False
    return _moment(in_force[start][0]), None, True


def _moment(us: int) -> str:
    """A day when the instant is a midnight (as dates are written), else the full instant."""
    text = describe_instant(us)
    return text[:10] if us % US_PER_DAY == 0 else text


def timeline(
    ledger: Ledger, claim: str, *, known_at: str | None = None, tz: ZoneInfo | None = None
) -> Answer:
    """The claim's status over world time at the basis position, and over ledger time."""
    from ledger.service.ledger import Answer

    basis = ledger._basis(None, known_at, False, tz)
    events = ledger.store.read_claim(claim, up_to=basis.position)
    head = visible_events(events, position=basis.position, as_of=None, certain=False)
    if not head:
        raise _not_visible(claim, basis, events)
    actor_events = ledger.store.read_actors(up_to=basis.position)
    # Only the actor events that name one of the claim's actors can change its answers.
    names = _names(events)
    others = [e for e in actor_events if touched_keys([e]) & names]
    answer = Answer(
        {
            "claim_id": claim,
            "basis": basis.to_json(),
            "world": world_timeline(head, registry_at(actor_events, basis.position)),
            "ledger": ledger_timeline(
                events, position=basis.position, others=others,
                actors_at=_registries(actor_events, others) if others else None,
            ),
        }
    )
    answer.bases = basis
    return answer


def _registries(actor_events: list[Any], others: list[Any]) -> Callable[[int], Registry]:
    """The registry at a position, as far as the claim's names go: it changes only at the
    positions of `others`, so it is built once per such position, not once per position."""
    changes = sorted(e.position for e in others)
    built: dict[int, Registry] = {}

    def at(position: int) -> Registry:
        last = changes[bisect_right(changes, position) - 1] if changes[0] <= position else 0
        if last not in built:
            built[last] = registry_at(actor_events, last)
        return built[last]

    return at


def _names(events: list[Any]) -> set[str]:
    """The name keys of every actor and origin written in the claim's events (corrections
    included: one may write a name the event did not have)."""
    keys: set[str] = set()
    for e in events:
        data = e.data
        changes = data.get("changes")
        for written in (data, changes if isinstance(changes, dict) else {}):
            for field in (*ACTOR_FIELD.values(), "origin", "attributed_to"):
                value = written.get(field) if field else None
                if isinstance(value, str):
                    keys.add(name_key(value))
    return keys


def timeline_picture(
    ledger: Ledger,
    claim: str,
    *,
    known_at: str | None = None,
    tz: ZoneInfo | None = None,
    fmt: str = "svg",
) -> bytes:
    """The timeline drawn: world time across, ledger time down (SVG or PNG bytes)."""
    if fmt not in PICTURE_FORMATS:
        raise InvalidInput(
            f"'{fmt}' is not a picture format: use svg or png", field="format"
        )
    answer = timeline(ledger, claim, known_at=known_at, tz=tz)
    basis = answer.bases
    events = ledger.store.read_claim(claim, up_to=basis.position)
    actor_events = ledger.store.read_actors(up_to=basis.position)
    changed_by = {i["event_id"] for i in answer["ledger"]}
    # An actor event gets a row of its own only where it changed the claim's status.
    others = [e for e in actor_events if e.event_id in changed_by]
    from ledger.service.picture import draw

    rows = picture_rows(events, basis.position, actor_events, others)
    return draw(rows, answer, basis.describe(), fmt)


def picture_rows(
    events: list[Any], position: int, actor_events: list[Any], others: list[Any]
) -> dict[str, Any]:
    """What the picture draws, one row per position of the claim and per actor event that
    changed its status (the latest rows only)."""
    own = sorted((e for e in events if e.position <= position), key=lambda e: e.position)
    ordered = sorted([*own, *others], key=lambda e: e.position)
    errata = {a.event_id: a for a in apply_errata(own, position=position).errata}
    by_id = {e.event_id: e for e in own}
    rows = []
    for event in ordered[-MAX_PICTURE_ROWS:]:
        kept = visible_events(own, position=event.position, as_of=None, certain=False)
        at = registry_at(actor_events, event.position) if actor_events else None
        world = event.claim_id == (own[0].claim_id if own else None)
        row: dict[str, Any] = {
            "position": event.position,
            "recorded_at": event.recorded_at,
            "type": event.type,
            "event_id": event.event_id,
            "label": _label(event, by_id),
            "bands": [(t, s, tent) for t, s, tent, _ids in world_points(kept, at)],
            "interval": (event.occurred_from, event.occurred_to) if world else None,
            "before": None,
            "after": None,
        }
        applied = errata.get(event.event_id)
        if applied is not None:
            row["before"] = (applied.occurred_before.start, applied.occurred_before.end)
            if applied.occurred_after is not None:
                row["after"] = (applied.occurred_after.start, applied.occurred_after.end)
        rows.append(row)
    return {"rows": rows, "total": len(ordered)}


def _label(event: LogEvent, by_id: dict[str, LogEvent]) -> str:
    field = ACTOR_FIELD.get(event.type)
    actor = event.data.get(field) if field else None
    if event.type in ("RecordCorrected", "RecordVoided"):
        target = by_id.get(str(event.data.get("target_event_id")))
        what = "corrects" if event.type == "RecordCorrected" else "voids"
        return f"{what} @{target.position}" if target is not None else what
    if event.type == "ActorAliased":
        return f"{event.data.get('alias')} is {event.claim_id.partition(':')[2]}"
    if event.type == "ActorUnaliased":
        return f"{event.data.get('alias')} is no longer {event.claim_id.partition(':')[2]}"
    if event.type == "ActorRegistered":
        return f"{event.claim_id.partition(':')[2]}: {event.data.get('name')}"
    if event.type == "ClaimLinked":
        return f"{event.data.get('relation')} {event.data.get('other_claim_id')}"
    return str(actor) if actor is not None else event.type


def _not_visible(claim: str, basis: Any, events: list[Any]) -> NotFoundError:
    if not events:
        return NotFoundError(
            f"no claim '{claim}' in the ledger at position {basis.position}; "
            "see `ledger claim list`"
        )
    return NotFoundError(
        f"claim '{claim}' has no visible event at this basis ({basis.describe()}); "
        "try a later --as-of or --known-at, or `ledger claim list`"
    )
