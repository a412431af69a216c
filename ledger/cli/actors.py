"""`ledger actor ...`: say which written names are one actor; ask where an actor appears."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from ledger.cli import output
from ledger.cli.options import (
    AsOfOpt,
    CertainOpt,
    DbOpt,
    KnownAtOpt,
    TzOpt,
    choices,
)
from ledger.service import vocabulary

app = typer.Typer(
    no_args_is_help=True,
    help="Actors: register the names the sources write for one person or body (Sergei Shoigu, "
    "Sergei Choigou), so claims compare them as one. Takes effect from its position in the "
    "log: answers at an earlier --known-at do not change.",
)

Kind = choices("Kind", vocabulary.ACTOR_KINDS)


class ShowFormat(str, Enum):
    table = "table"
    json = "json"


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


ActorArg = Annotated[str, typer.Argument(help="The actor id, a slug such as sergei-shoigu.")]
RecordedByOpt = Annotated[
    Optional[str], typer.Option("--recorded-by", help="Who is recording this (kept in metadata).")
]
NoteOpt = Annotated[Optional[str], typer.Option("--note", help="Why, or where the name is from.")]


@app.command("add")
def add(
    actor_id: ActorArg,
    name: Annotated[str, typer.Option("--name", help="The usual name, e.g. 'Sergei Shoigu'.")],
    alias: Annotated[
        Optional[list[str]],
        typer.Option("--alias", help="Another spelling the sources use; repeat for more."),
    ] = None,
    kind: Annotated[Optional[Kind], typer.Option("--kind", help="What the actor is.")] = None,
    wikidata: Annotated[
        Optional[str], typer.Option("--wikidata", help="Its Wikidata id, Q and digits (Q193471).")
    ] = None,
    affiliation: Annotated[
        Optional[str], typer.Option("--affiliation", help="E.g. 'Russian Ministry of Defence'.")
    ] = None,
    note: NoteOpt = None,
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
) -> None:
    """Register an actor (ActorRegistered): its id, its name and any aliases.

    Example: ledger actor add sergei-shoigu --name "Sergei Shoigu" --alias "Sergei Choigou"
    --kind person --wikidata Q193471
    """
    import ledger.service as service

    with service.open(db) as lg:
        stored = lg.actor_add(
            actor_id, name=name, aliases=alias or (), kind=kind.value if kind else None,
            wikidata=wikidata, affiliation=affiliation, note=note, recorded_by=recorded_by,
        )
    _stored(stored)


@app.command("alias")
def alias(
    actor_id: ActorArg,
    alias: Annotated[str, typer.Argument(help="The other name, as a source writes it.")],
    note: NoteOpt = None,
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
) -> None:
    """Give an actor another name from now on (ActorAliased); a name has one owner at a time.

    Example: ledger actor alias sergei-shoigu "Sergei Choigou" --note "AFP's French spelling"
    """
    import ledger.service as service

    with service.open(db) as lg:
        stored = lg.actor_alias(actor_id, alias, note=note, recorded_by=recorded_by)
    _stored(stored)


@app.command("unalias")
def unalias(
    actor_id: ActorArg,
    alias: Annotated[str, typer.Argument(help="The alias to take away.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the name is not this actor.")],
    recorded_by: RecordedByOpt = None,
    db: DbOpt = None,
) -> None:
    """Take an alias away from an actor from now on (ActorUnaliased); earlier answers stay.

    Example: ledger actor unalias sergei-shoigu "S. Shoigu" --reason "another person"
    """
    import ledger.service as service

    with service.open(db) as lg:
        stored = lg.actor_unalias(actor_id, alias, reason=reason, recorded_by=recorded_by)
    _stored(stored)


@app.command("show")
def show(
    actor_id: ActorArg,
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = ShowFormat.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """An actor at a basis: its names then, and every claim where it appears, by role.

    Example: ledger actor show sergei-shoigu --known-at @20
    """
    import ledger.service as service

    with service.open(db, create=False, tz=tz) as lg:
        answer = lg.actor(actor_id, as_of=as_of, known_at=known_at, certain=certain)
    if output.write_structured(fmt.value, answer, [answer]):
        return
    rows = [
        ("name", answer["name"]),
        ("aliases", answer["aliases"] or None),
        ("kind", answer["kind"]),
        ("wikidata", answer["wikidata"]),
        ("affiliation", answer["affiliation"]),
        ("note", answer["note"]),
        ("registered at", f"position {answer['registered_at_position']}"),
    ]
    output.write_table(("field", "value"), rows, title=f"{answer['actor_id']} ({_basis(answer)})")
    claims = [
        (c["claim_id"], c["status"], role["role"], role["actor"], role["occurred_from"])
        for c in answer["claims"]
        for role in c["roles"]
    ]
    if claims:
        output.write_table(("claim", "status", "role", "as written", "occurred"), claims)
    else:
        output.info("it appears in no claim at this basis")


@app.command("list")
def list_(
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json, jsonl, csv.")
    ] = ListFormat.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Every actor registered at a basis (ledger time: --known-at), with its names.

    Example: ledger actor list --known-at @20 -f json
    """
    import ledger.service as service

    with service.open(db, read_only=True, tz=tz) as lg:
        actors = lg.actors(as_of=as_of, known_at=known_at)
    if output.write_structured(fmt.value, actors, actors):
        return
    columns = ("actor_id", "name", "aliases", "kind", "wikidata", "registered_at_position")
    rows: list[Any] = [[a[c] for c in columns] for a in actors]
    if fmt.value == "csv":
        output.write_csv(columns, [[_csv(v) for v in row] for row in rows])
        return
    output.write_table(columns, rows, title=f"{len(actors)} actor{'s' if len(actors) != 1 else ''}")


def _csv(value: Any) -> Any:
    return "; ".join(value) if isinstance(value, list) else value


def _basis(answer: dict[str, Any]) -> str:
    basis = answer["basis"]
    parts = [f"position {basis['position']}"]
    if basis["as_of"]:
        parts.insert(0, f"as of {basis['as_of']}")
    return ", ".join(parts)


def _stored(stored: Any) -> None:
    output.write_json(dict(stored))
    verb = "stored" if stored.added else "already stored"
    output.info(f"{verb}: {stored['type']} on {stored['claim_id']} at position {stored['position']}")


def register(root: typer.Typer) -> None:
    """Add `ledger actor add|alias|unalias|show|list` to the `ledger` application."""
    root.add_typer(app, name="actor")
