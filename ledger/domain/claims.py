"""The claim projection (docs/answers.md): a frozen state, `apply` per event type, a fold.

The fold runs over every event of the log when projections are rebuilt, so the state holds
plain tuples of the view events and of the few normalised keys status needs (filled through
lists inside one `fold`), and the JSON-shaped dict is built only by `render`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ledger.domain.events import CATALOGUE
from ledger.domain.model import ERRATA_TYPES
from ledger.domain.time import format_instant
from ledger.domain.view import ViewEvent

if TYPE_CHECKING:
    from ledger.domain.actors import Registry

__all__ = [
    "EMPTY",
    "ClaimState",
    "actor_key",
    "apply",
    "fold",
    "fold_steps",
    "keyer",
    "origin_key",
    "project",
    "render",
    "status",
]

#: The actor field of each type (None: the type has no actor; its items carry `actor: null`).
#: Every status of a claim, in the order of precedence of the rules that give them.
STATUSES = (
    "confirmed",
    "refuted",
    "unasserted",
    "retracted",
    "disputed",
    "corroborated",
    "asserted",
    "reported",
)

ACTOR_FIELD: dict[str, str | None] = {
    "ClaimMade": "claimant",
    "ClaimDenied": "denier",
    "ClaimCorroborated": "corroborator",
    "ClaimRetracted": "retractor",
    "ClaimResolved": "resolver",
    "ClaimLinked": None,
    "SanctionThreatened": "threatened_by",
    "SanctionImposed": "imposed_by",
}

#: Each type's own data fields, in catalogue order (`source` and `quote` are common keys).
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(f for f in CATALOGUE[name].fields if f not in ("source", "quote"))
    for name in ACTOR_FIELD
}

_SANCTION_KIND = {"SanctionThreatened": "threatened", "SanctionImposed": "imposed"}


@lru_cache(maxsize=65_536)
def actor_key(name: str) -> str:
    """How actors and origins compare: Unicode NFC, then `str.casefold()`."""
    # Cached: the same few actors recur across millions of events.
    return unicodedata.normalize("NFC", name).casefold()


# An assertion as status needs it: (fold index, claimant key, origin key, on the record).
Assertion = tuple[int, str, str, bool]


@dataclass(frozen=True, slots=True)
class ClaimState:
    """One claim folded so far. Lists are in fold order; `*_marks` exist for `status`."""

    statement: str | None = None
    claimants: tuple[ViewEvent, ...] = ()
    denials: tuple[ViewEvent, ...] = ()
    corroborations: tuple[ViewEvent, ...] = ()
    retractions: tuple[ViewEvent, ...] = ()
    resolution: ViewEvent | None = None
    sanctions: tuple[ViewEvent, ...] = ()
    links: tuple[ViewEvent, ...] = ()
    event_count: int = 0
    first_occurred: int | None = None
    last_occurred: int | None = None
    tentative: bool = False
    assertion_marks: tuple[Assertion, ...] = ()
    retraction_marks: tuple[tuple[int, str], ...] = ()  # (fold index, retractor key)
    corroboration_origins: tuple[str, ...] = ()


EMPTY = ClaimState()


@dataclass(slots=True)
class _Folding:
    """The mutable twin of `ClaimState`, alive only inside one `fold` call.

    Appending to lists keeps a fold linear; rebuilding a frozen state per event copied every
    tuple and cost ~30x more per event, and replay folds the whole log.
    """

    statement: str | None
    claimants: list[ViewEvent]
    denials: list[ViewEvent]
    corroborations: list[ViewEvent]
    retractions: list[ViewEvent]
    resolution: ViewEvent | None
    sanctions: list[ViewEvent]
    links: list[ViewEvent]
    event_count: int
    first_occurred: int | None
    last_occurred: int | None
    tentative: bool
    assertion_marks: list[Assertion]
    retraction_marks: list[tuple[int, str]]
    corroboration_origins: list[str]

    @classmethod
    def thaw(cls, state: ClaimState) -> _Folding:
        values: list[Any] = [list(v) if i in _LISTS else v for i, v in enumerate(_values(state))]
        return cls(*values)

    def freeze(self) -> ClaimState:
        values: list[Any] = [tuple(v) if i in _LISTS else v for i, v in enumerate(_values(self))]
        return ClaimState(*values)


# Positional, through one C-level getter: thaw and freeze run once per fold, for every claim.
_FIELDS = tuple(f.name for f in fields(ClaimState))
assert _FIELDS == tuple(f.name for f in fields(_Folding)), "_Folding must mirror ClaimState"
_values = attrgetter(*_FIELDS)
_LISTS = frozenset(i for i, n in enumerate(_FIELDS) if isinstance(getattr(EMPTY, n), tuple))


#: How the fold compares actors: a written name to its key (see `keyer`).
Keyer = Callable[[str], str]


def keyer(actors: Registry | None) -> Keyer:
    """Actor comparison at a basis: through the registry at P when it holds any actor, so two
    spellings of one registered actor compare equal; else NFC + casefold alone."""
    return actors.key if actors else actor_key


def origin_key(event: ViewEvent, key: Keyer = actor_key) -> str | None:
    """The origin an assertion or a corroboration counts for, as the status rule compares it.

    An origin that defaults to the claimant (corroborator), or repeats it, is that actor and is
    resolved through the registry; any other origin is compared as written.
    """
    data = event.data
    if event.type == "ClaimMade":
        who = str(data.get("claimant", ""))
        origin = data.get("origin")
        if origin is None:
            origin = data.get("attributed_to", who)
    elif event.type == "ClaimCorroborated":
        who = str(data.get("corroborator", ""))
        origin = data.get("origin")
        if origin is None:  # as for an assertion: whom it is attributed to, else who said it
            origin = data.get("attributed_to", who)
    else:
        return None
    written = actor_key(str(origin))
    return key(who) if written == actor_key(who) else written


_Applier = Callable[[_Folding, ViewEvent, Keyer], None]
# A dict keyed by the `type` string rather than singledispatch: every view event is the same
# Python class, so dispatch on the class would not tell the types apart.
_APPLIERS: dict[str, _Applier] = {}


def _applies(*type_names: str) -> Callable[[_Applier], _Applier]:
    def register(fn: _Applier) -> _Applier:
        for name in type_names:
            _APPLIERS[name] = fn
        return fn

    return register


def apply(
    state: ClaimState, event: ViewEvent, *, actors: Registry | None = None
) -> ClaimState:
    """The state after one more kept event (errata are not world events and change nothing)."""
    return fold((event,), state, actors=actors)


def fold(
    view_events: Iterable[ViewEvent],
    state: ClaimState = EMPTY,
    *,
    actors: Registry | None = None,
) -> ClaimState:
    """Fold kept events, already in fold order (see `view.visible_events`), into a state.

    `actors`: the registry at the basis position (None: no actor is registered).
    """
    s = _Folding.thaw(state)
    key = keyer(actors)
    for event in view_events:
        _step(s, event, key)
    return s.freeze()


def scan(
    view_events: Iterable[ViewEvent], *, actors: Registry | None = None
) -> Iterator[tuple[ViewEvent, str, int]]:
    """Fold step by step: (event, status so far, kept events so far) after each world event.

    One mutable accumulator for the whole run: the valid-time timelines need the status after
    every prefix, and refolding each prefix would be quadratic.
    """
    s = _Folding.thaw(EMPTY)
    key = keyer(actors)
    for event in view_events:
        if _step(s, event, key):
            yield event, status(s), s.event_count  # type: ignore[arg-type]


def fold_steps(
    view_events: Iterable[ViewEvent], *, actors: Registry | None = None
) -> tuple[ClaimState, list[str]]:
    """The final state and the status after each world event, from one fold.

    What snapshots need: the valid-time timelines take the status after every prefix, and the
    head answer the whole state; one pass serves both (replay folds every claim).
    """
    s = _Folding.thaw(EMPTY)
    statuses: list[str] = []
    key = keyer(actors)
    for event in view_events:
        if _step(s, event, key):
            statuses.append(status(s))  # type: ignore[arg-type]
    return s.freeze(), statuses


def _step(s: _Folding, event: ViewEvent, key: Keyer) -> bool:
    kind = event.type
    if kind in ERRATA_TYPES:
        return False
    s.event_count += 1
    at = event.occurred_from
    if s.first_occurred is None or at < s.first_occurred:
        s.first_occurred = at
    if s.last_occurred is None or at > s.last_occurred:
        s.last_occurred = at
    if event.tentative:
        s.tentative = True
    step = _APPLIERS.get(kind)
    # An unknown (future) type still counts as a kept event but adds to no list.
    if step is not None:
        step(s, event, key)
    return True


@_applies("ClaimMade")
def _made(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    data = event.data
    claimant = str(data.get("claimant", ""))
    # Defaults are applied on read (events.effective_data); repeated in `origin_key` and here
    # so a fold of view events built some other way still follows the status rules.
    origin = origin_key(event, key)
    on_record = data.get("on_record")
    if on_record is None:
        on_record = data.get("attributed_to") is None
    # The mark's index is the event's place in fold order; `status` compares retractions to it.
    s.assertion_marks.append(
        (s.event_count - 1, key(claimant), str(origin), bool(on_record))
    )
    s.claimants.append(event)
    if s.statement is None and isinstance(data.get("statement"), str):
        s.statement = data["statement"]


@_applies("ClaimDenied")
def _denied(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.denials.append(event)


@_applies("ClaimCorroborated")
def _corroborated(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.corroborations.append(event)
    s.corroboration_origins.append(str(origin_key(event, key)))


@_applies("ClaimRetracted")
def _retracted(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.retractions.append(event)
    s.retraction_marks.append((s.event_count - 1, key(str(event.data.get("retractor", "")))))


@_applies("ClaimResolved")
def _resolved(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.resolution = event  # the last one in fold order wins


@_applies("ClaimLinked")
def _linked(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.links.append(event)


@_applies("SanctionThreatened", "SanctionImposed")
def _sanction(s: _Folding, event: ViewEvent, key: Keyer) -> None:
    s.sanctions.append(event)


def status(state: ClaimState) -> str:
    """The claim's status by the precedence of the rules in docs/answers.md."""
    if state.resolution is not None:
        return str(state.resolution.data.get("outcome"))
    if not state.assertion_marks:
        return "unasserted"
    # An assertion is active unless its claimant retracted later in fold order.
    last_retraction: dict[str, int] = {}
    for index, who in state.retraction_marks:
        if index > last_retraction.get(who, -1):
            last_retraction[who] = index
    active = [a for a in state.assertion_marks if a[0] > last_retraction.get(a[1], -1)]
    if not active:
        return "retracted"
    if state.denials:
        return "disputed"
    # Repetition by one origin is not corroboration: count distinct origins only.
    origins = {a[2] for a in active}
    origins.update(state.corroboration_origins)
    if len(origins) >= 2:
        return "corroborated"
    if any(a[3] for a in active):
        return "asserted"
    return "reported"


