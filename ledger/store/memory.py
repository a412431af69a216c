"""The in-memory store: the reference model of the port, and the fast fake for unit tests."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ledger.domain.model import EMPTY_HEAD, Head, NewEvent, StoredEvent
from ledger.store.appender import plan_append, plan_stream
from ledger.store.clock import wall_clock
from ledger.store.memory_evidence import MemoryEvidence
from ledger.store.memory_search import MemorySearch
from ledger.store.port import AppendResult, EvidenceCopy, StreamResult


class MemoryStore:
    """A list of events guarded by a lock; the same decisions as the SQL store."""

    def __init__(self, clock: Callable[[], int] = wall_clock) -> None:
        self._events: list[StoredEvent] = []
        self._by_id: dict[str, StoredEvent] = {}
        self._by_claim: dict[str, list[StoredEvent]] = {}
        self._voided: set[str] = set()
        self._recorded: list[int] = []
        self._lock = threading.Lock()
        self._clock = clock
        self.evidence = MemoryEvidence(self._events, clock)
        self.search_index = MemorySearch(
            lambda claim_id: self._by_claim.get(claim_id, []), lambda p: self._events[p - 1]
        )
        self._arriving: Sequence[EvidenceCopy] = ()  # the copies the current append stores

    # -- the reader the planner uses -------------------------------------------------------
    def state(
        self, event_ids: Iterable[str], claim_ids: Iterable[str]
    ) -> tuple[Head, dict[str, StoredEvent], dict[str, int]]:
        return self.head(), self.get(event_ids), self.last_versions(claim_ids)

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]:
        return {c: len(self._by_claim[c]) for c in claim_ids if c in self._by_claim}

    def voided(self, target_ids: Iterable[str]) -> set[str]:
        return {t for t in target_ids if t in self._voided}

    def actor_events(self) -> list[StoredEvent]:
        return self.read_actors()

    def stored_evidence(self, digests: Iterable[str]) -> set[str]:
        wanted = set(digests)
        return set(self.evidence.info(wanted)) | (wanted & {c.sha256 for c in self._arriving})

    # -- the port ----------------------------------------------------------------------------
    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> AppendResult:
        with self._lock:
            self._arriving = evidence
            try:
                result = plan_append(
                    events, self, clock=self._clock, keep_recorded_at=keep_recorded_at
                )
            finally:
                self._arriving = ()
            if dry_run:
                return result
            result.evidence = [c.sha256 for c in evidence if self.evidence.put(c)]
            for e in result.added:
                self._events.append(e)
                self._by_id[e.event_id] = e
                self._by_claim.setdefault(e.claim_id, []).append(e)
                self._recorded.append(e.recorded_at)
                if e.type == "RecordVoided":
                    self._voided.add(str(e.data["target_event_id"]))
            self.search_index.add(result.added)
            return result

    def append_stream(
        self,
        chunks: Iterable[Sequence[NewEvent]],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        before_commit: Callable[[MemoryStore], None] | None = None,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> StreamResult:
        with self._lock:
            # Later chunks are planned against the earlier ones, so those are written as they
            # come and taken back out on failure or on a dry run: the SQL store's rollback.
            mark = len(self._events)
            self._arriving = evidence
            try:
                result = plan_stream(
                    chunks, self, self._write, clock=self._clock,
                    keep_recorded_at=keep_recorded_at,
                )
                if before_commit is not None:
                    before_commit(self)
            except BaseException:
                self._truncate(mark)
                raise
            finally:
                self._arriving = ()
            if dry_run:
                self._truncate(mark)
            else:
                result.evidence = [c.sha256 for c in evidence if self.evidence.put(c)]
            return result

    def _write(self, added: Sequence[StoredEvent], _prepared: Sequence[Any] = ()) -> None:
        for e in added:
            self._events.append(e)
            self._by_id[e.event_id] = e
            self._by_claim.setdefault(e.claim_id, []).append(e)
            self._recorded.append(e.recorded_at)
            if e.type == "RecordVoided":
                self._voided.add(str(e.data["target_event_id"]))
        self.search_index.add(added)

    def _truncate(self, length: int) -> None:
        """Forget every event after the first `length` (nothing else refers to them yet)."""
        for e in reversed(self._events[length:]):
            del self._by_id[e.event_id]
            claim = self._by_claim[e.claim_id]
            claim.pop()
            if not claim:
                del self._by_claim[e.claim_id]
            if e.type == "RecordVoided":
                self._voided.discard(str(e.data["target_event_id"]))
        del self._events[length:]
        del self._recorded[length:]
        self.search_index.truncate(length)

    def head(self) -> Head:
        return self.head_at(len(self._events))

    def head_at(self, position: int) -> Head:
        if position <= 0 or not self._events:
            return EMPTY_HEAD
        e = self._events[min(position, len(self._events)) - 1]
        return Head(position=e.position, hash=e.hash, recorded_at=e.recorded_at)

    def read_claim(self, claim_id: str, *, up_to: int | None = None) -> list[StoredEvent]:
        events = self._by_claim.get(claim_id, [])
        return [e for e in events if up_to is None or e.position <= up_to]

    def read_after(
        self,
        position: int = 0,
        *,
        up_to: int | None = None,
        claim_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEvent]:
        count = 0
        end = len(self._events) if up_to is None else min(up_to, len(self._events))
        for e in self._events[max(position, 0) : end]:
            if claim_id is not None and e.claim_id != claim_id:
                continue
            if type is not None and e.type != type:
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield e

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        return {i: self._by_id[i] for i in event_ids if i in self._by_id}

    def read_actors(self, *, up_to: int | None = None) -> list[StoredEvent]:
        found = [
            e
            for claim_id, events in self._by_claim.items()
            if claim_id.startswith("actor:")
            for e in events
            if up_to is None or e.position <= up_to
        ]
        return sorted(found, key=lambda e: e.position)

    def linking_claims(self, claim_id: str, *, up_to: int) -> set[str]:
        found = set()
        for e in self._events[:up_to]:
            if e.type == "ClaimLinked" and e.data.get("other_claim_id") == claim_id:
                found.add(e.claim_id)
            elif e.type == "RecordCorrected":
                changes = e.data.get("changes")
                if isinstance(changes, dict) and changes.get("other_claim_id") == claim_id:
                    found.add(e.claim_id)
        return found

    def position_before(self, instant: int) -> int:
        return bisect.bisect_left(self._recorded, instant)

    def head_before(self, instant: int) -> Head:
        return self.head_at(self.position_before(instant))

    def close(self) -> None:
        pass
