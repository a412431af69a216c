"""The `ledger` application: command groups, and the one place errors become exit codes."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from ledger.cli import errors
from ledger.cli.output import escape_text


INTERRUPTED = (
    "interrupted; nothing partial was stored (an import, append or single-event command "
    "commits all of its events or none of them)"
)


class LedgerGroup(TyperGroup):
    """Maps expected failures to `Error: ...` on stderr and exit 1, with no traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            # Click would print a bare "Aborted!"; what people need to know is what got stored.
            typer.echo(f"Error: {INTERRUPTED}", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the single translation point
            message = errors.message_for(exc)
            if message is None or errors.show_tracebacks():
                raise
            # Refused values come from the news: escape them like table cells, one line.
            typer.echo(f"Error: {escape_text(errors.scrub(message))}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=LedgerGroup,
    name="ledger",
    help="An append-only, hash-chained ledger of claims: who claimed what, when, who denied "
    "it, and what was known at any point in time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion for the user's shell
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"ledger {version('ledger')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """An append-only, hash-chained ledger of claims: who claimed what, when, who denied it,
    and what was known at any point in time."""


def _register() -> None:
    from ledger.cli import (
        actors,
        claims,
        diffs,
        evidence,
        explain,
        log,
        records,
        sanctions,
        search,
        web,
    )

    log.register(app)
    app.add_typer(claims.app, name="claim")
    app.add_typer(sanctions.app, name="sanction")
    app.add_typer(records.app, name="record")
    diffs.register(app)
    explain.register(app)  # why, timeline
    actors.register(app)  # actor add|alias|unalias|show|list
    evidence.register(app)  # evidence add|get|list
    search.register(app)  # search
    web.register(app)  # serve, publish


_register()


def main() -> None:
    try:
        app(prog_name="ledger")
    except KeyboardInterrupt:  # before or after a command runs (its own are caught above)
        print(f"Error: {INTERRUPTED}", file=sys.stderr)
        sys.exit(130)