def render(
    claim_id: str,
    state: ClaimState,
    *,
    link_status: Callable[[str], str | None],
    actors: Registry | None = None,
) -> dict[str, Any]:
    """The answer (docs/answers.md) of a folded state, without `basis` (the caller adds it).

    Keys: claim_id, statement, status, claimants, denials, corroborations, retractions,
    resolution, sanctions, links, event_count, first_occurred_at, last_occurred_at, tentative.
    Every list item (and `resolution`) carries actor, occurred_from, occurred_to, tentative,
    event_id, source, quote, actor_id (its registered actor at the basis, through `actors`, or
    null), then its type's own data fields (null when absent); sanctions add
    `kind` (threatened | imposed); links add `other_status` (`link_status(other_claim_id)`).
    """
    sanctions = []
    for event in state.sanctions:
        item: dict[str, Any] = {"kind": _SANCTION_KIND[event.type]}
        item.update(_item(event, actors))
        sanctions.append(item)
    links = []
    for event in state.links:
        item = _item(event, actors)
        other = item.get("other_claim_id")
        item["other_status"] = link_status(other) if isinstance(other, str) else None
        links.append(item)
    first, last = state.first_occurred, state.last_occurred
    return {
        "claim_id": claim_id,
        "statement": state.statement,
        "status": status(state),
        "claimants": [_item(e, actors) for e in state.claimants],
        "denials": [_item(e, actors) for e in state.denials],
        "corroborations": [_item(e, actors) for e in state.corroborations],
        "retractions": [_item(e, actors) for e in state.retractions],
        "resolution": None if state.resolution is None else _item(state.resolution, actors),
        "sanctions": sanctions,
        "links": links,
        "event_count": state.event_count,
        "first_occurred_at": None if first is None else format_instant(first),
        "last_occurred_at": None if last is None else format_instant(last),
        "tentative": state.tentative,
    }


