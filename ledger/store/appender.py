"""The append decision, shared by every store: positions, versions, times, salts and hashes.

A store opens its transaction and takes its write lock, hands this module a reader over the
state inside that transaction, and writes the rows it returns. Keeping the decision in one place
is what makes the in-memory store a faithful model of the SQL one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ledger.codec import event_hash, new_salt
from ledger.domain.errata import check_erratum
from ledger.domain.errors import ConflictError, DuplicateEventError, InvalidInput
from ledger.domain.model import Head, NewEvent, StoredEvent
from ledger.domain.time import format_instant
from ledger.store.port import AppendResult


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


def same_content(stored: StoredEvent, new: NewEvent) -> bool:
    """Identical per DESIGN §3: type, claim, occurred interval, data and metadata."""
    if stored.type != new.type or stored.data != new.data or stored.metadata != new.metadata:
        return False
    if new.claim_id and stored.claim_id != new.claim_id:
        return False
    if new.occurred is None:  # errata take their recorded_at as occurred time
        return stored.is_erratum
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

    result = AppendResult()
    pending: dict[str, StoredEvent] = {}
    position, prev_hash = head.position, head.hash
    floor = head.recorded_at
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
        prev_hash = digest
    return result


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
