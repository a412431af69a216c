"""The `ledger` application: command groups, and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import sys
from collections.abc import MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from ledger.cli import errors
from ledger.cli.output import escape_text


INTERRUPTED = (
    "interrupted; nothing partial was stored (an import, append or single-event command "
    "commits all of its events or none of them)"
)


class LedgerGroup(TyperGroup):
    """Maps expected failures to `Error: ...` on stderr and exit 1, with no traceback.

    Each command module is imported, and its commands converted to Click's, when one of its
    commands is first asked for: converting all of them cost every `ledger` process about as
    much as its own command's work in a small ledger. Listing the commands (help, completion,
    a mistyped name's suggestions) loads them all, in the order of `COMMAND_MODULES`.
    """

    @property  # type: ignore[override]
    def commands(self) -> MutableMapping[str, Any]:
        self._load(*(module for module, _names in COMMAND_MODULES))
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        self._commands = value
        self._loaded: set[str] = set()

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        self._load(_MODULE_OF.get(cmd_name, ""))
        found = self._commands.get(cmd_name)
        return self.commands.get(cmd_name) if found is None else found

    def add_command(self, cmd: Any, name: str | None = None) -> None:
        self._commands[name or cmd.name] = cmd

    def _load(self, *modules: str) -> None:
        wanted = [m for m in modules if m and m not in self._loaded]
        if not wanted:
            return
        for module in wanted:
            self._loaded.add(module)
            # The root's settings (see `app`), so each command converts as it would under it.
            part = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False,
                               add_completion=False)
            register(module, part)
            self._commands.update(typer.main.get_group(part).commands)
        # As Typer lists them: the commands, then the groups, each in registration order.
        ranked = sorted(
            self._commands.items(),
            key=lambda item: (isinstance(item[1], TyperGroup), _RANK.get(item[0], len(_RANK))),
        )
        self._commands.clear()
        self._commands.update(ranked)

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


#: The modules that register the root's commands, in the order `ledger --help` lists them,
#: and the names each registers (tests/cli/test_lazy_commands.py holds them to it).
COMMAND_MODULES = (
    ("log", ("init", "append", "import", "export", "verify", "log", "seed", "info")),
    ("claims", ("claim",)),
    ("sanctions", ("sanction",)),
    ("records", ("record",)),
    ("diffs", ("diff", "replay")),
    ("explain", ("why", "timeline")),
    ("actors", ("actor",)),
    ("evidence", ("evidence",)),
    ("search", ("search",)),
    ("web", ("serve", "publish")),
)
_MODULE_OF = {name: module for module, names in COMMAND_MODULES for name in names}
_RANK = {name: rank for rank, name in enumerate(_MODULE_OF)}
_GROUPS = {"claims": "claim", "sanctions": "sanction", "records": "record"}


def register(module_name: str, root: typer.Typer) -> None:
    """Add one command module's commands to `root`."""
    module = importlib.import_module(f"ledger.cli.{module_name}")
    if module_name in _GROUPS:
        root.add_typer(module.app, name=_GROUPS[module_name])
    else:
        module.register(root)


def main() -> None:
    try:
        app(prog_name="ledger")
    except KeyboardInterrupt:  # before or after a command runs (its own are caught above)
        print(f"Error: {INTERRUPTED}", file=sys.stderr)
        sys.exit(130)