def project(
    claim_id: str,
    view_events: Iterable[ViewEvent],
    *,
    link_status: Callable[[str], str | None],
    actors: Registry | None = None,
) -> dict[str, Any]:
    """Fold the kept events of one claim and render them (see `render` for the keys)."""
    state = fold(view_events, actors=actors)
    return render(claim_id, state, link_status=link_status, actors=actors)


def _item(event: ViewEvent, actors: Registry | None = None) -> dict[str, Any]:
    data = event.data
    actor_field = ACTOR_FIELD.get(event.type)
    actor = data.get(actor_field) if actor_field else None
    item: dict[str, Any] = {
        "actor": actor,
        "occurred_from": format_instant(event.occurred_from),
        "occurred_to": format_instant(event.occurred_to),
        "tentative": event.tentative,
        "event_id": event.event_id,
        "source": data.get("source"),
        "quote": data.get("quote"),
        "actor_id": actors.resolve(actor) if actors else None,
    }
    get = data.get
    for name in ITEM_FIELDS.get(event.type, ()):
        item[name] = get(name)
    # Fields outside the catalogue (a newer schema) are shown rather than silently dropped;
    # the key-view comparison runs in C and spares the loop in the usual case.
    if not data.keys() <= item.keys():
        for name, value in data.items():
            if name not in item:
                item[name] = value
    return item


item_of = _item  # the answer's list item of one view event (persisted snapshots store them)
