"""The append decision, shared by every store: positions, versions, times, salts and hashes.

A store opens its transaction and takes its write lock, hands this module a reader over the
state inside that transaction, and writes the rows it returns. Keeping the decision in one place
is what makes the in-memory store a faithful model of the SQL one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ledger.codec import canonical_json, event_hash, new_salt, prepared_hash
from ledger.domain.actors import ACTOR_TYPES, Registry, actor_id_of, check_actor_event, registry_at
from ledger.domain.errata import check_erratum
from ledger.domain.evidence import archives_named
from ledger.domain.errors import ConflictError, DuplicateEventError, IntegrityError, InvalidInput
from ledger.domain.model import Head, NewEvent, Prepared, StoredEvent
from ledger.domain.time import format_instant
from ledger.store.port import AppendResult, StreamResult


#: Clock skew allowed between writers (and the database): a head this far ahead is tolerated.
CLOCK_SKEW_US = 60_000_000


class StateReader(Protocol):
    """What the planner reads, inside the writer's transaction."""

    def state(
        self, event_ids: Iterable[str], claim_ids: Iterable[str]
    ) -> tuple[Head, dict[str, StoredEvent], dict[str, int]]:
        """The head, the stored events among `event_ids`, and the last versions of `claim_ids`
        (one call, so a networked store can fetch them in one round trip)."""
        ...

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]: ...

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]: ...

    def voided(self, target_ids: Iterable[str]) -> set[str]: ...

    def actor_events(self) -> list[StoredEvent]:
        """Every stored event of the actor streams (`actor:<id>`), in position order."""
        ...

    def stored_evidence(self, digests: Iterable[str]) -> set[str]:
        """The digests among `digests` whose copy is stored (or arrives with this batch)."""
        ...


def same_content(stored: StoredEvent, new: NewEvent) -> bool:
    """Identical: type, claim, occurred interval, and data and metadata as canonical JSON.

    Python's == holds `True == 1` and `{"n": 1} == {"n": True}`, which hash differently; so
    values Python calls equal are compared again as the RFC 8785 bytes the hash covers.
    """
    if stored.type != new.type or stored.data != new.data or stored.metadata != new.metadata:
        return False
    if canonical_json(stored.data) != canonical_json(new.data):
        return False
    if canonical_json(stored.metadata) != canonical_json(new.metadata):
        return False
    if new.claim_id and stored.claim_id != new.claim_id:
        return False
    if new.occurred is None:  # errata and actor events take their recorded_at as occurred time
        return stored.is_erratum or stored.type in ACTOR_TYPES
    return (stored.occurred_from, stored.occurred_to) == (new.occurred.start, new.occurred.end)


def _where(event: NewEvent) -> str:
    return f"line {event.line}: " if event.line is not None else ""


def plan_append(
    batch: Sequence[NewEvent],
    reader: StateReader,
    *,
    clock: Callable[[], int],
    keep_recorded_at: bool = False,
) -> AppendResult:
    """Decide every stored row of `batch`, or raise without side effects.

    The clock is read after the first read, which on PostgreSQL is where the write lock is
    granted: recorded_at never includes the time spent waiting for another writer.
    """
    ids = {e.event_id for e in batch}
    targets = {str(e.data.get("target_event_id")) for e in batch if e.is_erratum}
    claims = {e.claim_id for e in batch if e.claim_id}
    head, existing, versions = reader.state(ids | targets, claims)
    now = clock()
    # Errata carry no claim_id: their targets' claims are known only now.
    target_claims = {existing[t].claim_id for t in targets if t in existing} - claims
    if target_claims:
        versions.update(reader.last_versions(target_claims))
    voided = reader.voided(targets)
    # Actor events are checked against the registry as it stands, batch lines included.
    registry: Registry | None = None
    if any(e.type in ACTOR_TYPES for e in batch):
        registry = registry_at(reader.actor_events())
    named = {digest for e in batch for _, digest in _archives(e)}
    copies = reader.stored_evidence(named) if named else set()

    result = AppendResult()
    pending: dict[str, StoredEvent] = {}
    position, prev_hash = head.position, head.hash
    floor = head.recorded_at
    if floor is not None and floor > now + CLOCK_SKEW_US and batch and _ahead_of_database(
        reader, floor
    ):
        # Times never decrease, so stamping after a planted far-future head would carry every
        # honest event out of reach of --known-at questions: refuse instead, loudly.
        raise IntegrityError(
            f"the log's head (position {head.position}) is recorded at "
            f"{format_instant(floor)}, in the future: nothing is appended after it; run "
            "`ledger verify`, which names the row"
        )
    batch_time = now if floor is None else max(now, floor)

    def lookup(event_id: str) -> StoredEvent | None:
        return pending.get(event_id) or existing.get(event_id)

    for event in batch:
        known = pending.get(event.event_id) or existing.get(event.event_id)
        if known is not None:
            if same_content(known, event):
                result.skipped.append(event)
                continue
            raise DuplicateEventError(
                f"{_where(event)}event_id {event.event_id} is already stored (position "
                f"{known.position}) with different content; give this event a new event_id"
            )
        if event.is_erratum:
            try:
                event = check_erratum(event, lookup, voided.__contains__)
            except InvalidInput as exc:
                raise exc.at_line(event.line) if event.line is not None else exc from None
        _check_archives(event, copies)
        if registry is not None and event.type in ACTOR_TYPES:
            _check_actor(event, registry, position + 1)
        recorded_at = _recorded_at(event, keep_recorded_at, floor, now, batch_time)
        floor = recorded_at
        current = versions.get(event.claim_id, 0)
        if event.expected_version is not None and event.expected_version != current:
            raise ConflictError(
                f"{_where(event)}claim '{event.claim_id}' is at version {current}, not "
                f"{event.expected_version}: another event got there first; re-read the claim "
                "and retry"
            )
        versions[event.claim_id] = current + 1
        position += 1
        occurred = event.occurred
        start, end = (occurred.start, occurred.end) if occurred else (recorded_at, recorded_at)
        prepared = event.prepared
        if prepared is None:
            salt = event.salt or new_salt()
            digest = event_hash(
                prev_hash=prev_hash,
                event_id=event.event_id,
                type=event.type,
                claim_id=event.claim_id,
                version=current + 1,
                position=position,
                schema_version=event.schema_version,
                occurred_from=start,
                occurred_to=end,
                recorded_at=recorded_at,
                salt=salt,
                data=event.data,
                metadata=event.metadata,
            )
        else:
            salt = prepared.salt
            recorded_text = format_instant(recorded_at)
            from_text, to_text = prepared.occurred_texts or (recorded_text, recorded_text)
            digest = prepared_hash(
                prev_hash, event.event_id, event.type, event.claim_id, current + 1, position,
                event.schema_version, from_text, to_text, recorded_text, prepared.data_hash,
                event.metadata, prepared.metadata_jcs,
            )  # fmt: skip
        stored = StoredEvent(
            position=position,
            event_id=event.event_id,
            type=event.type,
            claim_id=event.claim_id,
            version=current + 1,
            schema_version=event.schema_version,
            occurred_from=start,
            occurred_to=end,
            recorded_at=recorded_at,
            data=event.data,
            metadata=event.metadata,
            salt=salt,
            prev_hash=prev_hash,
            hash=digest,
        )
        if event.type == "RecordVoided":
            voided.add(str(event.data["target_event_id"]))
        pending[event.event_id] = stored
        result.added.append(stored)
        result.prepared.append(prepared)
        prev_hash = digest
    return result


