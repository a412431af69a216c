"""Random claim histories for the explanation properties, and a plain model of the status rules.

A history is world events of one claim and errata (void, move) naming earlier events. The model
keeps its own list of current events (days as integers, intervals [start, end) in days) and
applies the precedence of the status rules directly, without any of the ledger's code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from ledger.domain.events import validate_event
from ledger.service import Ledger
from ledger.store.memory import MemoryStore

CLAIM = "the-claim"
#: DAYS[i] is the day i of the model; the ledger writes it as a date of November 2023.
DAYS = [f"2023-11-{d:02d}" for d in range(1, 29)]
ACTORS = ["Reuters", "reuters", "AP", "WSJ"]


@dataclass(frozen=True)
class ModelEvent:
    event_id: str
    position: int
    kind: str  # made, denied, corroborated, retracted, resolved, linked (ignored by status)
    actor: str
    start: int
    end: int
    origin: str | None = None
    on_record: bool = True
    outcome: str | None = None


def _line(kind: str, actor: str, start: int, length: int, extra: int) -> dict[str, Any]:
    end = min(start + length, len(DAYS) - 1)
    when = DAYS[start] if end == start else f"{DAYS[start]}/{DAYS[end]}"
    data: dict[str, Any]
    if kind == "made":
        data = {"claimant": actor, "statement": f"said by {actor}"}
        if extra == 1:
            data["attributed_to"] = "officials"  # off the record, origin "officials"
        elif extra == 2:
            data["origin"] = "US government"
    elif kind == "denied":
        data = {"denier": actor}
    elif kind == "corroborated":
        data = {"corroborator": actor}
        if extra == 2:
            data["origin"] = "US government"
    elif kind == "retracted":
        data = {"retractor": actor}
    elif kind == "linked":
        data = {"relation": "supports", "other_claim_id": "another-claim"}
    else:
        data = {"outcome": "refuted" if extra % 2 else "confirmed", "resolver": actor}
    types = {"made": "ClaimMade", "denied": "ClaimDenied", "corroborated": "ClaimCorroborated",
             "retracted": "ClaimRetracted", "resolved": "ClaimResolved",
             "linked": "ClaimLinked"}
    return {"type": types[kind], "claim_id": CLAIM, "occurred_at": when, "data": data}


world_events = st.builds(
    _line,
    st.sampled_from(["made", "made", "made", "made", "denied", "denied", "corroborated",
                     "corroborated", "retracted", "retracted", "resolved", "linked"]),
    st.sampled_from(ACTORS),
    st.sampled_from([0, 2, 5, 9, 14, 20]),  # few distinct days: ties in world time are common
    st.sampled_from([0, 0, 0, 2, 6]),
    st.integers(0, 3),
)

_worlds = world_events.map(lambda e: ("event", e))
histories = st.lists(
    st.one_of(
        # Mostly world events: a history of errata alone leaves nothing to explain.
        _worlds, _worlds, _worlds, _worlds,
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 20)),
    ),
    min_size=3,
    max_size=16,
)


class Story:
    """A history appended to an in-memory ledger, and the model's events after each position."""

    def __init__(self, history: list[Any]) -> None:
        self.ledger = Ledger(MemoryStore())
        self.current: dict[str, ModelEvent] = {}  # live events, by id
        self.at_position: list[dict[str, ModelEvent]] = [{}]  # the model after each position
        for step in history:
            if step[0] == "event":
                self._world(step[1])
            elif self.current:
                ids = list(self.current)
                self._erratum(step, ids[step[1] % len(ids)])

    @property
    def position(self) -> int:
        return len(self.at_position) - 1

    def _append(self, line: dict[str, Any]) -> None:
        self.ledger.store.append([validate_event(line)])

    def _world(self, line: dict[str, Any]) -> None:
        event_id = str(uuid.uuid4())
        self._append(dict(line, event_id=event_id))
        data = line["data"]
        start, end = _interval(line["occurred_at"])
        kind = {"ClaimMade": "made", "ClaimDenied": "denied",
                "ClaimCorroborated": "corroborated", "ClaimRetracted": "retracted",
                "ClaimResolved": "resolved", "ClaimLinked": "linked"}[line["type"]]
        actor = next((v for k, v in data.items() if k in (
            "claimant", "denier", "corroborator", "retractor", "resolver")), "")
        origin = None
        if kind == "made":
            origin = data.get("origin", data.get("attributed_to", actor))
        elif kind == "corroborated":
            origin = data.get("origin", actor)
        self.current[event_id] = ModelEvent(
            event_id, self.position + 1, kind, actor, start, end, origin,
            on_record="attributed_to" not in data, outcome=data.get("outcome"),
        )
        self.at_position.append(dict(self.current))

    def _erratum(self, step: Any, target: str) -> None:
        if step[0] == "void":
            data = {"target_event_id": target, "reason": "test"}
            self._append({"type": "RecordVoided", "data": data, "event_id": str(uuid.uuid4())})
            del self.current[target]
        else:
            data = {"target_event_id": target, "reason": "test",
                    "changes": {"occurred_at": DAYS[step[2]]}}
            self._append({"type": "RecordCorrected", "data": data,
                          "event_id": str(uuid.uuid4())})
            self.current[target] = replace(self.current[target], start=step[2], end=step[2] + 1)
        self.at_position.append(dict(self.current))


def _interval(text: str) -> tuple[int, int]:
    first, _, last = text.partition("/")
    return DAYS.index(first), DAYS.index(last or first) + 1


def kept(events: dict[str, ModelEvent], as_of: int | None, certain: bool) -> list[ModelEvent]:
    """The model's view: started before the cut-off E (end of day `as_of`), in fold order."""
    out = list(events.values())
    if as_of is not None:
        cut = as_of + 1
        out = [e for e in out if e.start < cut and (not certain or e.end <= cut)]
    return sorted(out, key=lambda e: (e.start, e.position))


def active(view: list[ModelEvent]) -> list[ModelEvent]:
    return [
        e for i, e in enumerate(view) if e.kind == "made" and not any(
            r.kind == "retracted" and r.actor.casefold() == e.actor.casefold()
            for r in view[i + 1:]
        )
    ]


def model_rule(view: list[ModelEvent]) -> tuple[int, str]:
    """(rule, status) by the precedence of the status rules."""
    resolutions = [e for e in view if e.kind == "resolved"]
    if resolutions:
        return 1, str(resolutions[-1].outcome)
    if not any(e.kind == "made" for e in view):
        return 2, "unasserted"
    live = active(view)
    if not live:
        return 3, "retracted"
    if any(e.kind == "denied" for e in view):
        return 4, "disputed"
    origins = {str(e.origin).casefold() for e in live}
    origins |= {str(e.origin).casefold() for e in view if e.kind == "corroborated"}
    if len(origins) >= 2:
        return 5, "corroborated"
    if any(e.on_record for e in live):
        return 6, "asserted"
    return 7, "reported"
