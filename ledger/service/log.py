"""Writing the log: NDJSON in and out, one event from a command, the bundled seeds."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ledger.codec import export_line
from ledger.collector import collector_paused
from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.jsonline import parse_json_line
from ledger.domain.model import NewEvent
from ledger.service.pipeline import mapped_chunks
from ledger.store.prepare import Packed, pack, prepare, unpack
from ledger.store.port import AppendResult, EvidenceCopy, StreamResult

if TYPE_CHECKING:
    from ledger.service.evidence_lines import CopyReader
    from ledger.service.ledger import Ledger

#: The longest NDJSON line accepted (bytes). A 1 MB quote fits; a runaway line is refused
#: before it is held in memory whole.
MAX_LINE_BYTES = 8 * 1024 * 1024

Progress = Callable[[int, int | None], None]





def iter_lines(stream: IO[bytes], copies: CopyReader | None = None) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of an NDJSON byte stream, refusing the shapes that are not NDJSON.

    `copies`: evidence lines are staged there instead of yielded (they may be far longer).
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        number += 1
        if copies is not None and copies.claims(raw):
            copies.read(raw, stream, number)
            continue
        if len(raw) > MAX_LINE_BYTES + 1 or (len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")):
            raise InvalidInput(
                f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB, the limit for "
                "one event; split the text or store it elsewhere and link it by URL",
                line=number,
            )
        line = raw.rstrip(b"\n")
        if line.endswith(b"\r"):  # CRLF files from Windows tools are still NDJSON
            line = line[:-1]
        if not line.strip():
            raise InvalidInput(
                "the line is empty; NDJSON holds one JSON object on every line", line=number
            )
        yield number, line


def iter_events(
    lines: Iterable[tuple[int, bytes]],
    *,
    tz: ZoneInfo | None = None,
    keep_recorded_at: bool = False,
    progress: Progress | None = None,
) -> Iterator[NewEvent]:
    """Each line validated as it is read; the first refusal names its line."""
    for number, line in lines:
        obj = parse_json_line(line, number)
        yield validate_event(obj, line=number, tz=tz, keep_recorded_at=keep_recorded_at)
        if progress is not None and number % 5_000 == 0:
            progress(number, None)


def parse_events(
    lines: Iterable[tuple[int, bytes]],
    *,
    tz: ZoneInfo | None = None,
    keep_recorded_at: bool = False,
    progress: Progress | None = None,
) -> list[NewEvent]:
    """Validate every line before anything is written; the first refusal names its line."""
    return list(iter_events(lines, tz=tz, keep_recorded_at=keep_recorded_at, progress=progress))


def validate_lines(
    lines: list[tuple[int, bytes]], *, tz: ZoneInfo | None, keep_recorded_at: bool
) -> list[NewEvent]:
    """One chunk of an import, validated and prepared for hashing (in the worker of
    `ledger.service.pipeline`, so the writer's core only chains and writes)."""
    with collector_paused():
        return [prepare(e) for e in iter_events(lines, tz=tz, keep_recorded_at=keep_recorded_at)]


def validate_packed(
    lines: list[tuple[int, bytes]], *, tz: ZoneInfo | None, keep_recorded_at: bool
) -> list[Packed]:
    """`validate_lines`, packed for the trip back from the worker (ledger.store.prepare)."""
    events = validate_lines(lines, tz=tz, keep_recorded_at=keep_recorded_at)
    with collector_paused():
        return pack(events)


#: Events validated, planned and written per step of a streamed import: what memory holds.
IMPORT_CHUNK = 10_000


def chunked(events: Iterable[NewEvent], size: int | None = None) -> Iterator[list[NewEvent]]:
    size = size or IMPORT_CHUNK
    chunk: list[NewEvent] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stream_json(result: StreamResult, *, dry_run: bool) -> dict[str, Any]:
    """A streamed import's report: the same keys as `report_json`."""
    return {
        "lines": result.lines,
        "added": result.added,
        "skipped": result.skipped,
        "dry_run": dry_run,
        "first_position": result.first_position,
        "last_position": result.last_position,
    }


@dataclass(frozen=True)
class ImportReport:
    lines: int
    added: int
    skipped: int
    dry_run: bool
    first_position: int | None
    last_position: int | None
    result: AppendResult


def import_events(
    ledger: Ledger,
    events: list[NewEvent],
    *,
    keep_recorded_at: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Append all of `events` atomically (or only check them, with `dry_run`)."""
    result = ledger.store.append(events, keep_recorded_at=keep_recorded_at, dry_run=dry_run)
    return ImportReport(
        lines=len(events),
        added=len(result.added),
        skipped=len(result.skipped),
        dry_run=dry_run,
        first_position=result.added[0].position if result.added else None,
        last_position=result.added[-1].position if result.added else None,
        result=result,
    )





def export_events(
    ledger: Ledger,
    out: IO[bytes],
    *,
    after: int = 0,
    claim_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    with_evidence: bool = False,
) -> int:
    """Write the full envelope of every event, in position order; returns the count.

    `with_evidence`: each archived copy an event names is written as an evidence line just
    before the first event that names it.
    """
    count = 0
    copies = None
    if with_evidence:
        from ledger.service.evidence_lines import CopyWriter

        copies = CopyWriter(ledger, out)
    # closing(): a failed write must not leave the reading transaction open on the server.
    with contextlib.closing(ledger.store.read_after(after, claim_id=claim_id)) as events:
        for event in events:
            if copies is not None:
                copies.before(event)
            out.write(export_line(event))
            count += 1
            if progress is not None and count % 10_000 == 0:
                progress(count)
    return count


def seed_files() -> list[Any]:
    """The NDJSON files bundled as seeds, in name order."""
    from importlib.resources import files

    root = files("ledger._seeds")
    return sorted((p for p in root.iterdir() if p.name.endswith(".ndjson")), key=lambda p: p.name)


def uuid7() -> str:
    """A time-ordered UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits."""
    import os
    import time
    import uuid

    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))


def append_line(
    ledger: Ledger,
    line: dict[str, Any],
    *,
    tz: ZoneInfo | None = None,
    new_claim: bool = True,
    evidence: Sequence[EvidenceCopy] = (),
) -> tuple[Any, bool]:
    """Append one event given as an input line (CLI options); returns (stored event, added).

    `new_claim=False` refuses an event (other than a ClaimMade or an erratum) on a claim with
    no events yet, naming the closest existing ids: a typo must not start a claim.
    """
    from ledger.domain.jsonline import check_json_value
    from ledger.service.references import check_new_claim, check_references

    line = {"event_id": uuid7(), **line}
    check_json_value(line, "event")
    event = validate_event(line, tz=tz)
    if not new_claim:
        check_new_claim(ledger.store, event)
    check_references(ledger.store, [event], new_claims=new_claim)
    result = ledger.store.append([event], **({"evidence": evidence} if evidence else {}))
    if result.added:
        return result.added[0], True
    return ledger.store.get([event.event_id])[event.event_id], False


def _read_source(source: Any) -> tuple[IO[bytes], bool]:
    """An input stream for a path, bytes or an open binary stream; True if we must close it."""
    import io
    from pathlib import Path

    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, Path)):
        try:
            return open(Path(source), "rb"), True  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            from ledger.domain.errors import LedgerError

            raise LedgerError(f"cannot read {source}: {exc.strerror}") from None
    return source, False


def load_ndjson(
    ledger: Ledger,
    source: Any,
    *,
    tz: ZoneInfo | None = None,
    keep_recorded_at: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Validate and append an NDJSON input of any size in one transaction, a chunk at a time:
    all or nothing (a bad last line stores nothing), in bounded memory; the import report."""
    from ledger.service.evidence_lines import CopyReader
    from ledger.service.references import check_references

    stream, owned = _read_source(source)
    referring: list[NewEvent] = []  # the few lines whose targets are checked at the end
    copies = CopyReader()  # evidence lines, staged as they are met; stored before the commit
    envelopes = [0]  # lines that are full stored envelopes (an export)

    def noted(chunks: Iterable[list[NewEvent]]) -> Iterator[list[NewEvent]]:
        for chunk in chunks:
            for event in chunk:
                if event.salt is not None:  # only an export's full envelope carries a salt
                    envelopes[0] += 1
                if event.type == "ClaimLinked" or (
                    event.type == "ClaimDenied" and "responds_to" in event.data
                ):
                    referring.append(event)
            if progress is not None and chunk[-1].line is not None:
                progress(chunk[-1].line, None)
            yield chunk

    def check(view: Any) -> None:
        # After the last chunk, inside the transaction: a target may stand anywhere in the
        # input (written by now) or in the log.
        if referring:
            check_references(_InTransaction(view, ledger.store), referring)

    try:
        work = functools.partial(validate_packed, tz=tz, keep_recorded_at=keep_recorded_at)
        packed = mapped_chunks(iter_lines(stream, copies), work, size=IMPORT_CHUNK)
        chunks = (unpack(chunk) for chunk in packed)
        result = ledger.store.append_stream(
            noted(chunks), keep_recorded_at=keep_recorded_at, dry_run=dry_run,
            before_commit=check, evidence=copies.copies,
        )
    finally:
        copies.close()
        if owned:
            stream.close()
    report = stream_json(result, dry_run=dry_run)
    if envelopes[0] and not keep_recorded_at:
        # Their recorded_at was replaced by now: the chain's hashes differ from the source's.
        report["restamped"] = envelopes[0]
    if copies.copies:
        report["evidence"] = {"lines": len(copies.copies), "added": len(result.evidence)}
    return report


class _InTransaction:
    """The reads `check_references` makes, answered inside a streamed import's transaction."""

    def __init__(self, view: Any, outside: Any) -> None:
        self._view = view
        self._outside = outside

    def get(self, event_ids: Iterable[str]) -> dict[str, Any]:
        return dict(self._view.get(event_ids))

    def read_after(self, position: int = 0, *, claim_id: str | None = None, **_: Any) -> Any:
        # Only ever asked whether a claim has an event: its last version says so.
        assert claim_id is not None and position == 0
        return iter([claim_id] if self._view.last_versions([claim_id]) else [])

    def claim_ids(self) -> set[str]:
        # Only for the "did you mean" hint of a refusal: the committed log's ids suffice.
        return {e.claim_id for e in self._outside.read_after(0)}


def report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "lines": report.lines,
        "added": report.added,
        "skipped": report.skipped,
        "dry_run": report.dry_run,
        "first_position": report.first_position,
        "last_position": report.last_position,
    }


def load_seeds(ledger: Ledger) -> list[dict[str, Any]]:
    """Import every bundled seed file; one report per file, named."""
    reports = []
    for path in seed_files():
        with path.open("rb") as stream:
            events = parse_events(iter_lines(stream))
        reports.append({"file": path.name, **report_json(import_events(ledger, events))})
    return reports


def record_event(
    ledger: Ledger,
    type_: str,
    claim_id: str | None,
    *,
    data: dict[str, Any],
    occurred_at: str | None = None,
    expect_version: int | None = None,
    recorded_by: str | None = None,
    actor_id: str | None = None,
    new_claim: bool = False,
    tz: ZoneInfo | None = None,
    source_archive: Any = None,
) -> Any:
    """Append one event built from a command's options; its envelope, `.added` set.

    `source_archive` (a path, bytes or stream): stored as evidence in the same transaction,
    and named by the event's `source.archive`.
    """
    from ledger.codec import envelope_dict
    from ledger.service.ledger import Answer

    copies: list[EvidenceCopy] = []
    if source_archive is not None:
        from ledger.service.evidence import with_archive

        data, copy = with_archive(data, source_archive)
        copies.append(copy)
    line: dict[str, Any] = {"type": type_, "data": compact(data)}
    if claim_id is not None:
        line["claim_id"] = claim_id
    if actor_id is not None:
        line["actor_id"] = actor_id
    if occurred_at is not None:
        line["occurred_at"] = occurred_at
    if recorded_by is not None:
        line["metadata"] = {"recorded_by": recorded_by}
    if expect_version is not None:
        line["expected_version"] = expect_version
    from ledger.service.references import warnings_for

    try:
        stored, added = append_line(ledger, line, tz=tz, new_claim=new_claim, evidence=copies)
    finally:
        for copy in copies:
            copy.file.close()
    answer = Answer(envelope_dict(stored))
    answer.added = added
    answer.warnings = warnings_for(ledger.store, stored)
    return answer


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop the options that were not given: absent, not null, in the stored data."""
    return {k: v for k, v in values.items() if v is not None and v != [] and v != ()}
