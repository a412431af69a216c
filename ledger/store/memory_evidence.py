"""Archived copies held in memory: the reference model of the evidence port."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from ledger.domain.evidence import archives_named
from ledger.domain.model import StoredEvent
from ledger.store.port import EvidenceCopy, EvidenceInfo

_CHUNK = 1 << 20


class MemoryEvidence:
    """Copies by digest; the owning store's lock serialises writers, as the SQL one does."""

    def __init__(self, events: Sequence[StoredEvent], clock: Callable[[], int]) -> None:
        self._events = events
        self._clock = clock
        self._infos: dict[str, EvidenceInfo] = {}
        self._bytes: dict[str, bytes] = {}

    def put(self, copy: EvidenceCopy) -> bool:
        if copy.sha256 in self._infos:
            return False
        self._bytes[copy.sha256] = b"".join(copy.chunks())
        self._infos[copy.sha256] = EvidenceInfo(
            copy.sha256, copy.media_type, copy.size, self._clock()
        )
        return True

    def info(self, digests: Iterable[str]) -> dict[str, EvidenceInfo]:
        return {d: self._infos[d] for d in digests if d in self._infos}

    def list(self) -> list[EvidenceInfo]:
        return [self._infos[d] for d in sorted(self._infos)]

    def chunks(self, sha256: str) -> Iterator[bytes]:
        data = self._bytes.get(sha256, b"")
        for start in range(0, len(data), _CHUNK):
            yield data[start : start + _CHUNK]

    def references(self) -> Iterator[tuple[int, str]]:
        for event in list(self._events):
            for _, digest in archives_named(event.data):
                yield event.position, digest

