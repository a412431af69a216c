"""`ledger import --from gdelt|gdelt-mentions`: read a GDELT export, import it, report counts.

Called by `ledger.cli.log.import_`; the work is in `ledger.service.gdelt`, this module only
opens the input, shows progress and prints the one-line summary on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from ledger.cli import output
from ledger.cli.progress import progress_bar
from ledger.domain.errors import LedgerError

FORMATS = ("gdelt", "gdelt-mentions")


def import_external(
    file: str,
    source_format: str,
    *,
    db: str | None,
    dry_run: bool,
    keep_recorded_at: bool,
) -> None:
    """Import a GDELT 2.0 events or mentions export atomically and idempotently.

    `keep_recorded_at` is accepted and implied: a GDELT import always keeps GDELT's own ingest
    times (DATEADDED, MentionTimeDate) as recorded_at, which is the point of importing it.
    """
    from ledger.service.gdelt import import_gdelt, load_gdelt_events, load_gdelt_mentions
    from ledger.service import opened

    kind = source_format.strip().lower()
    if kind not in FORMATS:
        raise LedgerError(
            f"unknown input format --from {source_format!r}; expected ndjson, {', '.join(FORMATS)}"
        )
    del keep_recorded_at  # always on for GDELT; see the docstring
    stream = _open_input(file)
    extra = ""
    try:
        if kind == "gdelt":
            with progress_bar(f"reading {file}") as update:
                events = load_gdelt_events(stream, progress=update)
            rows = len(events)
            with opened(db) as ledger:
                report = import_gdelt(ledger, events, dry_run=dry_run)
        else:
            with opened(db) as ledger:
                with progress_bar(f"reading {file}") as update:
                    loaded = load_gdelt_mentions(stream, ledger.store, progress=update)
                report = import_gdelt(ledger, loaded.events, dry_run=dry_run)
            rows = loaded.rows
            extra = f", {loaded.unknown} mentions of unknown events skipped"
            if loaded.own_source:
                extra += f", {loaded.own_source} mentions that are the event's own source skipped"
            if loaded.repeated:
                extra += f", {loaded.repeated} repeated mention rows merged"
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if dry_run:
        output.info(
            f"dry run: {rows} rows valid; would add {report.added}, skip {report.skipped} "
            f"already stored{extra}; nothing written"
        )
        return
    span = ""
    if report.first_position is not None:
        span = f" at positions {report.first_position}..{report.last_position}"
    output.info(
        f"imported: {report.added} added{span}, {report.skipped} skipped (already stored){extra}"
    )


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(Path(path), "rb")  # closed by the caller
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
