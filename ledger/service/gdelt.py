"""The GDELT use case: GDELT 2.0 exports -> validated events, and their atomic import.

The mapping itself is `ledger.ingest.gdelt` (pure); this module streams a file through it,
validates each mapped line exactly as an NDJSON line would be validated, orders the events by
GDELT's own ingest time and hands them to `ledger.service.log.import_events`, so a GDELT import is
atomic and idempotent in the same way as an NDJSON import.

Transaction time is always GDELT's (`DATEADDED`, `MentionTimeDate`): that is what lets
`--known-at` answer "what had GDELT recorded by then". The store only accepts kept times that
never decrease and are not before its head; a file that breaks that rule is refused with a
message saying why, rather than silently re-timed to the import's wall clock.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent, StoredEvent
from ledger.domain.time import format_instant
from ledger.ingest.gdelt import (
    EVENT_COLUMNS,
    GDELT_NAMESPACE,
    MENTION_COLUMNS,
    Source,
    event_line,
    mention_line,
    mention_recorded_at,
    read_gdelt_events,
    read_gdelt_mentions,
    recorded_at,
)
from ledger.service.ledger import Ledger
from ledger.service.log import ImportReport, import_events, report_json
from ledger.store.port import EventStore

Progress = Callable[[int, int | None], None]

_PROGRESS_EVERY = 5_000
_LOOKUP_CHUNK = 5_000  # mention rows per batched claim lookup: bounded memory, few queries
_READER_LINE = re.compile(r"line (\d+): (.*)", re.DOTALL)
_COLUMNS = frozenset(EVENT_COLUMNS) | frozenset(MENTION_COLUMNS)

# Which GDELT column an invalid NDJSON field came from, so the user can find it in the file.
_FIELD_COLUMNS = (
    ("claim_id", "GLOBALEVENTID"),
    ("occurred_at", "SQLDATE"),
    ("recorded_at", "DATEADDED"),
    ("data.claimant", "SOURCEURL"),
    ("data.source", "SOURCEURL"),
    ("data.statement", "Actor1Name/EventCode/Actor2Name"),
    ("data.proposition", "Actor1Code/EventCode/Actor2Code"),
    ("data.tags", "EventCode/QuadClass"),
)
_MENTION_FIELD_COLUMNS = (
    ("occurred_at", "MentionTimeDate"),
    ("recorded_at", "MentionTimeDate"),
    ("data.claimant", "MentionSourceName"),
    ("data.source", "MentionSourceName/MentionIdentifier"),
    ("metadata", "MentionType/SentenceID/Confidence/MentionDocTranslationInfo"),
)


@dataclass(frozen=True)
class MentionLoad:
    """Mention rows mapped to events, and what was left out and why."""

    events: list[NewEvent]
    rows: int
    unknown: int  # the mentioned event is not in the ledger
    own_source: int  # the mention is the article the event was coded from
    repeated: int  # the same (event, article, sentence) again in the file


def load_gdelt_events(source: Source, *, progress: Progress | None = None) -> list[NewEvent]:
    """Every row of a GDELT 2.0 events export as a validated `ClaimMade`, in DATEADDED order."""
    events: list[NewEvent] = []
    index: dict[str, int] = {}  # event id -> its place in `events`
    for number, row in _rows(read_gdelt_events(source), progress):
        try:
            line = event_line(row)
            line["recorded_at"] = recorded_at(row)
        except ValueError as exc:
            raise _refusal(exc, number) from None
        event = _validated(line, number, _FIELD_COLUMNS)
        earlier = index.get(event.event_id)
        if earlier is None:
            index[event.event_id] = len(events)
            events.append(event)
        elif not _same_row(events[earlier], event):
            # Without this the store would call line N "already stored": say what happened.
            first = events[earlier].line
            raise InvalidInput(
                f"GLOBALEVENTID {event.metadata.get('gdelt_event_id')} is also on line {first}"
                " with different values; GDELT ids are unique: remove one of the rows",
                field="GLOBALEVENTID",
                line=number,
            )
        # else: the same row again (overlapping files concatenated); keep the first
    return _in_recorded_order(events)


def _same_row(a: NewEvent, b: NewEvent) -> bool:
    return (a.occurred, a.data, a.metadata, a.recorded_at) == (
        b.occurred,
        b.data,
        b.metadata,
        b.recorded_at,
    )


def load_gdelt_mentions(
    source: Source, store: EventStore, *, progress: Progress | None = None
) -> MentionLoad:
    """Mentions of events already in the ledger as further `ClaimMade`s, in MentionTimeDate order.

    Rows are looked up in chunks, so a large file costs a few queries per chunk, not one per row.
    """
    known: dict[str, tuple[str, str | None] | None] = {}  # gid -> (statement, source url)
    seen: set[str] = set()
    events: list[NewEvent] = []
    rows = unknown = own = repeated = 0
    chunk: list[tuple[int, dict[str, str]]] = []

    def flush() -> None:
        nonlocal unknown, own, repeated
        _look_up(store, {_gid(r, n) for n, r in chunk} - known.keys(), known)
        for number, row in chunk:
            claim = known[_gid(row, number)]
            if claim is None:
                _mapped(mention_line, row, "-", number)  # still refuse a bad row
                unknown += 1
                continue
            statement, url = claim
            line = _mapped(mention_line, row, statement, number)
            if url is not None and row.get("MentionIdentifier", "").strip() == url:
                own += 1  # the event's own ClaimMade already is this article
                continue
            if line["event_id"] in seen:
                repeated += 1  # GDELT repeats a row per actor offset; one claim per sentence
                continue
            seen.add(line["event_id"])
            line["recorded_at"] = mention_recorded_at(row)
            events.append(_validated(line, number, _MENTION_FIELD_COLUMNS))
        chunk.clear()

    for number, row in _rows(read_gdelt_mentions(source), progress):
        rows += 1
        chunk.append((number, row))
        if len(chunk) >= _LOOKUP_CHUNK:
            flush()
    flush()
    return MentionLoad(_in_recorded_order(events), rows, unknown, own, repeated)


FORMATS = ("gdelt", "gdelt-mentions")


def import_gdelt_file(
    ledger: Ledger,
    source: Any,
    *,
    kind: str = "gdelt",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import a GDELT events or mentions export; the report counts what was left out, and why.

    A GDELT import always keeps GDELT's own ingest times (DATEADDED, MentionTimeDate) as
    recorded_at: that is the point of importing it.
    """
    from ledger.service.log import _read_source

    kind = kind.strip().lower()
    if kind not in FORMATS:
        raise InvalidInput(
            f"unknown input format {kind!r}; expected ndjson, {', '.join(FORMATS)}", field="from"
        )
    if kind == "gdelt":
        from ledger.service.gdelt_stream import import_gdelt_events

        return {"kind": kind, **import_gdelt_events(ledger, source, dry_run=dry_run, progress=progress)}
    stream, owned = _read_source(source)
    try:
        loaded = load_gdelt_mentions(stream, ledger.store, progress=progress)
        report = report_json(import_gdelt(ledger, loaded.events, dry_run=dry_run))
        return {
            "kind": kind, "rows": loaded.rows, **report, "unknown": loaded.unknown,
            "own_source": loaded.own_source, "repeated": loaded.repeated,
        }
    finally:
        if owned:
            stream.close()


def import_gdelt(ledger: Ledger, events: list[NewEvent], *, dry_run: bool = False) -> ImportReport:
    """Append atomically, keeping GDELT's times; explain a refusal of those times in GDELT terms."""
    try:
        return import_events(ledger, events, keep_recorded_at=True, dry_run=dry_run)
    except InvalidInput as exc:
        if exc.field != "recorded_at":
            raise
        raise _time_refusal(ledger.store, events, exc) from None


# --- helpers -------------------------------------------------------------------------------------


def _rows(
    rows: Iterable[tuple[int, dict[str, str]]], progress: Progress | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """The reader's rows, its errors as InvalidInput, and a progress tick every few thousand."""
    count = 0
    it = iter(rows)
    while True:
        try:
            item = next(it, None)
        except UnicodeDecodeError as exc:  # a ValueError too: must be caught first
            raise InvalidInput(
                f"the file is not UTF-8 text ({exc.reason} at byte {exc.start}); GDELT "
                "exports are UTF-8: check that this is a GDELT file and not compressed"
            ) from None
        except (ValueError, csv.Error) as exc:
            raise _refusal(exc, None) from None
        if item is None:
            break
        count += 1
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress(count, None)
        yield item
    if progress is not None:
        progress(count, count)


def _refusal(exc: Exception, line: int | None) -> InvalidInput:
    """A reader or mapper ValueError ("line N: ..." or "COLUMN: ...") as a line/column refusal."""
    text = str(exc)
    match = _READER_LINE.fullmatch(text)
    if match:
        return InvalidInput(match[2], line=int(match[1]))
    column, sep, reason = text.partition(": ")
    if sep and column in _COLUMNS | {"statement"}:
        return InvalidInput(reason, field=column, line=line)
    return InvalidInput(text, line=line)


def _mapped(
    build: Callable[[dict[str, str], str], dict[str, Any]],
    row: dict[str, str],
    statement: str,
    number: int,
) -> dict[str, Any]:
    try:
        return build(row, statement)
    except ValueError as exc:
        raise _refusal(exc, number) from None


def _validated(line: dict[str, Any], number: int, columns: tuple[tuple[str, str], ...]) -> NewEvent:
    """The ledger's own check of the mapped line; a refusal names the GDELT column behind it."""
    try:
        return validate_event(line, line=number, keep_recorded_at=True)
    except InvalidInput as exc:
        field = exc.field or ""
        for prefix, column in columns:
            if field == prefix or field.startswith((prefix + ".", prefix + "[")):
                raise InvalidInput(
                    f"{exc.reason} (ledger field {field})", field=column, line=number
                ) from None
        raise


def _in_recorded_order(events: list[NewEvent]) -> list[NewEvent]:
    # Stable: rows recorded at the same instant keep their file order, so positions are
    # reproducible from the file alone.
    return sorted(events, key=lambda e: e.recorded_at or 0)


def _gid(row: dict[str, str], number: int) -> str:
    value = row.get("GLOBALEVENTID", "").strip()
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(
            f"{value!r} is not a GDELT event id (digits)", field="GLOBALEVENTID", line=number
        )
    return str(int(value))


def event_id_of(gid: str) -> str:
    """The event id a GDELT event import gives event `gid` (see `event_line`)."""
    return str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt-event:{gid}"))


def _look_up(
    store: EventStore, gids: set[str], known: dict[str, tuple[str, str | None] | None]
) -> None:
    """Fill `known[gid]` with the claim's first ClaimMade statement and source URL, or None."""
    if not gids:
        return
    # Fast path: the event import's deterministic ids, one batched read for the whole chunk.
    by_id = {event_id_of(gid): gid for gid in gids}
    for event_id, stored in store.get(by_id).items():
        gid = by_id[event_id]
        if stored.claim_id == f"gdelt-{gid}" and stored.type == "ClaimMade" and stored.version == 1:
            known[gid] = _statement(stored)
    # A claim gdelt-<id> made some other way (by hand, or an NDJSON copy with other ids):
    # read it whole. Rare in practice, so one query per such claim is acceptable.
    for gid in sorted(gids - known.keys()):
        first = next((e for e in store.read_claim(f"gdelt-{gid}") if e.type == "ClaimMade"), None)
        known[gid] = None if first is None else _statement(first)


def _statement(event: StoredEvent) -> tuple[str, str | None]:
    # The stored statement, not an erratum-corrected one: a mention's event id does not depend
    # on it, and re-importing the same mentions must produce identical content.
    source = event.data.get("source")
    url = source.get("url") if isinstance(source, dict) else None
    return str(event.data["statement"]), url if isinstance(url, str) else None


def _time_refusal(store: EventStore, events: list[NewEvent], exc: InvalidInput) -> InvalidInput:
    """The store refused a kept time: say which GDELT time, and what the user can do."""
    event = next((e for e in events if e.line == exc.line), None)
    if event is None or event.recorded_at is None:
        return exc
    head = store.head()
    column = "MentionTimeDate" if "mention_time" in event.metadata else "DATEADDED"
    when = format_instant(event.recorded_at)
    if head.recorded_at is not None and event.recorded_at < head.recorded_at:
        return InvalidInput(
            f"GDELT recorded this row at {when}, before {format_instant(head.recorded_at)}, the "
            "latest recorded_at in this ledger. A GDELT import keeps GDELT's own times so that "
            "--known-at means what GDELT knew, and the log's times may never go back: import "
            "GDELT files oldest first, into a ledger that holds nothing recorded later (e.g. a "
            "fresh one, --db gdelt.db). Nothing was stored.",
            field=column,
            line=exc.line,
        )
    return InvalidInput(
        f"GDELT recorded this row at {when}, which is in the future by this machine's clock; "
        "GDELT times are UTC: check the file, or the clock. Nothing was stored.",
        field=column,
        line=exc.line,
    )
