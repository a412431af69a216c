"""`ledger search TEXT`: full-text search over what the ledger held at a basis."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli import output
from ledger.cli.options import (
    AsOfOpt,
    CertainOpt,
    DbOpt,
    Format,
    FormatOpt,
    KnownAtOpt,
    LimitOpt,
    OffsetOpt,
    TzOpt,
)

_COLUMNS = ("claim_id", "event_id", "position", "type", "field", "snippet", "status", "rank")
_TABLE = ("position", "claim", "type", "field", "snippet", "status")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `ledger` application."""
    app.command("search")(search)


def search(
    text: Annotated[
        str,
        typer.Argument(
            help='Words (all must appear, by stem: denied finds denies), "exact phrases", '
            "prefix* and OR between alternatives.",
            metavar="TEXT",
        ),
    ],
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    claim: Annotated[Optional[str], typer.Option(help="Only this claim's events.")] = None,
    type_: Annotated[
        Optional[str], typer.Option("--type", help="Only events of this type, e.g. ClaimDenied.")
    ] = None,
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Statements, quotes, reasons, notes, actor and source names as the ledger held them.

    Example: ledger search 'pantsir "air defense"' --known-at 2023-12-01
    """
    import ledger.service.search as searching

    with searching.open_existing(db, tz=tz) as lg:
        hits = lg.search(
            text, as_of=as_of, known_at=known_at, certain=certain, claim=claim, type=type_,
            limit=limit, offset=offset,
        )
    _render(hits, fmt)


def _render(hits: list[dict[str, Any]], fmt: Format) -> None:
    if output.write_structured(fmt.value, hits, hits):
        return
    if fmt is Format.csv:
        output.write_csv(_COLUMNS, ([h[k] for k in _COLUMNS] for h in hits))
        return
    if not hits:
        output.info("no hits at this basis")
        return
    output.write_table(
        _TABLE,
        ((h["position"], h["claim_id"], h["type"], h["field"], h["snippet"], h["status"])
         for h in hits),
    )
