"""Appending one event from options: shared by the claim, sanction and record groups."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli import output

ClaimArg = Annotated[str, typer.Argument(help="The claim id, a slug such as wagner-pantsir-s1.")]
OccurredOpt = Annotated[
    str,
    typer.Option(
        "--occurred-at",
        help="When it happened in the world: 2023, 2023-11, 2023-11-21, 2023-11-21T15:30Z, "
        "or an interval 2023-11-02/2023-11-20.",
    ),
]
QuoteOpt = Annotated[Optional[str], typer.Option("--quote", help="The words, verbatim.")]
SourceOpt = Annotated[
    Optional[str], typer.Option("--source", help="Where it was reported (a name).")
]
SourceUrlOpt = Annotated[Optional[str], typer.Option("--source-url", help="The report's URL.")]
SourcePublishedOpt = Annotated[
    Optional[str],
    typer.Option("--source-published-at", help="When the report was published (ISO time)."),
]
RecordedByOpt = Annotated[
    Optional[str],
    typer.Option("--recorded-by", help="Who is recording this (kept in metadata)."),
]


def source(name: str | None, url: str | None, published_at: str | None) -> dict[str, Any] | None:
    if name is None:
        if url is not None or published_at is not None:
            from ledger.service import InvalidInput

            raise InvalidInput("--source-url and --source-published-at need --source NAME",
                               field="source")
        return None
    return {k: v for k, v in {"name": name, "url": url, "published_at": published_at}.items()
            if v is not None}


def append_one(
    *,
    db: str | None,
    tz: str | None,
    type_: str,
    claim_id: str | None,
    data: dict[str, Any],
    occurred_at: str | None = None,
    expect_version: int | None = None,
    recorded_by: str | None = None,
) -> None:
    """Validate, append and print one event as stored (its full envelope, JSON on stdout)."""
    import ledger.service as service

    with service.open(db) as lg:
        stored = lg.record(
            type_, claim_id, data=data, occurred_at=occurred_at, expect_version=expect_version,
            recorded_by=recorded_by, tz=tz,
        )
    output.write_json(dict(stored))
    verb = "stored" if stored.added else "already stored"
    output.info(
        f"{verb}: {stored['type']} on {stored['claim_id']} as version {stored['version']} "
        f"at position {stored['position']}"
    )
