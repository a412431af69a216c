"""`claim list`: every claim's answer at one basis, in claim-id order, a page at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from ledger.collector import collector_paused
from ledger.domain.actors import is_actor_stream
from ledger.domain.claims import fold, status
from ledger.domain.model import StoredEvent
from ledger.projections.snapshot import answer_json_at, links_at_head, row_at
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
    return _list_claims(
        store, basis, status_filter, actor, tz, snapshots, limit, offset,
        lambda asker: asker.answer, _same,
    )


def list_page_json(
    store: EventStore,
    basis: Basis,
    *,
    status_filter: str | None = None,
    actor: str | None = None,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[bytes], int]:
    """`list_page`, each answer as the JSON text `orjson.dumps` writes of it (`-f jsonl`).

    An answer a snapshot gives unchanged but for cut lists is its stored text, sliced.
    """
    return _list_claims(
        store, basis, status_filter, actor, tz, snapshots, limit, offset, _json_of, orjson.dumps
    )


def list_page_rows(
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
    """`list_page`, each answer as the few values a csv or table row shows (see `row_of`)."""
    return _list_claims(
        store, basis, status_filter, actor, tz, snapshots, limit, offset, _row_of, row_of
    )


def row_of(answer: dict[str, Any]) -> dict[str, Any]:
    """What a csv or table row of the claim list shows of an answer: its claim_id, status,
    statement, event_count, first/last_occurred_at and tentative; the actors of its claimants
    and denials; each claimant's and corroboration's origin (its actor when it has none); how
    many sanctions it has."""
    items = answer["claimants"] + answer["corroborations"]
    return {
        "claim_id": answer["claim_id"],
        "status": answer["status"],
        "statement": answer["statement"],
        "claimants": [i.get("actor") for i in answer["claimants"]],
        "denials": [i.get("actor") for i in answer["denials"]],
        "origins": [i.get("origin") or i.get("actor") for i in items],
        "sanctions": len(answer["sanctions"]),
        "event_count": answer["event_count"],
        "first_occurred_at": answer["first_occurred_at"],
        "last_occurred_at": answer["last_occurred_at"],
        "tentative": answer["tentative"],
    }


def _same(answer: dict[str, Any]) -> dict[str, Any]:
    return answer


#: Builds one claim's item of a page from its events at hand (None: from its snapshot).
Build = Callable[[str, Any], Any]


def _json_of(asker: Asker) -> Build:
    basis = orjson.dumps(asker.basis.to_json())
    as_of, certain = asker.basis.as_of, asker.basis.certain

    def build(claim_id: str, events: Sequence[StoredEvent] | None) -> bytes | None:
        snap = None if events is not None else asker.usable(claim_id)
        if snap is not None:
            linked = asker.linked_from(claim_id) if asker.linking else ()
            text = answer_json_at(
                claim_id, snap, as_of, certain, orjson.dumps(linked) if linked else b"[]", basis
            )
            if text is not None:
                return text
        answer = asker.answer(claim_id, events)
        return None if answer is None else orjson.dumps(answer)

    return build


def _row_of(asker: Asker) -> Build:
    as_of, certain = asker.basis.as_of, asker.basis.certain

    def build(claim_id: str, events: Sequence[StoredEvent] | None) -> dict[str, Any] | None:
        snap = None if events is not None else asker.usable(claim_id)
        if snap is not None:
            row = row_at(claim_id, snap, as_of, certain)
            if row is not None:
                return row
        answer = asker.answer(claim_id, events)
        return None if answer is None else row_of(answer)

    return build


def _list_claims(
    store: EventStore,
    basis: Basis,
    status_filter: str | None,
    actor: str | None,
    tz: ZoneInfo | None,
    snapshots: Snapshots | None,
    limit: int | None,
    offset: int,
    builder: Callable[[Asker], Build],
    convert: Callable[[dict[str, Any]], Any],
) -> tuple[list[Any], int]:
    """The page built by `builder(asker)` per claim id, and the whole list's length; with an
    actor filter, every answer is built whole to be matched, then `convert`ed."""
    with collector_paused():
        asker, by_claim, claim_ids = _prepared(store, basis, tz, snapshots)
        end = None if limit is None else offset + limit
        page = []
        if actor is None:
            # A claim is listed when something of it is visible at the basis (it has a status).
            counted = [
                claim_id for claim_id in claim_ids
                if (found := asker.status_of(claim_id)) is not None
                and (status_filter is None or found == status_filter)
            ]
            build = builder(asker)
            for claim_id in counted[offset:end]:
                item = build(claim_id, by_claim.get(claim_id))
                if item is not None:
                    page.append(item)
            return page, len(counted)
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
                page.append(convert(answer))
            total += 1
        return page, total


def _prepared(
    store: EventStore, basis: Basis, tz: ZoneInfo | None, snapshots: Snapshots | None
) -> tuple[Asker, dict[str, list[StoredEvent]], list[str]]:
    """An asker with every snapshot that holds at the basis, the events of every other claim
    (read once), and every claim id in order."""
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
    return asker, by_claim, claim_ids
