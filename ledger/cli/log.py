"""Commands on the log itself: init, append, import, export, verify, log, seed."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Optional

import typer

from ledger.cli import output
from ledger.cli.options import DbOpt, Format, FormatOpt, TzOpt
from ledger.cli.progress import progress_bar

class SourceFormat(str, Enum):
    ndjson = "ndjson"
    gdelt = "gdelt"
    gdelt_mentions = "gdelt-mentions"


FileArg = Annotated[
    str, typer.Argument(help="An NDJSON file, or - for standard input.", metavar="FILE|-")
]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("append")(append)
    app.command("import")(import_)
    app.command("export")(export)
    app.command("verify")(verify)
    app.command("log")(log)
    app.command("seed")(seed)
    app.command("info")(info)


def init(db: DbOpt = None) -> None:
    """Create or upgrade the schema (Alembic upgrade head).

    Example: ledger init --db postgresql://localhost/ledger
    """
    from ledger.service import init_ledger

    before, after, url = init_ledger(db)
    if before == after:
        output.info(f"{url}: schema is up to date (revision {after})")
    else:
        output.info(f"{url}: schema upgraded from {before or 'empty'} to revision {after}")


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(Path(path), "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        from ledger.domain.errors import LedgerError

        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None


def _load(
    path: str,
    *,
    db: str | None,
    tz: str | None,
    keep_recorded_at: bool,
    dry_run: bool,
    verb: str,
) -> None:
    from ledger.domain.time import load_zone
    from ledger.service import import_events, iter_lines, opened, parse_events

    zone = load_zone(tz)
    stream = _open_input(path)
    try:
        with progress_bar(f"reading {path}") as update:
            events = parse_events(
                iter_lines(stream), tz=zone, keep_recorded_at=keep_recorded_at, progress=update
            )
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    with opened(db) as ledger:
        report = import_events(
            ledger, events, keep_recorded_at=keep_recorded_at, dry_run=dry_run
        )
    span = ""
    if report.first_position is not None:
        span = f" at positions {report.first_position}..{report.last_position}"
    if dry_run:
        output.info(
            f"dry run: {report.lines} lines valid; would add {report.added}, skip "
            f"{report.skipped} already stored; nothing written"
        )
    else:
        output.info(
            f"{verb}: {report.added} added{span}, {report.skipped} skipped (already stored)"
        )


def append(
    file: FileArg,
    db: DbOpt = None,
    tz: TzOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
) -> None:
    """Append NDJSON events as given, all or nothing.

    Example: ledger append events.ndjson
    """
    _load(file, db=db, tz=tz, keep_recorded_at=False, dry_run=dry_run, verb="appended")


def import_(
    file: FileArg,
    db: DbOpt = None,
    tz: TzOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate the whole input; write nothing.")
    ] = False,
    keep_recorded_at: Annotated[
        bool,
        typer.Option(
            "--keep-recorded-at",
            help="Keep each line's recorded_at (non-decreasing, not before the ledger's "
            "latest, not in the future): migrations and backfills.",
        ),
    ] = False,
    source_format: Annotated[
        SourceFormat,
        typer.Option(
            "--from",
            help="Input format: ndjson (default), gdelt (GDELT 2.0 events: recorded_at is "
            "always DATEADDED), gdelt-mentions.",
        ),
    ] = SourceFormat.ndjson,
) -> None:
    """Import NDJSON (or an export) atomically and idempotently: re-importing adds nothing.

    The whole input is validated before anything is written.

    Example: ledger export --db a.db | ledger import - --db b.db --keep-recorded-at
    """
    if source_format is not SourceFormat.ndjson:
        from ledger.cli.ingest import import_external

        import_external(
            file, source_format.value, db=db, dry_run=dry_run, keep_recorded_at=keep_recorded_at
        )
        return
    _load(file, db=db, tz=tz, keep_recorded_at=keep_recorded_at, dry_run=dry_run, verb="imported")


def export(
    db: DbOpt = None,
    claim: Annotated[Optional[str], typer.Option("--claim", help="Only this claim.")] = None,
    after: Annotated[int, typer.Option("--after", min=0, help="Only positions after P.")] = 0,
) -> None:
    """Write every event's full envelope as NDJSON to stdout, in position order.

    Example: ledger export > ledger-backup.ndjson
    """
    from ledger.service import export_events, opened

    with opened(db) as ledger, progress_bar("exporting") as update:
        count = export_events(
            ledger,
            sys.stdout.buffer,
            after=after,
            claim_id=claim,
            progress=lambda n: update(n, None),
        )
    sys.stdout.flush()
    output.info(f"exported {count} events")


def verify(
    db: DbOpt = None,
    digest: Annotated[
        Optional[str],
        typer.Option(
            "--digest",
            help="A digest P:H printed by an earlier verify: prove the first P events unchanged.",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain and check the invariants; exit 1 on any break.

    Prints the digest POSITION:HASH; keep it somewhere else and pass it back with --digest.

    Example: ledger verify --digest 42:5f0c...
    """
    from ledger.verify import parse_digest
    from ledger.domain.errors import IntegrityError, LedgerError
    from ledger.service import opened, privilege_warnings, verify_ledger

    expected = None
    if digest is not None:
        try:
            expected = parse_digest(digest)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
    with opened(db) as ledger:
        for warning in privilege_warnings(ledger):
            output.warn(warning)
        with progress_bar("verifying") as update:
            report = verify_ledger(ledger, digest=expected, progress=lambda n: update(n, None))
    if not report.ok:
        first = report.breaks[0]
        raise IntegrityError(f"chain broken at position {first.position}: {first.reason}")
    print(report.digest)
    checked = " and matches the digest" if report.digest_checked else ""
    output.info(f"ok: {report.checked} events verified{checked}")


def log(
    db: DbOpt = None,
    claim: Annotated[Optional[str], typer.Option("--claim", help="Only this claim.")] = None,
    type_: Annotated[
        Optional[str], typer.Option("--type", help="Only this event type, e.g. ClaimDenied.")
    ] = None,
    after: Annotated[int, typer.Option("--after", min=0, help="Only positions after P.")] = 0,
    limit: Annotated[
        Optional[int], typer.Option("--limit", min=1, help="At most N events.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The global log in position order.

    Example: ledger log --type ClaimDenied --format jsonl
    """
    from ledger.cli.render import log_rows
    from ledger.service import opened

    with opened(db) as ledger:
        events = list(ledger.store.read_after(after, claim_id=claim, type=type_, limit=limit))
    log_rows(events, fmt)


def seed(db: DbOpt = None) -> None:
    """Load the events bundled in seeds/ (the Wagner air-defense article); idempotent.

    Example: ledger seed && ledger claim show wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10
    """
    from ledger.service import import_events, iter_lines, opened, parse_events, seed_files

    with opened(db) as ledger:
        for path in seed_files():
            with path.open("rb") as stream:
                events = parse_events(iter_lines(stream))
            report = import_events(ledger, events)
            output.info(f"seed {path.name}: {report.added} added, {report.skipped} skipped")


def info(db: DbOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Where the ledger is and what it holds: database (password hidden), schema, head.

    Example: ledger info --db postgresql://analyst@db.example/ledger
    """
    from ledger.service import describe_ledger, opened

    with opened(db) as ledger:
        facts = describe_ledger(ledger)
    if output.write_structured(fmt.value, facts, [facts]):
        return
    rows = list(facts.items())
    if fmt is Format.csv:
        output.write_csv(("field", "value"), rows)
    else:
        output.write_table(("field", "value"), rows)
