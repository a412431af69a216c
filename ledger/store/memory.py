"""The in-memory store: the reference model of the port, and the fast fake for unit tests."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from ledger.domain.model import EMPTY_HEAD, Head, NewEvent, StoredEvent
from ledger.store.appender import plan_append
from ledger.store.clock import wall_clock
from ledger.store.port import AppendResult


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

    # -- the reader the planner uses -------------------------------------------------------
    def state(
        self, event_ids: Iterable[str], claim_ids: Iterable[str]
    ) -> tuple[Head, dict[str, StoredEvent], dict[str, int]]:
        return self.head(), self.get(event_ids), self.last_versions(claim_ids)

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]:
        return {c: len(self._by_claim[c]) for c in claim_ids if c in self._by_claim}

    def voided(self, target_ids: Iterable[str]) -> set[str]:
        return {t for t in target_ids if t in self._voided}

    # -- the port ----------------------------------------------------------------------------
    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
    ) -> AppendResult:
        with self._lock:
            result = plan_append(
                events, self, clock=self._clock, keep_recorded_at=keep_recorded_at
            )
            if dry_run:
                return result
            for e in result.added:
                self._events.append(e)
                self._by_id[e.event_id] = e
                self._by_claim.setdefault(e.claim_id, []).append(e)
                self._recorded.append(e.recorded_at)
                if e.type == "RecordVoided":
                    self._voided.add(str(e.data["target_event_id"]))
            return result

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

    def position_before(self, instant: int) -> int:
        return bisect.bisect_left(self._recorded, instant)

    def close(self) -> None:
        pass
