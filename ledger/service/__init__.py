"""The application layer the CLI and library both call: open, append, import, export, verify."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

from ledger.verify import VerifyReport, verify_events
from ledger.codec import export_line
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.domain.events import validate_event
from ledger.domain.jsonline import parse_json_line
from ledger.domain.model import NewEvent
from ledger.store.clock import wall_clock
from ledger.store.port import AppendResult, EventStore

#: The longest NDJSON line accepted (bytes). A 1 MB quote fits; a runaway line is refused
#: before it is held in memory whole.
MAX_LINE_BYTES = 8 * 1024 * 1024

Progress = Callable[[int, int | None], None]


@dataclass
class Ledger:
    """An open ledger: the store, and the engine behind it when it is SQL."""

    store: EventStore
    engine: Any = None
    url: str = "memory"
    snapshots: Any = None  # the persisted projection (SQL ledgers); None: fold from the log

    def close(self) -> None:
        self.store.close()


def open_ledger(
    db: str | None, *, create: bool = True, clock: Callable[[], int] = wall_clock
) -> Ledger:
    """Open the ledger at `db` (path or URL); a new database gets the schema on first use."""
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import ensure_schema
    from ledger.store.sql.projection import SqlSnapshots
    from ledger.store.sql.store import SqlStore
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    engine = make_engine(url)
    ensure_schema(engine, create_if_empty=create)
    return Ledger(
        store=SqlStore(engine, clock=clock),
        engine=engine,
        url=redact(url),
        snapshots=SqlSnapshots(engine),
    )


def open_reader(db: str | None) -> Ledger:
    """Open a ledger to answer questions about a claim or two.

    An existing SQLite file at the current schema is read with the bare sqlite3 driver (a
    one-shot process then never imports SQLAlchemy); anything else opens the full store.
    Answers are the same either way: without persisted snapshots a claim is refolded from
    its own events.
    """
    from ledger.store.sql.revision import HEAD
    from ledger.store.sql.sqlite_file import SQLITE_BUSY_TIMEOUT_S
    from ledger.store.sql.reader import open_sqlite_reader, sqlite_file
    from ledger.store.sql.urls import target

    path = sqlite_file(target(db))
    reader = None if path is None else open_sqlite_reader(path, HEAD, SQLITE_BUSY_TIMEOUT_S)
    if reader is None:
        return open_ledger(db)
    return Ledger(store=reader, url=str(path))


def init_ledger(db: str | None) -> tuple[str | None, str, str]:
    """Create or upgrade the schema; returns (from revision, to revision, redacted URL)."""
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import upgrade
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    return before, after, redact(url)


# -- NDJSON in ----------------------------------------------------------------------------


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


# -- NDJSON out ---------------------------------------------------------------------------


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


# -- verify -------------------------------------------------------------------------------


def verify_ledger(
    ledger: Ledger,
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recompute the chain and check the invariants of the whole log (`chain.verify_events`)."""
    from ledger.store.sql.store import SqlStore

    if isinstance(ledger.store, SqlStore):
        # Same verdict, from raw rows and on every core: see ledger/verify_sql.py.
        from ledger.store.sql.verify import verify_sql

        return verify_sql(ledger.store.sql.engine, digest=digest, progress=progress)
    with contextlib.closing(ledger.store.read_after(0)) as events:
        return verify_events(events, digest=digest, progress=progress)


def privilege_warnings(ledger: Ledger) -> list[str]:
    """On PostgreSQL, warn when the role could change history behind the triggers' back."""
    if ledger.engine is None or ledger.engine.dialect.name != "postgresql":
        return []
    from ledger.store.sql.privileges import risky_privileges

    return risky_privileges(ledger.engine)


@contextlib.contextmanager
def opened(db: str | None, *, read_only: bool = False, **kwargs: Any) -> Iterator[Ledger]:
    """An open ledger for one command (`read_only`: see open_reader)."""
    ledger = open_reader(db) if read_only else open_ledger(db, **kwargs)
    try:
        yield ledger
    finally:
        ledger.close()


__all__ = [
    "ImportReport",
    "Ledger",
    "LedgerError",
    "MAX_LINE_BYTES",
    "export_events",
    "import_events",
    "init_ledger",
    "iter_lines",
    "open_ledger",
    "opened",
    "parse_events",
    "privilege_warnings",
    "verify_ledger",
]


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


def describe_ledger(ledger: Ledger) -> dict[str, Any]:
    """Facts about an open ledger for `ledger info` (the URL with its password hidden)."""
    from ledger.domain.time import format_instant
    from ledger.store.sql.migrate import HEAD

    head = ledger.store.head()
    facts: dict[str, Any] = {
        "database": ledger.url,
        "engine": ledger.engine.dialect.name if ledger.engine is not None else "memory",
        "schema_revision": HEAD if ledger.engine is not None else None,
        "events": head.position,
        "head_hash": head.hash,
        "head_recorded_at": None if head.recorded_at is None else format_instant(head.recorded_at),
    }
    if ledger.snapshots is not None:
        start, done = ledger.snapshots.catch_up()
        facts["claims"] = ledger.snapshots.count()
        facts["projection_checkpoint"] = done
    return facts
