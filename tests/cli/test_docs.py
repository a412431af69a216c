"""The README is tested: its tour runs, and every command has help and appears in it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def tour_commands() -> list[str]:
    return [m.group(1) for m in re.finditer(r"^\$ ledger (.+)$", README.read_text(), re.M)]


def test_the_readme_tour_runs_as_shown(tmp_path: Path) -> None:
    db = str(tmp_path / "tour.db")
    commands = tour_commands()
    assert len(commands) >= 6
    text = README.read_text()
    for command in commands:
        pipe = None
        if "|" in command:
            command, pipe = (part.strip() for part in command.split("|", 1))
        args = shlex.split(command) + ["--db", db]
        result = runner.invoke(app, args)
        written = f"$ ledger {command}" + (f" | {pipe}" if pipe else "")
        shown = text.split(written, 1)[1].split("$ ledger", 1)[0]
        if "Error:" in shown.split("\n```", 1)[0]:
            assert result.exit_code == 1, command
            assert result.stderr.startswith("Error:"), command
            continue
        assert result.exit_code == 0, (command, result.output)
        if pipe and pipe.startswith("jq ."):
            key = pipe[len("jq .") :]
            expected = shown.strip().splitlines()[0]
            assert json.dumps(json.loads(result.stdout)[key]) == expected, command


def _commands(group, prefix: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    import typer.main

    click_group = typer.main.get_command(group)
    names = []
    for name, command in click_group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            names += [f"{prefix}{name} {sub}" for sub in command.commands]
        else:
            names.append(f"{prefix}{name}")
    return names


@pytest.mark.parametrize("command", _commands(app))
def test_every_command_has_help_with_an_example_and_appears_in_the_readme(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, command
    text = README.read_text()
    group, _, sub = command.partition(" ")
    assert f"ledger {command}" in text or (
        sub and re.search(rf"ledger {group} [^`]*\b{sub}\b", text)
    ), f"`ledger {command}` is not in the README"
