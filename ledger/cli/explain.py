"""`ledger why` and `ledger timeline`: why a claim has its status, and its status over time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
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
    TzOpt,
)

ClaimArg = Annotated[str, typer.Argument(help="The claim id, e.g. wagner-pantsir-s1-to-hezbollah.")]
OutOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--out", help="Draw the timeline into this file instead: FILE.svg or FILE.png.",
        dir_okay=False,
    ),
]

_REASON_COLUMNS = (
    "role", "position", "type", "actor", "origin", "occurred", "tentative", "corrected_by",
    "event_id",
)
_TABLE_COLUMNS = ("role", "pos", "type", "actor", "origin", "occurred", "corrected by")


def register(app: typer.Typer) -> None:
    """Add `why` and `timeline` to the `ledger` application."""
    app.command("why")(why)
    app.command("timeline")(timeline)


def why(
    claim: ClaimArg,
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    certain: CertainOpt = False,
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """Why a claim has its status: the deciding rule, its origins and the events that decide it.

    Example: ledger why wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10
    """
    import ledger.service as service

    with service.open(db, read_only=True, tz=tz) as lg:
        answer = lg.why(claim, as_of=as_of, known_at=known_at, certain=certain)
    if output.write_structured(fmt.value, answer, answer["reasons"]):
        return
    rows = [_reason_row(r) for r in answer["reasons"]]
    if fmt is Format.csv:
        output.write_csv(_REASON_COLUMNS, [(*r[:7], " ".join(r[7] or ()), r[8]) for r in rows])
        return
    print(output.escape_text(answer.sentence or answer["status"]))
    if rows:
        output.write_table(
            _TABLE_COLUMNS,
            [(role, pos, type_, actor, origin, f"{when} (tentative)" if tentative else when,
              [c[:8] for c in corrected] if corrected else None)
             for role, pos, type_, actor, origin, when, tentative, corrected, _id in rows],
            title=f"Deciding events (rule {answer['rule']})",
        )
    print(output.escape_text("origins: " + (", ".join(answer["origins"]) or "-")))
    print(output.escape_text("set by: " + ", ".join(
        f"{name} {output.cell(value)[:8] if value else '-'}"
        for name, value in answer["fields"].items()
    )))
    print(output.escape_text(_basis_line(answer["basis"])))


def _reason_row(r: dict[str, Any]) -> tuple[Any, ...]:
    from ledger.service.vocabulary import describe_interval, parse_instant

    when = describe_interval(parse_instant(r["occurred_from"]), parse_instant(r["occurred_to"]))
    return (r["role"], r["position"], r["type"], r["actor"], r["origin"], when,
            r["tentative"], r["corrected_by"] or None, r["event_id"])


def _basis_line(basis: dict[str, Any]) -> str:
    parts = [f"as of {basis['as_of']}" if basis.get("as_of") else "no world-time cut-off"]
    if basis.get("known_at"):
        parts.append(f"known at {basis['known_at']}")
    if basis.get("certain"):
        parts.append("certain only")
    parts.append(f"position {basis['position']}, head hash {basis['head_hash']}")
    return "basis: " + ", ".join(parts)


def timeline(
    claim: ClaimArg,
    known_at: KnownAtOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    db: DbOpt = None,
    tz: TzOpt = None,
) -> None:
    """A claim's status over world time, and over ledger time position by position.

    Example: ledger timeline wagner-pantsir-s1-to-hezbollah --known-at @2 --out pantsir.png
    """
    import ledger.service as service

    if out is not None:
        picture_format = _picture_format(out)
        with service.open(db, read_only=True, tz=tz) as lg:
            drawn = lg.timeline_picture(claim, known_at=known_at, fmt=picture_format)
        _write_atomically(out, drawn)
        output.info(f"Wrote the timeline of {claim} to {out} ({len(drawn):,} bytes)")
        return
    with service.open(db, read_only=True, tz=tz) as lg:
        answer = lg.timeline(claim, known_at=known_at)
    records = [dict(item, axis="world") for item in answer["world"]] + [
        dict(item, axis="ledger") for item in answer["ledger"]
    ]
    if output.write_structured(fmt.value, answer, records):
        return
    world = [(i["from"], i["status"], i["tentative"], i["event_ids"]) for i in answer["world"]]
    shown_world = [(_from_text(f), s, t, e) for f, s, t, e in world]
    ledger_rows = [(i["position"], i["recorded_at"], i["status"], i["event_id"])
                   for i in answer["ledger"]]
    if fmt is Format.csv:
        output.write_csv(
            ("axis", "from", "position", "recorded_at", "status", "tentative", "event_ids"),
            [("world", f, None, None, s, t, " ".join(e)) for f, s, t, e in world]
            + [("ledger", None, p, r, s, None, e) for p, r, s, e in ledger_rows],
        )
        return
    position = answer["basis"]["position"]
    output.write_table(("from", "status", "tentative", "events"), shown_world,
                       title=f"{claim}: world time, as known at position {position}")
    output.write_table(("position", "recorded_at", "status", "event"), ledger_rows,
                       title=f"{claim}: ledger time, with no world-time cut-off")
    print(output.escape_text(_basis_line(answer["basis"])))


def _from_text(instant: str) -> str:
    """A world item's start for people: a day, or the end of one (a cut-off at its last
    microsecond: where an open interval stops being tentative)."""
    from ledger.service.vocabulary import describe_instant, format_instant, parse_instant

    us = parse_instant(instant)
    day = 86_400_000_000
    if us % day == 0:
        return format_instant(us)[:10]
    if (us + 1) % day == 0:
        return f"end of {format_instant(us)[:10]}"
    return describe_instant(us)


def _picture_format(out: Path) -> str:
    from ledger.service import InvalidInput

    suffix = out.suffix.lower().lstrip(".")
    if suffix not in ("svg", "png"):
        raise InvalidInput(
            f"cannot draw '{out}': the file name must end in .svg or .png", field="out"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InvalidInput(
            f"cannot write '{out}': the folder '{folder}' does not exist or is not writable",
            field="out",
        )
    return suffix


def _write_atomically(out: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder: a failure leaves nothing behind."""
    from ledger.service import InvalidInput

    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # mkstemp makes the file private; a picture gets the usual mode (umask applies).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, out)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as exc:
        raise InvalidInput(f"cannot write '{out}': {exc.strerror or exc}", field="out") from None
