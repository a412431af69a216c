"""Commands on the log itself: init, append, import, export, verify, log, seed."""

from __future__ import annotations

import sys
from enum import Enum
from typing import IO, Annotated, Any, Optional

import typer

from ledger.cli import output
from ledger.cli.options import (
    AsOfOpt,
    CertainOpt,
    DbOpt,
    Format,
    FormatOpt,
    KnownAtOpt,
    LockTimeoutOpt,
    TzOpt,
)
from ledger.cli.progress import progress_bar


class ExportKind(str, Enum):
    timelinejs = "timelinejs"
    claimreview = "claimreview"


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


def init(
    db: DbOpt = None,
    app_role: Annotated[
        Optional[str],
        typer.Option(
            "--app-role",
            help="PostgreSQL: grant this role exactly what appending and asking need (no "
            "UPDATE, DELETE, TRUNCATE, trigger or ownership on stored events); run the "
            "ledger as it.",
            metavar="ROLE",
        ),
    ] = None,
) -> None:
    """Create or upgrade the schema (Alembic upgrade head).

    Run it as the role that should own the ledger's tables; with --app-role, the team's
    commands then connect as ROLE.

    Example: ledger init --db postgresql://owner@db/ledger --app-role analyst
    """
    import ledger.service as service

    done = service.init(db, app_role=app_role)
    url, before, after = done["database"], done["from_revision"], done["to_revision"]
    if before == after:
        output.info(f"{url}: schema is up to date (revision {after})")
    else:
        output.info(f"{url}: schema upgraded from {before or 'empty'} to revision {after}")
    if done.get("app_role"):
        rights = "; ".join(f"{table}: {r}" for table, r in done["app_role"].items())
        output.info(f"granted {app_role}: {rights}")


def _input(path: str) -> IO[bytes] | str:
    return sys.stdin.buffer if path == "-" else path


def _load(
    path: str,
    *,
    db: str | None,
    tz: str | None,
    keep_recorded_at: bool,
    dry_run: bool,
    verb: str,
    lock_timeout: float | None = None,
) -> None:
    import ledger.service as service

    with service.open(db, tz=tz, lock_timeout=lock_timeout) as lg, progress_bar(
        f"reading {path}"
    ) as update:
        report = lg.import_ndjson(
            _input(path), keep_recorded_at=keep_recorded_at, dry_run=dry_run, progress=update
        )
    copies = report.get("evidence")
    extra = f"; {copies['lines']} archived copies read, {copies['added']} new" if copies else ""
    _report(report, verb=verb, extra=extra)
    if report.get("restamped"):
        output.warn(
            f"{report['restamped']} lines are full envelopes (an export): their recorded_at "
            "was replaced by the time of this import, so the hash chain differs from the "
            "source's; to keep their times (and, into an empty ledger, the same chain) run "
            "ledger import --keep-recorded-at"
        )


def _report(report: dict[str, Any], *, verb: str, unit: str = "lines", extra: str = "") -> None:
    if report["dry_run"]:
        count = report.get("rows", report["lines"])
        output.info(
            f"dry run: {count} {unit} valid; would add {report['added']}, skip "
            f"{report['skipped']} already stored{extra}; nothing written"
        )
        return
    span = ""
    if report["first_position"] is not None:
        span = f" at positions {report['first_position']}..{report['last_position']}"
    output.info(
        f"{verb}: {report['added']} added{span}, {report['skipped']} skipped "
        f"(already stored){extra}"
    )


def _import_gdelt(
    file: str, kind: str, *, db: str | None, dry_run: bool, lock_timeout: float | None = None
) -> None:
    """GDELT 2.0 events or mentions; recorded_at is always GDELT's own ingest time."""
    import ledger.service as service

    with service.open(db, lock_timeout=lock_timeout) as lg, progress_bar(
        f"reading {file}"
    ) as update:
        report = lg.import_gdelt(_input(file), kind=kind, dry_run=dry_run, progress=update)
    extra = ""
    if kind == "gdelt-mentions":
        extra = f", {report['unknown']} mentions of unknown events skipped"
        if report["own_source"]:
            extra += f", {report['own_source']} mentions that are the event's own source skipped"
        if report["repeated"]:
            extra += f", {report['repeated']} repeated mention rows merged"
    _report(report, verb="imported", unit="rows", extra=extra)


