"""Why a claim has its status: the deciding rule of the status precedence, and its events.

Pure: the caller passes the kept events of one claim at a basis (`view.visible_events`, in
fold order). The explanation reads the claim's folded state for everything status compares
(claimant, retractor and origin keys), so it can never disagree with `claims.status` about
who is one actor or what is one origin; only the names it displays come from the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.domain.claims import ACTOR_FIELD, ClaimState, fold, status
from ledger.domain.time import format_instant
from ledger.domain.view import ViewEvent

__all__ = ["RULE_OF_STATUS", "explain", "rule_chain", "runner_up", "sentence"]

#: The step of the status precedence that gives each status.
RULE_OF_STATUS = {
    "confirmed": 1,
    "refuted": 1,
    "unasserted": 2,
    "retracted": 3,
    "disputed": 4,
    "corroborated": 5,
    "asserted": 6,
    "reported": 7,
}


def _active(state: ClaimState) -> tuple[list[int], dict[int, int]]:
    """Indexes (into `state.claimants`) of the active assertions, and for each retracted one
    the index (into `state.retractions`) of the retraction that ended it: the first one by
    the same claimant later in fold order."""
    active: list[int] = []
    ended_by: dict[int, int] = {}
    for i, (at, who, _origin, _on_record) in enumerate(state.assertion_marks):
        later = [j for j, (r_at, r_who) in enumerate(state.retraction_marks)
                 if r_who == who and r_at > at]
        if later:
            ended_by[i] = min(later, key=lambda j: state.retraction_marks[j][0])
        else:
            active.append(i)
    return active, ended_by


def rule_chain(state: ClaimState) -> list[tuple[int, str]]:
    """Every rule whose condition holds, in precedence order, with the status it would give.

    The first is the deciding rule; the second is what the claim would be without it.
    """
    out: list[tuple[int, str]] = []
    if state.resolution is not None:
        out.append((1, str(state.resolution.data.get("outcome"))))
    if not state.assertion_marks:
        out.append((2, "unasserted"))
    active, _ = _active(state)
    if not active:
        out.append((3, "retracted"))
    if state.denials:
        out.append((4, "disputed"))
    if len(_origin_keys(state, active)) >= 2:
        out.append((5, "corroborated"))
    if any(state.assertion_marks[i][3] for i in active):
        out.append((6, "asserted"))
    if active and not any(state.assertion_marks[i][3] for i in active):
        out.append((7, "reported"))
    return out


def _origin_keys(state: ClaimState, active: list[int]) -> set[str]:
    keys = {state.assertion_marks[i][2] for i in active}
    keys.update(state.corroboration_origins)
    return keys


def explain(
    claim_id: str, kept: Sequence[ViewEvent], state: ClaimState | None = None
) -> dict[str, Any]:
    """The why object without `basis`: status, tentative, rule, origins, reasons, fields.

    `state` is `fold(kept)` when the caller already has it.
    """
    if state is None:
        state = fold(kept)
    decided = status(state)
    rule = RULE_OF_STATUS.get(decided, 1)
    active, ended_by = _active(state)
    index_of = {e.event_id: i for i, e in enumerate(kept)}
    roles: dict[str, str] = {}
    origin_key: dict[str, str] = {}
    for i, event in enumerate(state.claimants):
        origin_key[event.event_id] = state.assertion_marks[i][2]
    for j, event in enumerate(state.corroborations):
        origin_key[event.event_id] = state.corroboration_origins[j]
    if rule == 1 and state.resolution is not None:
        roles[state.resolution.event_id] = "resolves"
    elif rule == 3:
        for i, j in ended_by.items():
            roles[state.claimants[i].event_id] = "retracted"
            roles[state.retractions[j].event_id] = "retracts"
    elif rule == 4:
        for event in state.denials:
            roles[event.event_id] = "denies"
    elif rule in (5, 6, 7):
        for i in active:
            roles[state.claimants[i].event_id] = "asserts"
        if rule == 5:
            for event in state.corroborations:
                roles[event.event_id] = "corroborates"
    reasons = [
        _reason(kept[k], roles[kept[k].event_id])
        for k in sorted(index_of[e] for e in roles)
    ]
    return {
        "claim_id": claim_id,
        "status": decided,
        "tentative": state.tentative,
        "rule": rule,
        "origins": _origins(state, active, origin_key),
        "reasons": reasons,
        "fields": _fields(kept, state),
    }


def _origins(state: ClaimState, active: list[int], origin_key: dict[str, str]) -> list[str]:
    """Distinct origins of the active assertions and the corroborations, in fold order, each
    shown as first written."""
    counted = [state.claimants[i] for i in active] + list(state.corroborations)
    # Both lists are in fold order; merged by (occurred_from, position) like the fold.
    counted.sort(key=lambda e: (e.occurred_from, e.position))
    seen: dict[str, str] = {}
    for event in counted:
        key = origin_key[event.event_id]
        if key not in seen:
            seen[key] = _written_origin(event)
    return list(seen.values())


def _written_origin(event: ViewEvent) -> str:
    data = event.data
    origin = data.get("origin")
    if origin is None and event.type == "ClaimMade":
        origin = data.get("attributed_to", data.get("claimant"))
    if origin is None and event.type == "ClaimCorroborated":
        origin = data.get("corroborator")
    return str(origin if origin is not None else "")


def _reason(event: ViewEvent, role: str) -> dict[str, Any]:
    field = ACTOR_FIELD.get(event.type)
    actor = event.data.get(field) if field else None
    origin = _written_origin(event) if event.type in ("ClaimMade", "ClaimCorroborated") else None
    return {
        "event_id": event.event_id,
        "position": event.position,
        "type": event.type,
        "actor": actor,
        "origin": origin,
        "occurred_from": format_instant(event.occurred_from),
        "occurred_to": format_instant(event.occurred_to),
        "tentative": event.tentative,
        "role": role,
        "corrected_by": list(event.corrected_by),
    }


def _fields(kept: Sequence[ViewEvent], state: ClaimState) -> dict[str, str | None]:
    """Which kept event sets each derived field, by the fold's own tie-breaks."""
    statement = next(
        (e.event_id for e in state.claimants if isinstance(e.data.get("statement"), str)),
        None,
    )
    first = last = None
    for event in kept:
        # Strict comparisons, as the fold's: the first event in fold order to reach a value.
        if first is None or event.occurred_from < first.occurred_from:
            first = event
        if last is None or event.occurred_from > last.occurred_from:
            last = event
    return {
        "statement": statement,
        "first_occurred_at": None if first is None else first.event_id,
        "last_occurred_at": None if last is None else last.event_id,
        "resolution": None if state.resolution is None else state.resolution.event_id,
    }


