"""Point-in-time questions: resolve a basis, then show, list and trace claims at it."""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ledger.domain.actors import Registry, is_actor_stream, registry_at, touched_keys
from ledger.domain.claims import fold, project, status
from ledger.domain.errors import InvalidInput, NotFoundError
from ledger.domain.model import StoredEvent
from ledger.domain.time import format_instant, parse_cutoff
from ledger.domain.view import FoldRow, LogEvent, apply_errata, visible_events
from ledger.projections.snapshot import (
    Snapshot,
    actor_keys,
    answer_at,
    has_certain_timeline,
    links_at_head,
    status_at,
)
from ledger.store.port import EventStore

@dataclass(frozen=True, slots=True)
class Basis:
    """The pair of cut-offs a question is asked at, resolved against one log."""

    as_of: int | None  # exclusive world-time instant E, or None
    known_at: int | None  # exclusive ledger-time instant, or None (head or @N)
    position: int  # P: the last visible position
    head_hash: str  # the chain's hash at P
    certain: bool = False
    known_at_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else format_instant(self.as_of - 1),
            "known_at": None if self.known_at is None else format_instant(self.known_at - 1),
            "certain": self.certain,
            "position": self.position,
            "head_hash": self.head_hash,
        }

    def describe(self) -> str:
        parts = []
        if self.as_of is not None:
            parts.append(f"as of {format_instant(self.as_of - 1)}")
        if self.known_at_text is not None:
            parts.append(f"known at {self.known_at_text}")
        parts.append(f"position {self.position}")
        if self.certain:
            parts.append("certain only")
        return ", ".join(parts)


def resolve_basis(
    store: EventStore,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    certain: bool = False,
    tz: ZoneInfo | None = None,
) -> Basis:
    """Turn `--as-of` / `--known-at` text into a Basis (E, P and the head hash at P)."""
    as_of_e = None if as_of is None else cutoff(as_of, tz, field="as_of")
    head = store.head()
    known_e: int | None = None
    if known_at is None:
        position = head.position
    elif known_at.startswith("@"):
        digits = known_at[1:]
        if not digits.isdigit():
            raise InvalidInput(
                f"'{known_at}' is not a position: write @N with N a whole number, e.g. @42",
                field="known_at",
            )
        position = int(digits)
        if position > head.position:
            raise InvalidInput(
                f"position @{position} is beyond the head of the log (@{head.position})",
                field="known_at",
            )
    else:
        known_e = cutoff(known_at, tz, field="known_at")
        position = store.position_before(known_e)
    return Basis(
        as_of=as_of_e,
        known_at=known_e,
        position=position,
        head_hash=head.hash if position == head.position else store.head_at(position).hash,
        certain=certain,
        known_at_text=known_at,
    )


def cutoff(text: str, tz: ZoneInfo | None, *, field: str) -> int:
    """`parse_cutoff`, but a date written day/month/year is named as what it is."""
    if "/" in text and not _iso_interval(text, tz):
        raise InvalidInput(
            f"'{text}' is not an ISO 8601 date or time: write it year first, YYYY-MM-DD "
            "(e.g. 2023-10-17), or 2023-10, 2023, 2023-10-17T18:59Z",
            field=field,
        )
    return parse_cutoff(text, tz, field=field)


def _iso_interval(text: str, tz: ZoneInfo | None) -> bool:
    from ledger.domain.time import parse_occurred

    try:
        parse_occurred(text, tz)
    except InvalidInput:
        return False
    return True


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
        """The claim's snapshot if it answers at this basis, else None."""
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


def actor_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def matches_actor(answer: dict[str, Any], wanted: str, registry: Registry) -> bool:
    """`--actor`: a name as written, or any name, alias or id of the actor it resolves to at
    the basis (list items carry that basis's `actor_id`)."""
    names = actors_of(answer)
    if actor_key(wanted) in names or any(within_name(wanted, name) for name in names):
        return True
    actor_id = registry.resolve(wanted)
    return actor_id is not None and actor_id in actor_ids_of(answer)


