"""The root command loads each command module when one of its commands is asked for."""

from __future__ import annotations

import os
import subprocess
import sys

import typer
import typer.main
from typer.testing import CliRunner

from ledger.cli.app import COMMAND_MODULES, app, register


def _eager() -> typer.Typer:
    """Every module registered up front, as the root once was."""
    root = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    for module, _names in COMMAND_MODULES:
        register(module, root)
    return root


def test_each_module_registers_the_commands_it_is_listed_with() -> None:
    for module, names in COMMAND_MODULES:
        part = typer.Typer(rich_markup_mode=None)
        register(module, part)
        assert sorted(typer.main.get_group(part).commands) == sorted(names), module


def test_the_root_lists_every_command_in_the_order_typer_would() -> None:
    lazy = typer.main.get_command(app)
    assert list(lazy.commands) == list(typer.main.get_group(_eager()).commands)  # type: ignore[attr-defined]
    shown = CliRunner().invoke(app, ["--help"]).stdout
    for name in lazy.commands:  # type: ignore[attr-defined]
        assert f"  {name} " in shown


def test_a_command_imports_only_its_own_module() -> None:
    code = (
        "import sys\n"
        "from ledger.cli.app import main\n"
        "sys.argv = ['ledger', 'claim', 'list', '--help']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('ledger.cli.'))\n"
        "print(' '.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.splitlines()[-1].split()
    assert "ledger.cli.claims" in loaded
    for other in ("ledger.cli.web", "ledger.cli.search", "ledger.cli.explain", "ledger.cli.log"):
        assert other not in loaded
