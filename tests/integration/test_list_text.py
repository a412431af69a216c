"""`claim list -f jsonl`, csv and table read stored text: the same answers as `claim list -f json`.

The lines are each claim's answer as `show` gives it (the model: one claim refolded or read on
its own), encoded; the rows are the values of those answers a csv or table row shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger.service as service
from ledger.service.claim_lists import row_of
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "memory":
        lg = Ledger(MemoryStore())
    else:
        url = (str(tmp_path / "t.db") if request.param == "sqlite"
               else request.getfixturevalue("pg_url"))
        lg = service.open(url)
    with lg:
        lg.seed()
        # An interval that may not have ended by a cut-off, a resolution, and a link to it.
        lg.record("ClaimMade", "spanning", data={"claimant": "A", "statement": "s", "origin": "O"},
                  occurred_at="2023-11-01/2023-11-20", new_claim=True)
        lg.record("ClaimMade", "spanning", data={"claimant": "B", "statement": "t"},
                  occurred_at="2023-11-25")
        lg.record("ClaimResolved", "spanning", data={"resolver": "UN", "outcome": "confirmed"},
                  occurred_at="2023-11-03")
        lg.record("ClaimLinked", "linking", data={"relation": "supports",
                                                   "other_claim_id": "spanning"},
                  occurred_at="2023-11-02", new_claim=True)
        # Something after the first positions, so a past --known-at meets newer snapshots.
        lg.record("ClaimDenied", "spanning", data={"denier": "C"}, occurred_at="2023-11-04")
        yield lg


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    as_of=st.sampled_from([None, "2023-11-01", "2023-11-02", "2023-11-10", "2023-11-21", "2024"]),
    known_at=st.sampled_from([None, "@5", "@16", "@20"]),
    certain=st.booleans(),
    status=st.sampled_from([None, "asserted", "disputed"]),
    actor=st.sampled_from([None, "A"]),
    limit=st.one_of(st.none(), st.integers(0, 4)),
    offset=st.integers(0, 3),
)
def test_lines_and_rows_are_the_answers_of_the_list(
    seeded: Ledger, as_of: str | None, known_at: str | None, certain: bool,
    status: str | None, actor: str | None, limit: int | None, offset: int,
) -> None:
    basis = {k: v for k, v in (("as_of", as_of), ("known_at", known_at)) if v is not None}
    asked = dict(basis, certain=certain, status=status, actor=actor, limit=limit, offset=offset)
    answers = seeded.list(**asked)
    lines = seeded.list_json(**asked)
    rows = seeded.list_rows(**asked)
    assert lines == [orjson.dumps(a) for a in answers]
    assert rows == [row_of(a) for a in answers]
    assert lines.total == rows.total == answers.total
    for line in lines:
        answer = orjson.loads(line)
        assert answer == seeded.show(answer["claim_id"], certain=certain, **basis)


def test_the_cli_writes_each_format_from_the_same_answers(tmp_path: Path) -> None:
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from ledger.cli.app import app

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--db", db]).exit_code == 0
    ask = ["claim", "list", "--db", db, "--as-of", "2023-11-10"]
    whole = json.loads(runner.invoke(app, [*ask, "-f", "json"]).stdout)
    lines = runner.invoke(app, [*ask, "-f", "jsonl"]).stdout.splitlines()
    assert [json.loads(line) for line in lines] == whole
    assert lines == [orjson.dumps(a).decode() for a in whole]
    table = list(csv.reader(io.StringIO(runner.invoke(app, [*ask, "-f", "csv"]).stdout)))
    assert [r[0] for r in table[1:]] == [a["claim_id"] for a in whole]
    assert [r[3] for r in table[1:]] == ["; ".join(str(c["actor"]) for c in a["claimants"])
                                         for a in whole]
