"""`ledger claim ...`: record what was claimed, denied, corroborated; ask what was known."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ledger.service import vocabulary
from ledger.cli.appending import (
    AttributedToOpt,
    ClaimArg,
    NewClaimOpt,
    OccurredOpt,
    OnRecordOpt,
    QuoteFileOpt,
    QuoteOpt,
    RecordedByOpt,
    SourceArchiveOpt,
    SourceOpt,
    SourcePublishedOpt,
    SourceUrlOpt,
    append_one,
    StatementFileOpt,
    source,
    text_of,
)
from ledger.cli.options import (
    AsOfOpt,
    choices,
    CertainOpt,
    DbOpt,
    ExpectVersionOpt,
    Format,
    FormatOpt,
    KnownAtOpt,
    LimitOpt,
    OffsetOpt,
    RecordFormat,
    RecordFormatOpt,
    TzOpt,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Record claims and the speech acts about them; ask what was known at any time.",
)


Modality = choices("Modality", vocabulary.MODALITIES)
Outcome = choices("Outcome", vocabulary.OUTCOMES)
Relation = choices("Relation", vocabulary.RELATIONS)
Status = choices("Status", vocabulary.STATUSES)


@app.command("make")
def make(
    claim: ClaimArg,
    claimant: Annotated[str, typer.Option(help="Who asserted it, e.g. 'Wall Street Journal'.")],
    occurred_at: OccurredOpt,
    statement: Annotated[
        Optional[str], typer.Option(help="The proposition, in one sentence (required, or a file).")
    ] = None,
    statement_file: StatementFileOpt = None,
    attributed_to: Annotated[
        Optional[str],
        typer.Option(help="On whose authority, e.g. 'unidentified US officials' (off the record)."),
    ] = None,
    on_record: Annotated[
        Optional[bool],
        typer.Option("--on-record/--off-record", help="Default: on record unless attributed."),
    ] = None,
    origin: Annotated[
        Optional[str], typer.Option(help="Independent source cluster, e.g. 'US government'.")
    ] = None,
    modality: Annotated[Optional[Modality], typer.Option(help="Default: fact.")] = None,
    subject: Annotated[Optional[str], typer.Option(help="Proposition subject.")] = None,
    predicate: Annotated[Optional[str], typer.Option(help="Proposition predicate.")] = None,
    object_: Annotated[Optional[str], typer.Option("--object", help="Proposition object.")] = None,
    about: Annotated[
        Optional[str], typer.Option(help="When the proposition is about (ISO time/interval).")
    ] = None,
    tag: Annotated[Optional[list[str]], typer.Option(help="A tag; repeat for more.")] = None,
    quote: QuoteOpt = None,
    quote_file: QuoteFileOpt = None,
    source_name: SourceOpt = None,
    source_url: SourceUrlOpt = None,
    source_published_at: SourcePublishedOpt = None,
    source_archive: SourceArchiveOpt = None,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Someone asserted a claim (ClaimMade).

    Example: ledger claim make wagner-pantsir-s1-to-hezbollah --claimant "Wall Street Journal"
    --attributed-to "unidentified US officials" --origin "US government"
    --statement "Wagner is preparing to supply a Pantsir-S1 to Hezbollah" --occurred-at 2023-11-02
    """
    proposition = {"subject": subject, "predicate": predicate, "object": object_, "about": about}
    proposition = {k: v for k, v in proposition.items() if v is not None}
    append_one(
        db=db, tz=tz, type_="ClaimMade", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by,
        data={
            "claimant": claimant, "statement": text_of(statement, statement_file, "statement"),
            "attributed_to": attributed_to, "on_record": on_record, "origin": origin,
            "modality": modality.value if modality else None,
            "quote": text_of(quote, quote_file, "quote"),
            "source": source(source_name, source_url, source_published_at, source_archive),
            "proposition": proposition or None, "tags": tag or None,
        },
    )


