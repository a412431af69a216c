"""A GDELT events import of any size: rows streamed into one transaction, in DATEADDED order.

GDELT's own files are already in DATEADDED order (one update carries one DATEADDED), so the
rows go straight from the file to the store, a chunk at a time, while a check watches the
order. A file found out of order is read again through an external sort (sorted runs spilled
to temporary files, then merged), which gives the order the whole-file stable sort gave: by
DATEADDED, then by line. Memory holds a chunk or a run, and one small entry per event id, to
name both lines of a GLOBALEVENTID that appears twice.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import os
import pickle
import shutil
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ledger.domain.errors import DuplicateEventError, InvalidInput, LedgerError
from ledger.domain.model import Interval, NewEvent
from ledger.ingest.gdelt import Source, event_line, read_gdelt_event_values, recorded_at
from ledger.ingest.gdelt_events import FIELDS, new_event
from ledger.service.gdelt import _FIELD_COLUMNS, _refusal, _rows, _time_refusal, _validated
from ledger.service.log import chunked, stream_json

#: Events per sorted run of an out-of-order file (what the sort holds in memory at once).
SORT_RUN = 50_000

Progress = Callable[[int, int | None], None]


class _OutOfOrder(Exception):
    """The file is not in DATEADDED order: abandon the streamed pass (rolled back)."""


class FirstLines:
    """GLOBALEVENTID -> the first line that holds it, in about 16 bytes an id (a dict takes 100).

    GDELT numbers its events in increasing order, so a file's ids mostly arrive sorted: those
    are appended to two arrays and found again by bisection; an id below the largest one seen
    goes to a dict. A month of GDELT (5 million rows) then costs 80 MB, not 500.
    """

    def __init__(self) -> None:
        self._ids = array("q")
        self._lines = array("q")
        self._others: dict[int, int] = {}

    def setdefault(self, gid: int, line: int) -> int:
        """The first line of `gid`; `line` if it is new (then remembered)."""
        ids = self._ids
        if not ids or gid > ids[-1]:
            ids.append(gid)
            self._lines.append(line)
            return line
        i = bisect_left(ids, gid)  # < len(ids), as gid <= ids[-1]
        if ids[i] == gid:
            return self._lines[i]
        # Below ids[-1] when added, and ids[-1] only grows: never also in the arrays.
        return self._others.setdefault(gid, line)

    def get(self, gid: int) -> int | None:
        ids = self._ids
        i = bisect_left(ids, gid)
        if i < len(ids) and ids[i] == gid:
            return self._lines[i]
        return self._others.get(gid)


@dataclass
class _Pass:
    """What one read of the file learns: first lines of ids, repeats, the chunk in hand."""

    first_line: FirstLines = field(default_factory=FirstLines)
    later_line: dict[int, int] = field(default_factory=dict)  # ... -> a later line, if any
    repeats: int = 0
    current: list[NewEvent] = field(default_factory=list)


def import_gdelt_events(
    ledger: Any, source: Any, *, dry_run: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Import a GDELT 2.0 events export atomically and idempotently; the import report."""
    with _rereadable(source) as reopen:
        try:
            return _import(ledger, reopen, dry_run=dry_run, progress=progress, in_order=True)
        except _OutOfOrder:
            return _import(ledger, reopen, dry_run=dry_run, progress=progress, in_order=False)


def _import(
    ledger: Any,
    reopen: Callable[[], Source],
    *,
    dry_run: bool,
    progress: Progress | None,
    in_order: bool,
) -> dict[str, Any]:
    state = _Pass()
    events = _mapped(_rows(read_gdelt_event_values(reopen(), FIELDS), progress), state)
    ordered = _checked_order(events) if in_order else _sorted_externally(events)

    def chunks() -> Iterator[list[NewEvent]]:
        for chunk in chunked(ordered):
            state.current = chunk
            yield chunk

    try:
        result = ledger.store.append_stream(chunks(), keep_recorded_at=True, dry_run=dry_run)
    except DuplicateEventError as exc:
        raise _clash(exc, state) from None
    except InvalidInput as exc:
        if exc.field != "recorded_at":
            raise
        raise _time_refusal(ledger.store, state.current, exc) from None
    report = stream_json(result, dry_run=dry_run)
    # A row repeated in the file is the same event once: it is not "already stored".
    report["lines"] -= state.repeats
    report["skipped"] -= state.repeats
    return {"rows": report["lines"], **report}


def event_of(values: list[str], number: int) -> NewEvent:
    """A row's event: the fast path, or the reference one (event_line + validate_event) when
    the fast path is not certain, which also words any refusal."""
    event = new_event(values, number)
    if event is not None:
        return event
    row = dict(zip(FIELDS, values))
    try:
        line = event_line(row)
        line["recorded_at"] = recorded_at(row)
    except ValueError as exc:
        raise _refusal(exc, number) from None
    return _validated(line, number, _FIELD_COLUMNS)


def _mapped(rows: Iterable[tuple[int, list[str]]], state: _Pass) -> Iterator[NewEvent]:
    # In this process: handing rows to the validation worker (pickled, several chunks in
    # flight) cost more memory than the worker saved time.
    first_line, later_line = state.first_line, state.later_line
    for number, values in rows:
        event = event_of(values, number)
        gid = int(event.metadata["gdelt_event_id"])
        first = first_line.setdefault(gid, number)
        if first != number:
            # The same row again is skipped by the store as already stored; a different
            # one is refused there, and `_clash` names both lines.
            state.repeats += 1
            later_line.setdefault(gid, number)
        yield event


def _checked_order(events: Iterable[NewEvent]) -> Iterator[NewEvent]:
    last = None
    for event in events:
        if last is not None and (event.recorded_at or 0) < last:
            raise _OutOfOrder
        last = event.recorded_at or 0
        yield event


def _sorted_externally(events: Iterable[NewEvent]) -> Iterator[NewEvent]:
    """`events` stably sorted by recorded_at, in bounded memory."""
    with tempfile.TemporaryDirectory(prefix="ledger-gdelt-sort-") as folder:
        runs: list[Path] = []
        run: list[tuple[Any, ...]] = []

        def spill() -> None:
            path = Path(folder) / f"run-{len(runs):05d}"
            with path.open("wb") as out:
                pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
                for packed in sorted(run):  # by (recorded_at, line): unique, so stable
                    pickler.dump(packed)
            runs.append(path)
            run.clear()

        for event in events:
            run.append(_packed(event))
            if len(run) >= SORT_RUN:
                spill()
        if run:
            spill()
        with contextlib.ExitStack() as files:
            readers = [_read_run(files.enter_context(path.open("rb"))) for path in runs]
            for packed in heapq.merge(*readers):
                yield _unpacked(packed)


def _packed(e: NewEvent) -> tuple[Any, ...]:
    # Plain tuples: a frozen slotted dataclass pickles field by field, three times slower.
    occurred = None if e.occurred is None else (e.occurred.start, e.occurred.end)
    return (
        e.recorded_at or 0, e.line or 0, e.recorded_at, e.line, e.event_id, e.type, e.claim_id,
        occurred, e.data, e.metadata, e.schema_version, e.expected_version, e.salt,
    )


def _unpacked(packed: tuple[Any, ...]) -> NewEvent:
    (recorded, line, event_id, kind, claim_id, occurred, data, metadata, schema, expected,
     salt) = packed[2:]
    interval = None if occurred is None else Interval(*occurred)
    return NewEvent(
        event_id, kind, claim_id, interval, data, metadata, schema, expected, salt, recorded, line
    )


def _read_run(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    unpickler = pickle.Unpickler(stream)
    while True:
        try:
            yield unpickler.load()
        except EOFError:
            return


def _clash(exc: DuplicateEventError, state: _Pass) -> LedgerError:
    """A GLOBALEVENTID twice in the file with different values: name both lines."""
    refused = next((e for e in state.current if f"line {e.line}:" in str(exc)), None)
    if refused is None:
        return exc
    gid = int(refused.metadata["gdelt_event_id"])
    lines = {state.first_line.get(gid), state.later_line.get(gid), refused.line} - {None}
    if len(lines) < 2:
        return exc  # the other row is in the ledger already, not in this file
    first, later = min(lines), max(lines)  # type: ignore[type-var]
    return InvalidInput(
        f"GLOBALEVENTID {gid} is also on line {first} with different values; GDELT ids are "
        "unique: remove one of the rows",
        field="GLOBALEVENTID",
        line=later,
    )


@contextlib.contextmanager
def _rereadable(source: Any) -> Iterator[Callable[[], Source]]:
    """A way to read the input again from its start: a path, bytes, or a spooled copy."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        yield lambda: io.BytesIO(data)
        return
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb"):
                pass
        except OSError as exc:
            raise LedgerError(f"cannot read {source}: {exc.strerror}") from None
        yield lambda: source
        return
    # A pipe can be read once: copy it to disk, never to memory, so it can be read twice.
    with tempfile.TemporaryDirectory(prefix="ledger-gdelt-") as folder:
        path = Path(folder) / "input"
        with path.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        yield lambda: path