def within_name(wanted: str, name: str) -> bool:
    """Whether `wanted` is a run of whole words of `name`, case-insensitively.

    `IDF` finds "IDF (Daniel Hagari)" and `daniel hagari` does too; `Hagar` finds nothing:
    a part of a word is too loose for a filter whose misses look like an empty answer. A value
    that does not start and end with a letter or digit (`R%`, `_`) matches only a whole name.
    """
    text, within = actor_key(wanted).strip(), actor_key(name)
    if not text or not (text[0].isalnum() and text[-1].isalnum()):
        return False
    start = within.find(text)
    while start >= 0:
        end = start + len(text)
        if (start == 0 or not within[start - 1].isalnum()) and (
            end == len(within) or not within[end].isalnum()
        ):
            return True
        start = within.find(text, start + 1)
    return False


def actor_ids_of(answer: dict[str, Any]) -> set[str]:
    """Every registered actor id in a projection's items, in any role."""
    ids: set[str] = set()
    for key in ("claimants", "denials", "corroborations", "retractions", "sanctions"):
        for item in answer[key]:
            value = item.get("actor_id")
            if isinstance(value, str):
                ids.add(value)
    resolution = answer["resolution"]
    if resolution and isinstance(resolution.get("actor_id"), str):
        ids.add(resolution["actor_id"])
    return ids


def actors_of(answer: dict[str, Any]) -> set[str]:
    """Every actor named in a projection, in any role, normalised for matching."""
    names: set[str] = set()
    for key in ("claimants", "denials", "corroborations", "retractions", "sanctions"):
        for item in answer[key]:
            for field in ("actor", "attributed_to"):
                value = item.get(field)
                if isinstance(value, str):
                    names.add(actor_key(value))
    if answer["resolution"] and isinstance(answer["resolution"].get("actor"), str):
        names.add(actor_key(answer["resolution"]["actor"]))
    return names


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


def claim_history(
    store: EventStore, claim_id: str, *, tz: ZoneInfo | None = None
) -> list[dict[str, Any]]:
    """Every event of a claim in log order with both times, and what each erratum changed."""
    events = store.read_claim(claim_id)
    if not events:
        from ledger.service.references import did_you_mean

        raise NotFoundError(f"no claim '{claim_id}' in the ledger; {did_you_mean(store, claim_id)}")
    corrections = apply_errata(events, position=events[-1].position)
    effects = {a.event_id: a for a in corrections.errata}
    # Errata name their target by event id, which people cannot match by eye (ids from one
    # session share their first characters): rows also carry positions both ways.
    position_of = {e.event_id: e.position for e in events}
    changed_by: dict[str, list[int]] = {}
    for e in events:
        if e.is_erratum:
            changed_by.setdefault(str(e.data.get("target_event_id")), []).append(e.position)
    rows = []
    for e in events:
        row: dict[str, Any] = {
            "position": e.position,
            "version": e.version,
            "event_id": e.event_id,
            "type": e.type,
            "occurred_from": format_instant(e.occurred_from),
            "occurred_to": format_instant(e.occurred_to),
            "recorded_at": format_instant(e.recorded_at),
            "data": e.data,
            "metadata": e.metadata,
            "erratum": None,
            "changed_by": changed_by.get(e.event_id, []),
        }
        applied = effects.get(e.event_id)
        if applied is not None:
            row["erratum"] = _erratum_json(applied)
        elif e.is_erratum:
            row["erratum"] = {"target_event_id": e.data.get("target_event_id"), "applied": False}
        if row["erratum"] is not None:
            row["erratum"]["target_position"] = position_of.get(
                str(row["erratum"]["target_event_id"])
            )
        rows.append(row)
    return rows


