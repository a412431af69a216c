"""`claim show` and `claim history` on a current SQLite file run on the bare sqlite3 driver."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app
from ledger.service.questions import resolve_basis, show_claim
from ledger.service import open_ledger, open_reader
from ledger.store.sql.reader import SqliteReader, sqlite_file

runner = CliRunner()
BASES = [
    {},
    {"as_of": "2023-11-02"},
    {"as_of": "2023-11-10", "certain": True},
    {"known_at": "@3"},
    {"as_of": "2023-11-30", "known_at": "@9"},
]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "seed.db"
    result = runner.invoke(app, ["seed", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def _claims(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [c for (c,) in conn.execute("SELECT DISTINCT claim_id FROM events ORDER BY 1")]


def _answer(led: Any, claim: str, basis: dict[str, Any]) -> Any:
    try:
        return show_claim(led.store, claim, resolve_basis(led.store, **basis), None, led.snapshots)
    except Exception as exc:  # nothing visible at this basis: both paths must say so
        return type(exc).__name__


def test_the_reader_answers_exactly_like_the_full_store(seeded: Path) -> None:
    full, reader = open_ledger(str(seeded)), open_reader(str(seeded))
    try:
        assert isinstance(reader.store, SqliteReader)
        for claim in _claims(seeded):
            for basis in BASES:
                assert _answer(reader, claim, basis) == _answer(full, claim, basis), (claim, basis)
        assert list(reader.store.read_after(2, up_to=5)) == list(full.store.read_after(2, up_to=5))
        assert list(reader.store.read_after(0, type="ClaimDenied", limit=1)) == list(
            full.store.read_after(0, type="ClaimDenied", limit=1)
        )
    finally:
        full.close()
        reader.close()


def test_claim_show_process_never_imports_sqlalchemy(seeded: Path) -> None:
    claim = _claims(seeded)[0]
    code = (
        "import sys\n"
        "from ledger.cli.app import main\n"
        f"sys.argv = ['ledger', 'claim', 'show', {claim!r}, '--db', {str(seeded)!r}, '-f', 'json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["claim_id"] == claim


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("led.db", "led.db"),
        ("~/x/led.db", str(Path("~/x/led.db").expanduser())),
        ("sqlite:///led.db", "led.db"),
        ("sqlite:////abs/led.db", "/abs/led.db"),
        ("sqlite:///led.db?mode=ro", None),
        ("sqlite://", None),
        ("postgresql://h/db", None),
    ],
)
def test_only_plain_sqlite_paths_take_the_reader(value: str, expected: str | None) -> None:
    found = sqlite_file(value)
    assert (None if found is None else str(found)) == expected


def test_an_older_schema_still_gets_the_full_stores_explanation(seeded: Path) -> None:
    with sqlite3.connect(seeded) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    result = runner.invoke(app, ["claim", "show", _claims(seeded)[0], "--db", str(seeded)])
    assert result.exit_code == 1
    assert "older than this program" in result.stderr


def test_show_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = runner.invoke(app, ["claim", "show", "no-such-claim", "--db", str(db)])
    assert result.exit_code == 1 and f"no ledger at {db}" in result.stderr
    assert not db.exists()  # a read never creates a database