@app.command("deny")
def deny(
    claim: ClaimArg,
    denier: Annotated[str, typer.Option(help="Who denied it, e.g. 'Dmitry Peskov (Kremlin)'.")],
    occurred_at: OccurredOpt,
    statement: Annotated[Optional[str], typer.Option(help="The denial in one sentence.")] = None,
    statement_file: StatementFileOpt = None,
    responds_to: Annotated[
        Optional[str], typer.Option(help="The event id of the assertion it answers.")
    ] = None,
    attributed_to: AttributedToOpt = None,
    on_record: OnRecordOpt = None,
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
    """Someone denied a claim (ClaimDenied).

    Example: ledger claim deny wagner-pantsir-s1-to-hezbollah --denier "Dmitry Peskov (Kremlin)"
    --occurred-at 2023-11-02/2023-11-20 --quote "All of these musings ..." --expect-version 1
    """
    append_one(
        db=db, tz=tz, type_="ClaimDenied", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "denier": denier, "statement": text_of(statement, statement_file, "statement"),
            "responds_to": responds_to, "attributed_to": attributed_to, "on_record": on_record,
            "quote": text_of(quote, quote_file, "quote"),
            "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )


@app.command("corroborate")
def corroborate(
    claim: ClaimArg,
    corroborator: Annotated[str, typer.Option(help="Who corroborated it.")],
    occurred_at: OccurredOpt,
    origin: Annotated[
        Optional[str], typer.Option(help="Its source cluster (default: the corroborator).")
    ] = None,
    evidence: Annotated[Optional[str], typer.Option(help="What the corroboration rests on.")] = None,
    attributed_to: AttributedToOpt = None,
    on_record: OnRecordOpt = None,
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
    """Someone independent corroborated a claim (ClaimCorroborated).

    Example: ledger claim corroborate my-claim --corroborator Reuters --occurred-at 2023-11-25
    """
    append_one(
        db=db, tz=tz, type_="ClaimCorroborated", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "corroborator": corroborator, "origin": origin, "evidence": evidence,
            "attributed_to": attributed_to, "on_record": on_record,
            "quote": text_of(quote, quote_file, "quote"),
            "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )


@app.command("retract")
def retract(
    claim: ClaimArg,
    retractor: Annotated[str, typer.Option(help="The claimant withdrawing their assertion.")],
    occurred_at: OccurredOpt,
    reason: Annotated[Optional[str], typer.Option(help="Why it was withdrawn.")] = None,
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
    """A claimant withdrew their assertion (ClaimRetracted).

    Example: ledger claim retract my-claim --retractor "Wall Street Journal" --occurred-at 2023-12
    """
    append_one(
        db=db, tz=tz, type_="ClaimRetracted", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "retractor": retractor, "reason": reason,
            "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )


@app.command("resolve")
def resolve(
    claim: ClaimArg,
    outcome: Annotated[Outcome, typer.Option(help="confirmed or refuted.")],
    resolver: Annotated[str, typer.Option(help="Who settled it.")],
    occurred_at: OccurredOpt,
    evidence: Annotated[Optional[str], typer.Option(help="What settles it.")] = None,
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
    """The claim was settled, confirmed or refuted (ClaimResolved).

    Example: ledger claim resolve my-claim --outcome refuted --resolver "UN panel" --occurred-at 2024-03
    """
    append_one(
        db=db, tz=tz, type_="ClaimResolved", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={
            "outcome": outcome.value, "resolver": resolver, "evidence": evidence,
            "source": source(source_name, source_url, source_published_at, source_archive),
        },
    )


@app.command("link")
def link(
    claim: ClaimArg,
    relation: Annotated[Relation, typer.Option(help="How CLAIM relates to the other claim.")],
    other_claim_id: Annotated[str, typer.Option("--other-claim-id", "--to", help="The other claim.")],
    occurred_at: OccurredOpt,
    note: Annotated[Optional[str], typer.Option(help="Why they are linked.")] = None,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    new_claim: NewClaimOpt = False,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Relate a claim to another: supports, contradicts, refines, duplicates, presupposes.

    Example: ledger claim link wagner-air-defense-to-hezbollah-or-iran --relation refines
    --to wagner-pantsir-s1-to-hezbollah --occurred-at 2023-11-21
    """
    append_one(
        db=db, tz=tz, type_="ClaimLinked", claim_id=claim, occurred_at=occurred_at,
        expect_version=expect_version, recorded_by=recorded_by, new_claim=new_claim,
        data={"relation": relation.value, "other_claim_id": other_claim_id, "note": note},
    )


@app.command("show")
def show(
    claim: ClaimArg,
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    fmt: RecordFormatOpt = RecordFormat.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """A claim's state at a basis: status, claimants, denials, sanctions, links.

    Example: ledger claim show wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10 --certain
    """
    import ledger.service as service
    from ledger.cli.claim_render import render_claim

    with service.open(db, read_only=True, tz=tz) as lg:
        answer = lg.show(
            claim, as_of=as_of, known_at=known_at, certain=certain,
            corrections=fmt is RecordFormat.table,
        )
    render_claim(answer, fmt)


@app.command("list")
def list_(
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    status: Annotated[Optional[Status], typer.Option(help="Only claims with this status.")] = None,
    actor: Annotated[
        Optional[str],
        typer.Option(help="Only claims where this actor acts in any role (case-insensitive)."),
    ] = None,
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Every claim's state at a basis.

    Example: ledger claim list --as-of 2023-11-30 --status disputed --actor "dmitry peskov (kremlin)"
    """
    import ledger.service as service
    from ledger.cli.claim_render import render_list

    with service.open(db, create=False, tz=tz) as lg:
        # jsonl writes each answer's JSON text; csv and tables only a few values of each.
        ask = {Format.jsonl: lg.list_json, Format.csv: lg.list_rows, Format.table: lg.list_rows}
        answers = ask.get(fmt, lg.list)(
            as_of=as_of, known_at=known_at, certain=certain,
            status=status.value if status else None, actor=actor, limit=limit, offset=offset,
        )
    render_list(answers, fmt)


@app.command("history")
def history(
    claim: ClaimArg,
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Every event of a claim with both times, and what each erratum changed.

    Example: ledger claim history wagner-pantsir-s1-to-hezbollah
    """
    import ledger.service as service
    from ledger.cli.claim_render import render_history

    with service.open(db, read_only=True, tz=tz) as lg:
        rows = lg.history(claim)
    render_history(rows, fmt)
