"""One claim's answer at a basis: from its persisted snapshot when that holds, else refolded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ledger.domain.actors import Registry, is_actor_stream, registry_at, touched_keys
from ledger.domain.claims import fold, project, status
from ledger.domain.errors import NotFoundError
from ledger.domain.view import FoldRow, LogEvent, visible_events
from ledger.projections.snapshot import (
    Snapshot,
    actor_keys,
    answer_at,
    has_certain_timeline,
    status_at,
)
from ledger.service.basis import Basis
from ledger.store.port import EventStore


class Snapshots(Protocol):
    """The persisted projection (see ledger/projections/snapshot.py)."""

    def catch_up(self) -> tuple[int, int]: ...

    def current_rows(self, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]: ...

    def current_claim(self, claim_id: str, position: int) -> Snapshot | list[FoldRow]: ...

    def rows(self, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]: ...

    def claims_after(self, position: int) -> set[str]: ...


class Asker:
    """Answers at one basis; caches other claims' status for links.

    With persisted snapshots, a claim is answered from its snapshot whenever the snapshot
    holds at the basis (the claim has no event after the basis position and, for --certain,
    a certain timeline is stored); otherwise it is refolded from its events in the log.
    The projection is caught up with the log by the first read of its rows.
    """

    def __init__(
        self,
        store: EventStore,
        basis: Basis,
        tz: ZoneInfo | None = None,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.store = store
        self.basis = basis
        self.tz = tz
        self.snapshots = snapshots
        self._status: dict[str, str | None] = {}
        self._rows: dict[str, Snapshot] = {}
        self._absent: set[str] = set()  # claims known to have no row holding at the basis
        self._events: dict[str, Sequence[LogEvent]] = {}  # read with the row, for a refold
        self._caught_up = False
        self._complete = False  # every row is loaded: a claim not in _rows has none
        self._after: set[str] | None = None
        self._basis_json = basis.to_json()
        self._incoming: dict[str, list[dict[str, Any]]] | None = None  # see `linked_from`
        #: The claims that may link to others at the basis, when a caller already knows them
        #: (a claim list has every row and event at hand); None: read them from the log.
        self.linking: set[str] | None = None
        #: Per claim, the claims whose links may point at it (read with its row, or asked).
        self._link_candidates: dict[str, set[str]] = {}
        self.events_at_hand: Mapping[str, Sequence[LogEvent]] = {}  # read already, by claim
        self._registry: Registry | None = None
        self._touched: set[str] = set()  # names whose owner changed after P (see `registry`)
        self._usable: dict[str, Snapshot | None] = {}

    @property
    def registry(self) -> Registry:
        """The actor registry at the basis position, read once (after any snapshot read).

        Also notes the names that actor events after P touch: a snapshot, built with the
        registry of the projection's checkpoint, holds at P only if it names none of them.
        Reading after the snapshots is what makes that safe against a concurrent append.
        """
        if self._registry is None:
            self._set_registry(self.store.read_actors())
        assert self._registry is not None
        return self._registry

    def _set_registry(self, actor_events: Sequence[LogEvent]) -> None:
        position = self.basis.position
        self._registry = registry_at(actor_events, position)
        self._touched = touched_keys(e for e in actor_events if e.position > position)

    def _load(self, claim_ids: list[str] | None) -> None:
        assert self.snapshots is not None
        if self._caught_up:
            found = self.snapshots.rows(claim_ids)
        else:
            # The catch-up check and the read share one connection (one per question).
            found = self.snapshots.current_rows(claim_ids)
            self._caught_up = True
        self._rows.update(found)
        if claim_ids is None:
            self._complete = True
        else:
            self._absent.update(c for c in claim_ids if c not in found)

    def usable(self, claim_id: str) -> Snapshot | None:
        """The claim's snapshot if it answers at this basis, else None (decided once: a list
        asks it of each claim three times)."""
        try:
            return self._usable[claim_id]
        except KeyError:
            found = self._usable[claim_id] = self._usable_now(claim_id)
            return found

    def _usable_now(self, claim_id: str) -> Snapshot | None:
        if self.snapshots is None:
            return None
        snap = self._rows.get(claim_id)
        if snap is None:
            if self._complete or claim_id in self._absent:
                return None
            if self._caught_up:
                self._load([claim_id])
            else:
                # The first question of a single-claim answer: catch-up check, row and, when
                # the row does not hold at the basis, the events in one connection.
                self._caught_up = True
                every = getattr(self.snapshots, "current_claim_actors_links", None)
                both = getattr(self.snapshots, "current_claim_and_actors", None)
                if every is not None:  # the registry and linked_from's candidates too
                    found, actor_events, linking = every(claim_id, self.basis.position)
                    self._set_registry(actor_events)
                    self._link_candidates[claim_id] = linking
                elif both is not None:  # the registry on the same connection
                    found, actor_events = both(claim_id, self.basis.position)
                    self._set_registry(actor_events)
                else:
                    found = self.snapshots.current_claim(claim_id, self.basis.position)
                if isinstance(found, list):
                    self._events[claim_id] = found
                    self._absent.add(claim_id)
                    return None
                self._rows[claim_id] = found
            snap = self._rows.get(claim_id)
        if snap is None or snap.last_position > self.basis.position:
            return None
        if self.basis.certain and self.basis.as_of is not None and not has_certain_timeline(snap):
            return None
        if self.touched_after_basis() and actor_keys(snap) & self._touched:
            return None
        return snap

    def touched_after_basis(self) -> set[str]:
        """Names whose owner actor events after P changed (empty: the registry is as at P)."""
        _ = self.registry
        return self._touched

    def preload(self) -> None:
        """Load every snapshot at once (claim list)."""
        if self.snapshots is not None:
            self._load(None)

    def affected(self) -> set[str]:
        """Claims with events after the basis position (their snapshots do not hold)."""
        if self._after is None:
            self._after = set()
            # Any claim with an event after P, including one whose events are all voided at
            # the head (it has no row, yet it may have been visible at P).
            if self.snapshots is not None and self.store.head().position > self.basis.position:
                self._after = self.snapshots.claims_after(self.basis.position)
        return self._after

    def view(self, events: Sequence[LogEvent]) -> list[Any]:
        b = self.basis
        return visible_events(events, position=b.position, as_of=b.as_of, certain=b.certain)

    def status_of(self, claim_id: str) -> str | None:
        if claim_id not in self._status:
            snap = self.usable(claim_id)
            if snap is not None:
                self._status[claim_id] = status_at(snap, self.basis.as_of, self.basis.certain)
            else:
                events: Sequence[LogEvent] | None = self._events.get(claim_id)
                if events is None:
                    events = self.store.read_claim(claim_id, up_to=self.basis.position)
                kept = self.view(events)
                actors = self.registry
                self._status[claim_id] = status(fold(kept, actors=actors)) if kept else None
        return self._status[claim_id]

    def answer(
        self, claim_id: str, events: Sequence[LogEvent] | None = None
    ) -> dict[str, Any] | None:
        """The answer (docs/answers.md) of one claim at the basis, from its snapshot or its events."""
        answer = self._own_answer(claim_id, events)
        if answer is None:
            return None
        # `linked_from` after `links`, as docs/answers.md orders the keys (JSON is compared as text).
        shown: dict[str, Any] = {}
        for key, value in answer.items():
            shown[key] = value
            if key == "links":
                shown["linked_from"] = self.linked_from(claim_id)
        return shown

    def linked_from(self, claim_id: str) -> list[dict[str, Any]]:
        """The links other claims make to this one at the basis, with their status there.

        A correction may re-aim a link, so the candidates' answers at the basis decide where
        each of their links points. A claim list knows every linking claim at once; a single
        claim asks the store for the claims whose links (or link corrections) name it.
        """
        if self.linking is not None:
            if self._incoming is None:
                self._incoming = self._incoming_from(self.linking)
            incoming = self._incoming
        else:
            candidates = self._link_candidates.get(claim_id)
            if candidates is None:
                candidates = self.store.linking_claims(claim_id, up_to=self.basis.position)
            incoming = self._incoming_from(candidates)
        return [dict(item) for item in incoming.get(claim_id, ())]

    def _incoming_from(self, linking: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        incoming: dict[str, list[dict[str, Any]]] = {}
        for other in sorted(linking):
            own = self._own_answer(other)
            if own is None:
                continue
            for link in own["links"]:
                target = link.get("other_claim_id")
                if isinstance(target, str):
                    incoming.setdefault(target, []).append(
                        {"claim_id": other, "relation": link.get("relation"),
                         "status": own["status"]}
                    )
        return incoming

    def _own_answer(
        self, claim_id: str, events: Sequence[LogEvent] | None = None
    ) -> dict[str, Any] | None:
        """The answer of the claim's own events, without `linked_from`."""
        if is_actor_stream(claim_id):
            return None  # an actor's stream is not a claim
        snap = self.usable(claim_id)
        if snap is not None:
            answer = answer_at(snap, self.basis.as_of, self.basis.certain, self.status_of)
        else:
            if events is None:
                events = self._events.pop(claim_id, None) or self.events_at_hand.get(claim_id)
            if events is None:
                events = self.store.read_claim(claim_id, up_to=self.basis.position)
            kept = self.view(events)
            answer = None
            if kept:
                answer = project(
                    claim_id, kept, link_status=self.status_of, actors=self.registry
                )
        if answer is None:
            return None
        self._status[claim_id] = answer["status"]
        answer["basis"] = dict(self._basis_json)
        return answer


def show_claim(
    store: EventStore,
    claim_id: str,
    basis: Basis,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
) -> dict[str, Any]:
    """The answer of one claim (docs/answers.md); an error when nothing of it is visible at the basis."""
    if is_actor_stream(claim_id):
        raise NotFoundError(
            f"'{claim_id}' is an actor's stream, not a claim; see `ledger actor show "
            f"{claim_id.partition(':')[2]}`"
        )
    answer = Asker(store, basis, tz, snapshots).answer(claim_id)
    if answer is None:
        from ledger.service.references import claim_exists, did_you_mean

        if not claim_exists(store, claim_id):
            raise NotFoundError(
                f"no claim '{claim_id}' in the ledger; {did_you_mean(store, claim_id)}"
            )
        raise NotFoundError(
            f"claim '{claim_id}' exists but has no visible event at this basis "
            f"({basis.describe()}); try a later --as-of or --known-at, or `ledger claim list`"
        )
    return answer
