"""`claim list`: every claim's answer at one basis, in claim-id order, a page at a time."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.actors import is_actor_stream
from ledger.domain.claims import fold, status
from ledger.domain.model import StoredEvent
from ledger.projections.snapshot import links_at_head
from ledger.service.actor_filter import matches_actor
from ledger.service.basis import Basis
from ledger.service.claim_answers import Asker, Snapshots
from ledger.store.port import EventStore


def list_claims(
    store: EventStore,
    basis: Basis,
    *,
    status_filter: str | None = None,
    actor: str | None = None,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
) -> list[dict[str, Any]]:
    """Every claim's projection at the basis, in claim-id order, optionally filtered."""
    return list_page(
        store, basis, status_filter=status_filter, actor=actor, tz=tz, snapshots=snapshots
    )[0]


def list_page(
    store: EventStore,
    basis: Basis,
    *,
    status_filter: str | None = None,
    actor: str | None = None,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the claim list at the basis, and how many claims the whole list holds.

    Without an actor filter only the page's answers are built: which claims count, and in
    what order, follows from each claim's status, which a snapshot gives without its body.
    """
    with _collector_paused():
        return _list_claims(store, basis, status_filter, actor, tz, snapshots, limit, offset)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while answers are built.

    A list builds millions of dicts, lists and strings that all stay alive (and form no
    cycles); each collection the allocations trigger walks the whole growing heap again, which
    cost several times the building itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _list_claims(
    store: EventStore,
    basis: Basis,
    status_filter: str | None,
    actor: str | None,
    tz: ZoneInfo | None,
    snapshots: Snapshots | None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    asker = Asker(store, basis, tz, snapshots)
    by_claim: dict[str, list[StoredEvent]] = {}
    from_snapshots: set[str] = set()
    if snapshots is None:
        for e in store.read_after(0, up_to=basis.position):
            if not is_actor_stream(e.claim_id):
                by_claim.setdefault(e.claim_id, []).append(e)
    else:
        asker.preload()
        stale = asker.affected()
        # Only the claims touched after the basis (or lacking a --certain timeline) are
        # refolded from the log.
        for claim_id in stale:
            if is_actor_stream(claim_id):
                continue
            events = store.read_claim(claim_id, up_to=basis.position)
            if events:
                by_claim[claim_id] = events
        for claim_id in asker._rows:
            if claim_id in stale:
                continue
            if asker.usable(claim_id) is None:
                by_claim[claim_id] = store.read_claim(claim_id, up_to=basis.position)
            else:
                from_snapshots.add(claim_id)
    claim_ids = sorted(by_claim.keys() | from_snapshots)
    # Who links to whom, from what is at hand: a snapshot that holds at P counts its links.
    asker.events_at_hand = by_claim
    asker.linking = {
        c for c in from_snapshots if links_at_head(asker._rows[c])
    } | {c for c, events in by_claim.items() if any(e.type == "ClaimLinked" for e in events)}
    # Links need other claims' status at the same basis; a cheap status first also lets the
    # status filter skip building answers it would drop.
    for claim_id in by_claim:
        kept = asker.view(by_claim[claim_id])
        asker._status[claim_id] = status(fold(kept, actors=asker.registry)) if kept else None
    end = None if limit is None else offset + limit
    answers = []
    if actor is None:
        # A claim is listed when something of it is visible at the basis (it has a status).
        counted = [
            claim_id for claim_id in claim_ids
            if (found := asker.status_of(claim_id)) is not None
            and (status_filter is None or found == status_filter)
        ]
        for claim_id in counted[offset:end]:
            answer = asker.answer(claim_id, by_claim.get(claim_id))
            if answer is not None:
                answers.append(answer)
        return answers, len(counted)
    total = 0
    for claim_id in claim_ids:
        if status_filter is not None and asker.status_of(claim_id) != status_filter:
            continue
        answer = asker.answer(claim_id, by_claim.get(claim_id))
        if answer is None:
            continue
        if not matches_actor(answer, actor, asker.registry):
            continue
        if offset <= total and (end is None or total < end):
            answers.append(answer)
        total += 1
    return answers, total
