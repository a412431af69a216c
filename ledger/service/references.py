"""What an event refers to must exist: the guard rails of single-event commands and imports.

A mistyped claim id used to start a new `unasserted` claim, and a `responds_to` or a link to
nothing was stored as given. These checks run before anything is written, in the service, so
every front end gets them; the domain's validation of one line cannot see the log.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from ledger.domain.claims import actor_key, fold
from ledger.domain.errors import InvalidInput, NotFoundError
from ledger.domain.model import ERRATA_TYPES, NewEvent, StoredEvent
from ledger.domain.time import format_instant
from ledger.domain.view import visible_events
from ledger.store.port import EventStore

class Lookups(Protocol):
    """The reads the reference checks make: a store, or an import's view of its transaction."""

    def get(self, event_ids: Iterable[str]) -> Mapping[str, Any]: ...

    def read_after(
        self, position: int = 0, *, claim_id: str | None = None, limit: int | None = None
    ) -> Iterable[Any]: ...


#: Types that may start a claim from a single-event command without `--new-claim`.
_STARTS_A_CLAIM = frozenset({"ClaimMade"}) | ERRATA_TYPES


def claim_exists(store: Lookups, claim_id: str) -> bool:
    """Whether the log holds any event of `claim_id` (one indexed read of at most one row)."""
    events = store.read_after(0, claim_id=claim_id, limit=1)
    try:
        return next(iter(events), None) is not None
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def known_claim_ids(store: Lookups) -> set[str]:
    """Every claim id in the log (only on the way to an error: it reads the whole log)."""
    listed = getattr(store, "claim_ids", None)
    if callable(listed):
        return set(listed())
    return {e.claim_id for e in store.read_after(0)}


def closest_ids(store: Lookups, claim_id: str, count: int = 3) -> list[str]:
    """The existing claim ids nearest to a mistyped one, best first."""
    known = sorted(c for c in known_claim_ids(store) if ":" not in c)  # not actor streams
    close = difflib.get_close_matches(claim_id, known, n=count, cutoff=0.6)
    if close:
        return close
    # A prefix or a fragment still points somewhere ("al-ahli" for "al-ahli-hospital-...").
    return [c for c in known if claim_id in c or c in claim_id][:count]


def did_you_mean(store: Lookups, claim_id: str) -> str:
    close = closest_ids(store, claim_id)
    if not close:
        return "no claim id is close to it; see `ledger claim list`"
    return "did you mean " + " or ".join(close) + "?"


def check_new_claim(store: EventStore, event: NewEvent) -> None:
    """Refuse an event that would start a claim by accident (a single-event command)."""
    if event.type in _STARTS_A_CLAIM or claim_exists(store, event.claim_id):
        return
    raise NotFoundError(
        f"claim '{event.claim_id}' has no events yet; {did_you_mean(store, event.claim_id)} "
        "(to start a claim with this event, give --new-claim)"
    )


def check_references(
    store: Lookups, events: Sequence[NewEvent], *, new_claims: bool = False
) -> None:
    """`responds_to` names an event of the same claim; a link names another, existing claim.

    A target may stand anywhere in `events` (an import's input) or in the log. `new_claims`
    lets a link name a claim that has no events yet (the CLI's `--new-claim`).
    """
    responds = [e for e in events if e.type == "ClaimDenied" and "responds_to" in e.data]
    links = [e for e in events if e.type == "ClaimLinked"]
    if not responds and not links:
        return
    in_input = {e.event_id: e.claim_id for e in events}
    claims_in_input = {e.claim_id for e in events if e.claim_id}
    wanted = {str(e.data["responds_to"]) for e in responds} - in_input.keys()
    stored = store.get(wanted) if wanted else {}
    for e in responds:
        target = str(e.data["responds_to"])
        claim = in_input.get(target) or (stored[target].claim_id if target in stored else None)
        if claim is None:
            raise _refused(e, "data.responds_to", f"no event {target} in the ledger or the input")
        if claim != e.claim_id:
            raise _refused(
                e, "data.responds_to",
                f"event {target} belongs to claim '{claim}', not '{e.claim_id}': a denial "
                "responds to an event of its own claim",
            )
    checked: dict[str, bool] = {}
    for e in links:
        other = str(e.data["other_claim_id"])
        if other == e.claim_id:
            raise _refused(e, "data.other_claim_id", "a claim cannot be linked to itself")
        if new_claims or other in claims_in_input:
            continue
        if other not in checked:
            checked[other] = claim_exists(store, other)
        if not checked[other]:
            hint = did_you_mean(store, other)
            if e.line is None:
                hint += " (to link to a claim not recorded yet, give --new-claim)"
            raise _refused(e, "data.other_claim_id", f"no claim '{other}' in the ledger; {hint}")


def _refused(event: NewEvent, field: str, reason: str) -> InvalidInput:
    return InvalidInput(reason, field=field, line=event.line)


def warnings_for(store: EventStore, stored: StoredEvent) -> tuple[str, ...]:
    """What a just-stored retraction or resolution will not do that it seems to."""
    if stored.type not in ("ClaimRetracted", "ClaimResolved"):
        return ()
    before = store.read_claim(stored.claim_id, up_to=stored.position - 1)
    state = fold(visible_events(before, position=stored.position - 1, as_of=None, certain=False))
    claim = stored.claim_id
    if stored.type == "ClaimRetracted":
        who = str(stored.data.get("retractor", ""))
        claimants = {actor_key(str(item.data.get("claimant", ""))) for item in state.claimants}
        if actor_key(who) in claimants:
            return ()
        named = ", ".join(sorted({str(i.data.get("claimant")) for i in state.claimants}))
        return (
            f"'{who}' made no assertion of claim '{claim}' (its claimants: {named or 'none'}); "
            "a retraction only withdraws its retractor's own assertions, so this one will not "
            "change the claim's status",
        )
    previous = state.resolution
    if previous is None:
        return ()
    old = f"{previous.data.get('outcome')} by {previous.data.get('resolver')}"
    if stored.occurred_from >= previous.occurred_from:
        effect = (
            f"this {stored.data.get('outcome')} resolution occurs no earlier, so it replaces "
            "the earlier one as the claim's status"
        )
    else:
        effect = (
            f"this resolution occurred earlier ({format_instant(stored.occurred_from)}), so the "
            "claim keeps the later one's outcome"
        )
    return (f"claim '{claim}' was already resolved ({old}); {effect}",)