def _check_archives(event: NewEvent, copies: set[str]) -> None:
    # Refused here, inside every store's write transaction, so no engine can store an event
    # whose archived copy is missing: the digest the chain commits to must name real bytes.
    for path, digest in _archives(event):
        if digest not in copies:
            raise InvalidInput(
                f"no archived copy with sha256 {digest} is stored; store it first with "
                "`ledger evidence add FILE` (or give --source-archive FILE)",
                field=path,
                line=event.line,
            )


def _archives(event: NewEvent) -> Iterable[tuple[str, str]]:
    prepared = event.prepared
    return archives_named(event.data) if prepared is None else prepared.archives


def first_reading(clock: Callable[[], int]) -> Callable[[], int]:
    """A clock that returns its first reading ever after: one instant for a whole stream."""
    reading: list[int] = []

    def read() -> int:
        if not reading:
            reading.append(clock())
        return reading[0]

    return read


def plan_stream(
    chunks: Iterable[Sequence[NewEvent]],
    reader: StateReader,
    write: Callable[[list[StoredEvent], list[Prepared | None]], None],
    *,
    clock: Callable[[], int],
    keep_recorded_at: bool = False,
) -> StreamResult:
    """Plan and write `chunks` one after another, as one append of their concatenation.

    The caller holds one transaction around the whole stream, and `reader` reads inside it:
    each chunk's plan sees the rows the earlier chunks wrote (their head, versions, ids and
    voids), so nothing of an earlier chunk has to stay in memory. Every event of the stream
    gets the same recorded_at, as one batch would. Raises as `plan_append` does; the caller's
    rollback then undoes the earlier chunks.
    """
    clock = first_reading(clock)
    total = StreamResult()
    for chunk in chunks:
        if not chunk:
            continue
        result = plan_append(chunk, reader, clock=clock, keep_recorded_at=keep_recorded_at)
        if result.added:
            write(result.added, result.prepared)
            if total.first_position is None:
                total.first_position = result.added[0].position
            total.last_position = result.added[-1].position
        total.lines += len(chunk)
        total.added += len(result.added)
        total.skipped += len(result.skipped)
    return total


def _check_actor(event: NewEvent, registry: Registry, position: int) -> None:
    actor_id = actor_id_of(event.claim_id)
    assert actor_id is not None, "validate_event gives actor events their actor: stream"
    try:
        check_actor_event(event.type, actor_id, event.data, registry)
    except InvalidInput as exc:
        raise exc.at_line(event.line) if event.line is not None else exc from None
    registry.apply(event.type, actor_id, event.data, position)


def _ahead_of_database(reader: StateReader, floor: int) -> bool:
    """Is the head beyond the database's own clock (plus the skew)?

    Asked only when the head is ahead of this writer's clock: a clock that stepped back keeps
    the head's time (times never decrease), a head ahead of the database's clock too is a
    planted one. A store without a clock of its own (memory) has no such check.
    """
    database_now = getattr(reader, "database_now", None)
    if database_now is None:
        return False
    reference = database_now()
    return reference is not None and floor > reference + CLOCK_SKEW_US


def _recorded_at(
    event: NewEvent, keep: bool, floor: int | None, now: int, batch_time: int
) -> int:
    if not keep:
        return batch_time
    if event.recorded_at is None:
        raise InvalidInput(
            "--keep-recorded-at needs a recorded_at on every line", field="recorded_at",
            line=event.line,
        )
    value = event.recorded_at
    if floor is not None and value < floor:
        raise InvalidInput(
            f"recorded_at {format_instant(value)} is before {format_instant(floor)}, the "
            "ledger's latest (kept times must never decrease); import without --keep-recorded-at",
            field="recorded_at",
            line=event.line,
        )
    if value > now:
        raise InvalidInput(
            f"recorded_at {format_instant(value)} is in the future", field="recorded_at",
            line=event.line,
        )
    return value
