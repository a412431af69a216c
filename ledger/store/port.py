"""The storage port: what the service needs from a log, whatever holds it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ledger.domain.model import Head, NewEvent, StoredEvent


@dataclass(slots=True)
class AppendResult:
    """What an append did: the events it stored and the ids it skipped as already stored."""

    added: list[StoredEvent] = field(default_factory=list)
    skipped: list[NewEvent] = field(default_factory=list)


class EventStore(Protocol):
    """An append-only, hash-chained log of events."""

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
    ) -> AppendResult:
        """Append a batch atomically under the write lock; all or nothing (`dry_run`: decide only)."""
        ...

    def head(self) -> Head:
        """The last event's position, hash and recorded_at."""
        ...

    def head_at(self, position: int) -> Head:
        """The head as it was at `position` (0 is the empty log)."""
        ...

    def read_claim(self, claim_id: str, *, up_to: int | None = None) -> list[StoredEvent]:
        """One claim's events in version order, optionally only those with position <= up_to."""
        ...

    def read_after(
        self,
        position: int = 0,
        *,
        up_to: int | None = None,
        claim_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEvent]:
        """The log in position order after `position`, optionally filtered."""
        ...

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        """Stored events by id (missing ids are absent from the result)."""
        ...

    def position_before(self, instant: int) -> int:
        """The last position whose recorded_at is before `instant` (0 if none)."""
        ...

    def close(self) -> None:
        ...
