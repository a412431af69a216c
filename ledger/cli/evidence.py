"""`ledger evidence ...`: archived copies of sources, stored in the ledger by their sha256."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ledger.cli import output
from ledger.cli.options import DbOpt, Format, FormatOpt

app = typer.Typer(
    no_args_is_help=True,
    help="Archived copies of sources: what a page said when it was recorded, kept by sha256.",
)

_COLUMNS = ("sha256", "media_type", "size", "stored_at")


def register(parent: typer.Typer) -> None:
    """Add this module's commands to the `ledger` application."""
    parent.add_typer(app, name="evidence")


@app.command("add")
def add(
    file: Annotated[
        str, typer.Argument(help="The copy to store, or - for standard input.", metavar="FILE|-")
    ],
    media_type: Annotated[
        Optional[str],
        typer.Option("--media-type", help="e.g. text/html; default: guessed from the file name."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Store a copy (idempotent) and print its sha256, for a source's archive.

    Example: ledger evidence add wsj-2023-11-02.html
    """
    import ledger.service as service

    source = sys.stdin.buffer if file == "-" else file
    with service.open(db) as lg:
        stored = lg.evidence_add(source, media_type=media_type)
    print(stored["sha256"])
    verb = "stored" if stored["stored"] else "already stored"
    output.info(f"{verb}: {stored['size']} bytes, {stored['media_type']}")


@app.command("get")
def get(
    sha256: Annotated[str, typer.Argument(help="The copy's sha256, as `evidence add` printed.")],
    db: DbOpt = None,
) -> None:
    """Write a stored copy's bytes to standard output.

    Example: ledger evidence get 3f2a...c9 > page.html
    """
    import ledger.service as service

    with service.open(db, read_only=True) as lg:
        lg.evidence_get(sha256, sys.stdout.buffer)
    sys.stdout.flush()


@app.command("list")
def list_(fmt: FormatOpt = Format.table, db: DbOpt = None) -> None:
    """Every stored copy: sha256, media type, size, when it was stored.

    Example: ledger evidence list --format json
    """
    import ledger.service as service

    with service.open(db, read_only=True) as lg:
        copies = lg.evidence_list()
    if output.write_structured(fmt.value, copies, copies):
        return
    rows = [tuple(c[k] for k in _COLUMNS) for c in copies]
    if fmt is Format.csv:
        output.write_csv(_COLUMNS, rows)
        return
    output.write_table(("sha256", "type", "size", "stored at"), rows, title=f"{len(rows)} copies")
