"""The storage port: what the service needs from a log, whatever holds it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from ledger.domain.model import Head, NewEvent, Prepared, StoredEvent


@dataclass(slots=True)
class AppendResult:
    """What an append did: the events it stored and the ids it skipped as already stored."""

    added: list[StoredEvent] = field(default_factory=list)
    skipped: list[NewEvent] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # digests of the copies newly stored
    #: Beside `added`, what each event's import worked out ahead (None where nothing was).
    prepared: list[Prepared | None] = field(default_factory=list, repr=False, compare=False)


@dataclass(slots=True)
class StreamResult:
    """What a streamed append did, in counts: its events are not held in memory."""

    lines: int = 0
    added: int = 0
    skipped: int = 0
    first_position: int | None = None
    last_position: int | None = None
    evidence: list[str] = field(default_factory=list)  # digests of the copies newly stored


class EventReader(Protocol):
    """The read half of the log: what every question needs, and all a read-only reader has."""

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

    def read_actors(self, *, up_to: int | None = None) -> list[StoredEvent]:
        """The events of every actor stream (`actor:<id>`) in position order, up to a position."""
        ...

    def linking_claims(self, claim_id: str, *, up_to: int) -> set[str]:
        """The claims with a link, or a correction of one, naming `claim_id` by `up_to`."""
        ...

    def position_before(self, instant: int) -> int:
        """The last position whose recorded_at is before `instant` (0 if none)."""
        ...

    def head_before(self, instant: int) -> Head:
        """The head as it was just before `instant`: `head_at(position_before(instant))`, in
        one read (one round trip to a server)."""
        ...

    def close(self) -> None:
        ...


class EventStore(EventReader, Protocol):
    """An append-only, hash-chained log of events: the reader, and the appends."""

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> AppendResult:
        """Append a batch atomically under the write lock; all or nothing (`dry_run`: decide only).

        `evidence`: copies stored in the same transaction (idempotent by digest), which the
        batch's events may name in `source.archive`.
        """
        ...

    def append_stream(
        self,
        chunks: Iterable[Sequence[NewEvent]],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        before_commit: Callable[[Any], None] | None = None,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> StreamResult:
        """`append` of the chunks' concatenation, one chunk in memory at a time: one transaction
        under the write lock, all or nothing (an error in any chunk stores none of them).

        `before_commit(view)` runs after the last chunk, inside the transaction: `view.get(ids)`
        and `view.last_versions(claim_ids)` see the whole input and the log; raising refuses
        the lot. `evidence`: copies stored before the commit, which may grow while the
        chunks are read (an import stages each copy as it meets its line)."""
        ...


# -- evidence: archived copies of sources --------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceInfo:
    """A stored copy, without its bytes."""

    sha256: str
    media_type: str
    size: int
    stored_at: int


@dataclass(frozen=True)
class EvidenceCopy:
    """A copy on its way in: hashed already, its bytes in a seekable file (never all in memory)."""

    sha256: str
    media_type: str
    size: int
    file: IO[bytes]

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(size):
            yield chunk


class EvidenceStore(Protocol):
    """Archived copies, content-addressed by sha256; append-only like the log."""

    def put(self, copy: EvidenceCopy) -> bool:
        """Store a copy under the write lock; False when its digest was already stored."""
        ...

    def info(self, digests: Iterable[str]) -> dict[str, EvidenceInfo]:
        """The stored copies among `digests` (missing ones are absent)."""
        ...

    def list(self) -> list[EvidenceInfo]:
        """Every stored copy, in digest order."""
        ...

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The bytes of a stored copy as read back, in pieces (nothing if it is not stored)."""
        ...

    def references(self) -> Iterator[tuple[int, str]]:
        """(position, digest) of every archive the log's events name, in position order."""
        ...
