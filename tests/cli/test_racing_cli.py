"""Two processes racing `ledger claim deny --expect-version N`: exactly one succeeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app

CLAIM = "wagner-pantsir-s1-to-hezbollah"
LEDGER = [sys.executable, "-c", "from ledger.cli.app import main; main()"]


def _deny(db: str, denier: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*LEDGER, "claim", "deny", CLAIM, "--denier", denier, "--occurred-at", "2023-11-03",
         "--expect-version", "1", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LEDGER_DEBUG": ""},
    )


@pytest.mark.parametrize("round_", range(3))
def test_exactly_one_of_two_racing_denials_wins(db_url: str, round_: int) -> None:
    made = CliRunner().invoke(app, [
        "claim", "make", CLAIM, "--claimant", "Wall Street Journal", "--statement", "s",
        "--occurred-at", "2023-11-02", "--db", db_url,
    ])
    assert made.exit_code == 0, made.output
    racers = [_deny(db_url, "Dmitry Peskov (Kremlin)"), _deny(db_url, "Maria Zakharova")]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in racers]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, _, err in outcomes if code == 1).decode()
    assert loser.startswith("Error: ") and "version 2, not 1" in loser
    assert "Traceback" not in loser
    winner = json.loads(next(out for code, out, _ in outcomes if code == 0))
    assert winner["version"] == 2 and winner["type"] == "ClaimDenied"
    history = CliRunner().invoke(app, ["claim", "history", CLAIM, "--db", db_url, "-f", "json"])
    assert [r["version"] for r in json.loads(history.stdout)] == [1, 2]
