"""`ledger record ...`: errata. The ledger recorded something wrongly; history is kept."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ledger.cli.appending import RecordedByOpt, append_one
from ledger.cli.options import DbOpt, ExpectVersionOpt, TzOpt

app = typer.Typer(
    no_args_is_help=True,
    help="Errata: correct or void a recorded event. The original stays in the log.",
)

TargetArg = Annotated[str, typer.Argument(help="The event id to correct or void.")]
ReasonOpt = Annotated[str, typer.Option(help="Why the record was wrong.")]


def _changes(sets: list[str], unsets: list[str], occurred_at: str | None) -> dict[str, Any]:
    import orjson

    from ledger.service import InvalidInput

    changes: dict[str, Any] = {}
    for item in sets:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise InvalidInput(f"'{item}' is not FIELD=VALUE", field="set")
        try:  # JSON values (true, {"name": ...}) where they parse, plain text otherwise
            value = orjson.loads(raw) if raw[:1] in ('{', '[') or raw in ("true", "false") else raw
        except orjson.JSONDecodeError:
            raise InvalidInput(f"'{raw}' is not valid JSON for field {name}", field="set") from None
        changes[name] = value
    for name in unsets:
        changes[name] = None
    if occurred_at is not None:
        changes["occurred_at"] = occurred_at
    if not changes:
        raise InvalidInput("nothing to change: give --set FIELD=VALUE, --unset FIELD or "
                           "--occurred-at", field="changes")
    return changes


@app.command("correct")
def correct(
    target: TargetArg,
    reason: ReasonOpt,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="FIELD=VALUE to replace in the event's data; repeatable."),
    ] = None,
    unset: Annotated[
        Optional[list[str]], typer.Option(help="An optional data field to remove; repeatable.")
    ] = None,
    occurred_at: Annotated[
        Optional[str], typer.Option("--occurred-at", help="The corrected world time.")
    ] = None,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Correct a recorded event (RecordCorrected); answers known before it stay as they were.

    Example: ledger record correct 0193c4f0-... --occurred-at 2023-11-03 --reason "WSJ date"
    """
    append_one(
        db=db, tz=tz, type_="RecordCorrected", claim_id=None,
        expect_version=expect_version, recorded_by=recorded_by,
        data={"target_event_id": target, "changes": _changes(set_ or [], unset or [], occurred_at),
              "reason": reason},
    )


@app.command("void")
def void(
    target: TargetArg,
    reason: ReasonOpt,
    expect_version: ExpectVersionOpt = None,
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Void a recorded event (RecordVoided): it no longer counts from now on.

    Example: ledger record void 0193c4f0-... --reason "recorded twice"
    """
    append_one(
        db=db, tz=tz, type_="RecordVoided", claim_id=None,
        expect_version=expect_version, recorded_by=recorded_by,
        data={"target_event_id": target, "reason": reason},
    )
