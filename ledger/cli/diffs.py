"""`ledger diff` and `ledger replay`: comparing bases, rebuilding projections."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli import output
from ledger.cli.options import DbOpt, Format, FormatOpt, TzOpt
from ledger.cli.progress import progress_bar

def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("replay")(replay)


def diff(
    from_: Annotated[str, typer.Option("--from", metavar="BASIS", help="The earlier basis.")],
    to: Annotated[str, typer.Option("--to", metavar="BASIS", help="The later basis.")],
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """What changed between two bases, claim by claim, and which events caused it.

    A BASIS is a world time (2023-11-10: as of the end of that day), a ledger position (@42),
    'head', or a combination: as-of=2023-11-10,known-at=2023-12-01,certain.

    Example: ledger diff --from 2023-11-01 --to 2023-11-22
    """
    import ledger.service as service

    with service.open(db, create=False, tz=tz) as lg:
        answer = lg.diff(from_=from_, to=to)
    rows, bases = answer["changes"], answer.bases
    if fmt is Format.json:
        output.write_json(dict(answer))
    elif fmt is Format.jsonl:
        output.write_jsonl(rows)
    elif fmt is Format.csv:
        # `reasons` says in words what the JSON lists say: the same text as the table's.
        output.write_csv(
            ("claim_id", "diff_type", "from_status", "to_status", "from_event_count",
             "to_event_count", "actors_added", "actors_removed", "events_added", "reasons"),
            (
                (r["claim_id"], r["diff_type"], r["from_status"], r["to_status"],
                 r["from_event_count"], r["to_event_count"], "; ".join(r["actors_added"]),
                 "; ".join(r["actors_removed"]),
                 " ".join(e["event_id"] for e in r["events_added"]), _causes(r))
                for r in rows
            ),
        )
    else:
        output.write_table(
            ("claim", "change", "status", "caused by"),
            ((r["claim_id"], r["diff_type"], _status_change(r), _causes(r)) for r in rows),
            title=f"{output.plural(len(rows), 'claim')} changed ({bases[0].describe()} -> {bases[1].describe()})",
        )


def _status_change(row: dict[str, Any]) -> str:
    before, after = row["from_status"], row["to_status"]
    return str(after) if before == after else f"{before or '-'} -> {after or '-'}"


def _causes(row: dict[str, Any]) -> str:
    parts = [
        f"+{e['kind']} {e['actor']}" if e["actor"] else f"+{e['kind']}"
        for e in row["events_added"]
    ]
    parts += [f"-{e['kind']} {e['actor'] or ''}".strip() for e in row["events_removed"]]
    parts += [r["reason"] for r in row.get("actors_resolved", ())]  # actor merges and splits
    parts += [_correction(c) for c in row.get("events_corrected", ())]
    settled = len(row["events_no_longer_tentative"])
    if settled:
        parts.append(f"{settled} event{'s' if settled > 1 else ''} no longer tentative")
    return "; ".join(parts)


def _correction(corrected: dict[str, Any]) -> str:
    """`corrected claimant Kirby -> Biden`, `corrected denial date 2023-10-21 -> 2023-10-23`."""
    from ledger.service.vocabulary import describe_interval, parse_instant

    changes = corrected["changes"]
    kind = corrected["kind"]
    said = []
    if "actor" in changes:
        said.append(f"corrected {kind} {changes['actor']['from']} -> {changes['actor']['to']}")
    if "occurred_from" in changes:
        old, new = (
            describe_interval(parse_instant(changes["occurred_from"][k]),
                              parse_instant(changes["occurred_to"][k]))
            for k in ("from", "to")
        )
        said.append(f"corrected {kind} date {old} -> {new}")
    return "; ".join(said)


def replay(db: DbOpt = None) -> None:
    """Drop the claim projection and rebuild it from the log; the result is identical.

    Example: ledger replay
    """
    import ledger.service as service

    with service.open(db) as lg, progress_bar("replaying") as update:
        done = lg.replay(progress=update)
    if not done["rebuilt"]:
        output.info("this ledger keeps no projection tables; nothing to rebuild")
        return
    output.info(f"replayed {done['events']} events into {done['claims']} claims")
