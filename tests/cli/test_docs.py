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
    cursor = 0  # the same command may stand twice, with other output: read them in order
    for command in commands:
        pipe = None
        if "|" in command:
            command, pipe = (part.strip() for part in command.split("|", 1))
        args = shlex.split(command) + ["--db", db]
        result = runner.invoke(app, args)
        written = f"$ ledger {command}" + (f" | {pipe}" if pipe else "")
        cursor = text.index(written, cursor) + len(written)
        shown = text[cursor:].split("$ ledger", 1)[0]
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


EVENTS_DOC = README.parent / "docs" / "events.md"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### (\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_the_event_reference_documents_every_type_and_field_of_the_catalogue() -> None:
    from ledger.domain.events import CATALOGUE

    sections = _sections(EVENTS_DOC.read_text())
    assert set(CATALOGUE) <= set(sections), set(CATALOGUE) - set(sections)
    for name, spec in CATALOGUE.items():
        for field in spec.fields:
            assert f"| `{field}` |" in sections[name], f"{name}.{field} is not documented"


def test_every_example_in_the_event_reference_is_accepted() -> None:
    from ledger.domain.events import validate_event
    from ledger.domain.jsonline import parse_json_line

    sections = _sections(EVENTS_DOC.read_text())
    for name, body in sections.items():
        examples = re.findall(r"```json\n(.+?)\n```", body, re.S)
        assert examples, f"{name} has no example"
        for example in examples:
            event = validate_event(parse_json_line(example.encode(), 1), line=1)
            assert event.type == name


def test_the_readme_library_example_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    block = re.search(r"```python\n(import ledger\n.+?)```", README.read_text(), re.S)
    assert block is not None, "the README has no library example"
    code = block.group(1)
    (tmp_path / "events.ndjson").write_bytes(
        (README.parent / "seeds" / "alarabiya-wagner-air-defense.ndjson").read_bytes()
    )
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert (tmp_path / "my.db").exists()
    # What the example asks: the WSJ report as of 10 November, certain events only.
    answer = scope["answer"]
    assert isinstance(answer, dict)
    assert answer["status"] == "reported"
    assert answer["basis"]["position"] == 16 and answer["basis"]["certain"] is True


def test_the_answer_reference_names_every_key_of_show_why_and_timeline(tmp_path: Path) -> None:
    import ledger.service as service

    doc = (README.parent / "docs" / "answers.md").read_text()
    with service.open(str(tmp_path / "keys.db")) as lg:
        lg.seed()
        claim = "wagner-pantsir-s1-to-hezbollah"
        answer = lg.show(claim, as_of="2023-11-10")
        keys = set(answer) | set(answer["basis"]) | set(answer["denials"][0])
        why = lg.why(claim)
        keys |= set(why) | set(why["reasons"][0]) | set(why["fields"])
        timeline = lg.timeline(claim)
        keys |= set(timeline) | set(timeline["world"][0]) | set(timeline["ledger"][0])
    from ledger.domain.events import CATALOGUE

    # A list item also carries its type's own data fields, which docs/events.md documents.
    data_fields = {name for spec in CATALOGUE.values() for name in spec.fields}
    missing = sorted(
        k for k in keys - data_fields if f"`{k}`" not in doc and f'"{k}"' not in doc
    )
    assert not missing, f"docs/answers.md does not name {missing}"