#: What each rule's condition is called when a higher rule outranks it.
_OUTRANKED = {
    1: "the resolution",
    3: "the retraction",
    4: "the denial",
    5: "corroboration",
    6: "assertion on the record",
    7: "off-the-record reporting",
}


def runner_up(state: ClaimState) -> tuple[int, str] | None:
    """The rule (and status) that would decide the claim if the deciding rule did not hold.

    For rule 2 the vacuous rule 3 (no assertion, so none active) is the same absence.
    """
    chain = rule_chain(state)
    if not chain:
        return None
    rule = chain[0][0]
    rest = [(r, s) for r, s in chain[1:] if not (rule == 2 and r == 3)]
    return rest[0] if rest else None


def sentence(
    answer: dict[str, Any],
    *,
    since: str | None,
    tentative_until: str | None,
    still_tentative: bool,
    outranks: tuple[int, str] | None,
) -> str:
    """One line for people: the status, since when, because of whom, and what it outranks."""
    rule = answer["rule"]
    head = str(answer["status"])
    if since is not None:
        head += f" since {since}"
    if tentative_until is not None:
        head += f" (tentative until {tentative_until})"
    elif still_tentative:
        head += " (tentative: a deciding event may not have happened yet)"
    reasons = answer["reasons"]

    def actors(role: str) -> str:
        names = list(dict.fromkeys(str(r["actor"]) for r in reasons if r["role"] == role))
        return _join(names) or "someone"

    if rule == 1:
        outcome = "confirmed" if answer["status"] == "confirmed" else "refuted"
        because = f"{actors('resolves')} {outcome} it"
    elif rule == 2:
        because = "no one has asserted it (no ClaimMade is kept)"
    elif rule == 3:
        because = f"{actors('retracts')} retracted it"
    elif rule == 4:
        because = f"{actors('denies')} denied it"
    elif rule == 5:
        origins = answer["origins"]
        because = f"it comes from {len(origins)} independent origins ({_join(origins)})"
    elif rule == 6:
        because = f"{actors('asserts')} asserted it on the record, from one origin " + (
            f"({_join(answer['origins'])})"
        )
    else:
        because = f"only off-the-record assertions support it (by {actors('asserts')})"
    tail = f"rule {rule} decides it" if outranks is None else (
        f"rule {rule} outranks {_OUTRANKED.get(outranks[0], outranks[1])}"
    )
    return f"{head} because {because}; {tail}"


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