def append(
    file: FileArg,
    db: DbOpt = None,
    tz: TzOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
    lock_timeout: LockTimeoutOpt = None,
) -> None:
    """Append NDJSON events as given, all or nothing.

    Example: ledger append events.ndjson
    """
    _load(
        file, db=db, tz=tz, keep_recorded_at=False, dry_run=dry_run, verb="appended",
        lock_timeout=lock_timeout,
    )


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
    lock_timeout: LockTimeoutOpt = None,
) -> None:
    """Import NDJSON (or an export) atomically and idempotently: re-importing adds nothing.

    The whole input is validated before anything is written.

    Example: ledger export --db a.db | ledger import - --db b.db --keep-recorded-at
    """
    if source_format is not SourceFormat.ndjson:
        # GDELT imports always keep GDELT's own times: --keep-recorded-at is implied.
        _import_gdelt(
            file, source_format.value, db=db, dry_run=dry_run, lock_timeout=lock_timeout
        )
        return
    _load(
        file, db=db, tz=tz, keep_recorded_at=keep_recorded_at, dry_run=dry_run,
        verb="imported", lock_timeout=lock_timeout,
    )


def export(
    db: DbOpt = None,
    claim: Annotated[Optional[str], typer.Option("--claim", help="Only this claim.")] = None,
    after: Annotated[int, typer.Option("--after", min=0, help="Only positions after P.")] = 0,
    as_: Annotated[
        Optional[ExportKind],
        typer.Option(
            "--as",
            help="Instead of NDJSON, the claims at a basis for another tool: timelinejs "
            "(TimelineJS3 JSON) or claimreview (schema.org ClaimReview JSON-LD, resolved claims).",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    with_evidence: Annotated[
        bool,
        typer.Option(
            "--with-evidence",
            help="Also write each archived copy, as an evidence line before the first event "
            "that names it.",
        ),
    ] = False,
) -> None:
    """Write every event's full envelope as NDJSON to stdout, in position order.

    With --as, write the claims at a basis for another tool instead
    (ledger export --as timelinejs --as-of 2023-11-30 > timeline.json).

    Example: ledger export --with-evidence > ledger-backup.ndjson
    """
    import ledger.service as service

    if as_ is not None:
        with service.open(db, create=False) as lg:
            output.write_json(
                lg.export_as(as_.value, as_of=as_of, known_at=known_at, certain=certain)
            )
        return
    with service.open(db, create=False) as lg, progress_bar("exporting") as update:
        count = lg.export(
            sys.stdout.buffer, after=after, claim=claim, progress=update,
            with_evidence=with_evidence,
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
    import ledger.service as service

    with service.open(db, create=False) as lg, progress_bar("verifying") as update:
        report = lg.verify(digest=digest, progress=update)
    for warning in report["warnings"]:
        output.warn(warning)
    if not report["ok"]:
        problems = report.get("problems", [])
        if not report["breaks"]:  # the chain holds; something it does not cover does not
            for problem in problems[1:]:
                output.warn(problem)
            raise service.IntegrityError(problems[0])
        for problem in problems:
            output.warn(problem)
        first = report["breaks"][0]
        if "evidence" in first:  # the reason names the digest (and the event, if any)
            raise service.IntegrityError(first["reason"])
        raise service.IntegrityError(
            f"chain broken at position {first['position']}: {first['reason']}"
        )
    print(report["digest"])
    checked = " and matches the digest" if report["digest_checked"] else ""
    copies = report.get("evidence_checked")
    rehashed = f", {copies} archived copies re-hashed" if copies else ""
    output.info(f"ok: {report['checked']} events verified{checked}{rehashed}")


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
    import ledger.service as service
    from ledger.cli.render import log_rows

    with service.open(db, create=False) as lg:
        events = lg.log(claim=claim, type=type_, after=after, limit=limit)
    log_rows(events, fmt)


def seed(db: DbOpt = None, lock_timeout: LockTimeoutOpt = None) -> None:
    """Load the events bundled in seeds/ (the Wagner air-defense article); idempotent.

    Example: ledger seed && ledger claim show wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10
    """
    import ledger.service as service

    with service.open(db, lock_timeout=lock_timeout) as lg:
        reports = lg.seed()
    for report in reports:
        output.info(f"seed {report['file']}: {report['added']} added, {report['skipped']} skipped")


def info(db: DbOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Where the ledger is and what it holds: database (password hidden), schema, head.

    Example: ledger info --db postgresql://analyst@db.example/ledger
    """
    import ledger.service as service

    with service.open(db, create=False) as lg:
        facts = lg.info()
    if output.write_structured(fmt.value, facts, [facts]):
        return
    rows = list(facts.items())
    if fmt is Format.csv:
        output.write_csv(("field", "value"), rows)
    else:
        output.write_table(("field", "value"), rows)
