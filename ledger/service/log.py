"""Writing the log: NDJSON in and out, one event from a command, the bundled seeds."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ledger.codec import export_line
from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.jsonline import parse_json_line
from ledger.domain.model import NewEvent
from ledger.store.port import AppendResult

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

#: The longest NDJSON line accepted (bytes). A 1 MB quote fits; a runaway line is refused
#: before it is held in memory whole.
MAX_LINE_BYTES = 8 * 1024 * 1024

Progress = Callable[[int, int | None], None]





def iter_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of an NDJSON byte stream, refusing the shapes that are not NDJSON."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        number += 1
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


def parse_events(
    lines: Iterable[tuple[int, bytes]],
    *,
    tz: ZoneInfo | None = None,
    keep_recorded_at: bool = False,
    progress: Progress | None = None,
) -> list[NewEvent]:
    """Validate every line before anything is written; the first refusal names its line."""
    events: list[NewEvent] = []
    for number, line in lines:
        obj = parse_json_line(line, number)
        events.append(validate_event(obj, line=number, tz=tz, keep_recorded_at=keep_recorded_at))
        if progress is not None and number % 5_000 == 0:
            progress(number, None)
    return events


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
) -> int:
    """Write the full envelope of every event, in position order; returns the count."""
    count = 0
    # closing(): a failed write must not leave the reading transaction open on the server.
    with contextlib.closing(ledger.store.read_after(after, claim_id=claim_id)) as events:
        for event in events:
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
    ledger: Ledger, line: dict[str, Any], *, tz: ZoneInfo | None = None
) -> tuple[Any, bool]:
    """Append one event given as an input line (CLI options); returns (stored event, added)."""
    from ledger.domain.jsonline import check_json_value

    line = {"event_id": uuid7(), **line}
    check_json_value(line, "event")
    event = validate_event(line, tz=tz)
    result = ledger.store.append([event])
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
    """Validate a whole NDJSON input, then append it atomically; the import report."""
    stream, owned = _read_source(source)
    try:
        events = parse_events(
            iter_lines(stream), tz=tz, keep_recorded_at=keep_recorded_at, progress=progress
        )
    finally:
        if owned:
            stream.close()
    return report_json(
        import_events(ledger, events, keep_recorded_at=keep_recorded_at, dry_run=dry_run)
    )


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
) -> Any:
    """Append one event built from a command's options; its envelope, `.added` set."""
    from ledger.codec import envelope_dict
    from ledger.service.ledger import Answer

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
    stored, added = append_line(ledger, line, tz=tz)
    answer = Answer(envelope_dict(stored))
    answer.added = added
    return answer


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop the options that were not given: absent, not null, in the stored data."""
    return {k: v for k, v in values.items() if v is not None and v != [] and v != ()}