def corrections_at(
    store: EventStore, claim_id: str, basis: Basis
) -> dict[str, list[dict[str, Any]]]:
    """Per event id of the claim, each field an erratum visible at the basis corrected:
    `field` (`occurred_at` for the time), its `old` value and the erratum's `position`.

    What a table marks next to a corrected value; not part of the answer itself.
    """
    events = store.read_claim(claim_id, up_to=basis.position)
    if not any(e.is_erratum for e in events):
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for a in apply_errata(events, position=basis.position).errata:
        if a.type != "RecordCorrected":
            continue
        for name in sorted(a.changes):
            if name == "occurred_at":
                old: Any = {"occurred_from": format_instant(a.occurred_before.start),
                            "occurred_to": format_instant(a.occurred_before.end)}
            else:
                old = a.data_before.get(name)
            found.setdefault(a.target_event_id, []).append(
                {"field": name, "old": old, "position": a.position}
            )
    return found


def _erratum_json(a: Any) -> dict[str, Any]:
    """What an erratum changed: its target's time and data, before and after."""

    def interval(i: Any) -> dict[str, str] | None:
        if i is None:
            return None
        return {"occurred_from": format_instant(i.start), "occurred_to": format_instant(i.end)}

    return {
        "target_event_id": a.target_event_id,
        "applied": True,
        "action": "voided" if a.type == "RecordVoided" else "corrected",
        "reason": a.reason,
        "changes": a.changes,
        "occurred_before": interval(a.occurred_before),
        "occurred_after": interval(a.occurred_after),
        "data_before": a.data_before,
        "data_after": a.data_after,
    }


def parse_basis_spec(text: str) -> dict[str, Any]:
    """`2023-11-10`, `@42`, `head`, or `as-of=T,known-at=T|@N,certain` into resolve_basis kwargs."""
    spec: dict[str, Any] = {"as_of": None, "known_at": None, "certain": False}
    text = text.strip()
    if text in ("", "head", "now"):
        return spec
    for part in (p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        if part == "certain":
            spec["certain"] = True
        elif sep and name in ("as-of", "as_of"):
            spec["as_of"] = value
        elif sep and name in ("known-at", "known_at"):
            spec["known_at"] = value
        elif not sep and part.startswith("@"):
            spec["known_at"] = part
        elif not sep:
            spec["as_of"] = part
        else:
            raise InvalidInput(
                f"'{part}' is not part of a basis: write a world time (2023-11-10), a position "
                "(@42), or as-of=T,known-at=T|@N,certain",
                field="basis",
            )
    return spec


def diff_bases(
    store: EventStore,
    from_: str,
    to: str,
    *,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
) -> Any:
    """What changed between two bases written as `ledger diff` takes them."""
    from ledger.projections.diff import diff_answers
    from ledger.service.ledger import Answer

    bases = [resolve_basis(store, tz=tz, **parse_basis_spec(text)) for text in (from_, to)]
    before, after = (list_claims(store, b, tz=tz, snapshots=snapshots) for b in bases)
    actors = store.read_actors()
    registries = [registry_at(actors, b.position) for b in bases]
    answer = Answer(
        {
            "from_basis": bases[0].to_json(),
            "to_basis": bases[1].to_json(),
            "changes": diff_answers(
                before, after, actors_before=registries[0], actors_after=registries[1]
            ),
        }
    )
    answer.bases = bases
    return answer


def read_log(
    store: EventStore,
    *,
    claim: str | None = None,
    type: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The global log after a position, as full envelopes."""
    from ledger.codec import envelope_dict

    if type is not None:
        check_event_type(type)
    return [
        envelope_dict(e)
        for e in store.read_after(after, claim_id=claim, type=type, limit=limit)
    ]


def check_event_type(name: str) -> None:
    """A `--type` filter names a type of the catalogue: a typo must not read as "none yet"."""
    import difflib

    from ledger.service.vocabulary import EVENT_TYPES

    if name in EVENT_TYPES:
        return
    close = difflib.get_close_matches(name, list(EVENT_TYPES), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise InvalidInput(
        f"unknown event type '{name}'; {hint}the types are {', '.join(EVENT_TYPES)}", field="type"
    )
