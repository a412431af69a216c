"""`ledger sanction ...`: consequences threatened or imposed over a claim."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ledger.cli.appending import (
    ClaimArg,
    NewClaimOpt,
    OccurredOpt,
    QuoteFileOpt,
    QuoteOpt,
    RecordedByOpt,
    SourceArchiveOpt,
    SourceOpt,
    SourcePublishedOpt,
    SourceUrlOpt,
    append_one,
    source,
    text_of,
)
from ledger.cli.options import DbOpt, ExpectVersionOpt, TzOpt

app = typer.Typer(no_args_is_help=True, help="Sanctions threatened or imposed over a claim.")

TargetOpt = Annotated[str, typer.Option(help="Who the sanction is aimed at.")]
AuthorityOpt = Annotated[
    Optional[str], typer.Option(help="Under what authority, e.g. 'counterterrorism sanctions'.")
]


@app.command("threaten")
def threaten(
    claim: ClaimArg,
    threatened_by: Annotated[str, typer.Option(help="Who threatened, e.g. 'John Kirby (US NSC)'.")],
    target: TargetOpt,
    occurred_at: OccurredOpt,
    authority: AuthorityOpt = None,
    condition: Annotated[Optional[str], typer.Option(help="On what condition.")] = None,
    quote: QuoteOpt = None,
    quote_file: QuoteFileOpt = None,
    source_name: SourceOpt = None,
    source_url: SourceUrlOpt = None,
    source_published_at: SourcePublishedOpt = None,
    source_archive: SourceArchiveOpt = None,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    new_claim: NewClaimOpt = False,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Someone threatened sanctions (SanctionThreatened).

    Example: ledger sanction threaten wagner-air-defense-to-hezbollah-or-iran
    --threatened-by "John Kirby (US NSC)" --target "Russian entities making the transfer"
    --authority "counterterrorism sanctions authorities" --occurred-at 2023-11-21
    """
    append_one(
        db=db, tz=tz, type_="SanctionThreatened", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "threatened_by": threatened_by, "target": target, "authority": authority,
            "condition": condition, "quote": text_of(quote, quote_file, "quote"),
            "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )


@app.command("impose")
def impose(
    claim: ClaimArg,
    imposed_by: Annotated[str, typer.Option(help="Who imposed them, e.g. 'US Treasury'.")],
    target: TargetOpt,
    occurred_at: OccurredOpt,
    authority: AuthorityOpt = None,
    measures: Annotated[Optional[str], typer.Option(help="What was imposed.")] = None,
    source_name: SourceOpt = None,
    source_url: SourceUrlOpt = None,
    source_published_at: SourcePublishedOpt = None,
    source_archive: SourceArchiveOpt = None,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    new_claim: NewClaimOpt = False,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Sanctions were imposed (SanctionImposed).

    Example: ledger sanction impose my-claim --imposed-by "US Treasury" --target "Wagner"
    --measures "asset freeze" --occurred-at 2024-01-15
    """
    append_one(
        db=db, tz=tz, type_="SanctionImposed", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "imposed_by": imposed_by, "target": target, "authority": authority,
            "measures": measures, "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )
