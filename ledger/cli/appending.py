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
QuoteFileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--quote-file",
        metavar="FILE|-",
        help="Read the quote from a file (- for standard input): for text too long for a "
        "shell argument.",
    ),
]
StatementFileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--statement-file", metavar="FILE|-", help="Read the statement from a file (- for stdin)."
    ),
]
AttributedToOpt = Annotated[
    Optional[str],
    typer.Option(help="On whose authority, e.g. 'a Kremlin source' (then off the record)."),
]
OnRecordOpt = Annotated[
    Optional[bool],
    typer.Option("--on-record/--off-record", help="Default: on record unless attributed."),
]
SourceOpt = Annotated[
    Optional[str], typer.Option("--source", help="Where it was reported (a name).")
]
SourceUrlOpt = Annotated[Optional[str], typer.Option("--source-url", help="The report's URL.")]
SourcePublishedOpt = Annotated[
    Optional[str],
    typer.Option("--source-published-at", help="When the report was published (ISO time)."),
]
SourceArchiveOpt = Annotated[
    Optional[str],
    typer.Option(
        "--source-archive",
        help="A copy of the source as read (a saved page, a PDF): stored in the ledger and "
        "named by its sha256 in source.archive. Needs --source.",
        metavar="FILE",
    ),
]
NewClaimOpt = Annotated[
    bool,
    typer.Option(
        "--new-claim",
        help="This event starts a claim (or links to one) with no events yet; without it an "
        "unknown claim id is refused as a likely typo.",
    ),
]
RecordedByOpt = Annotated[
    Optional[str],
    typer.Option("--recorded-by", help="Who is recording this (kept in metadata)."),
]


class ArchivedSource(dict):  # type: ignore[type-arg]
    """A source object whose archived copy is still a file: stored when the event is."""

    archive_file: str | None = None


def text_of(value: str | None, path: str | None, option: str) -> str | None:
    """The text of `--X` or of `--X-file PATH` (`-`: standard input), never both."""
    if path is None:
        return value
    from ledger.service import InvalidInput

    if value is not None:
        raise InvalidInput(f"give --{option} or --{option}-file, not both", field=option)
    import sys

    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field=option) from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text", field=option) from None
    # A file's final newline is the editor's, not the speaker's.
    return text[:-1] if text.endswith("\n") else text


def source(
    name: str | None, url: str | None, published_at: str | None, archive: str | None = None
) -> dict[str, Any] | None:
    if name is None:
        if url is not None or published_at is not None or archive is not None:
            from ledger.service import InvalidInput

            raise InvalidInput(
                "--source-url, --source-published-at and --source-archive need --source NAME",
                field="source",
            )
        return None
    found = ArchivedSource(
        (k, v) for k, v in {"name": name, "url": url, "published_at": published_at}.items()
        if v is not None
    )
    found.archive_file = archive
    return found


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
    new_claim: bool = False,
) -> None:
    """Validate, append and print one event as stored (its full envelope, JSON on stdout)."""
    import sys

    import ledger.service as service

    archive = getattr(data.get("source"), "archive_file", None)
    if isinstance(data.get("source"), ArchivedSource):  # stored as the plain object it is
        data = {**data, "source": dict(data["source"])}
    with service.open(db) as lg:
        stored = lg.record(
            type_, claim_id, data=data, occurred_at=occurred_at, expect_version=expect_version,
            recorded_by=recorded_by, new_claim=new_claim, tz=tz,
            source_archive=sys.stdin.buffer if archive == "-" else archive,
        )
    for warning in stored.warnings:
        output.warn(warning)
    output.write_json(dict(stored))
    verb = "stored" if stored.added else "already stored"
    output.info(
        f"{verb}: {stored['type']} on {stored['claim_id']} as version {stored['version']} "
        f"at position {stored['position']}"
    )
