"""A page of the claim list is the page of the whole list, and says how many there are.

The model asks each claim on its own (`show`, a refold of that claim) and keeps the ones
visible at the basis: the list built a page at a time must agree with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger.service as service
from ledger.service.ledger import Ledger
from ledger.service.vocabulary import STATUSES
from ledger.store.memory import MemoryStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "memory":
        lg = Ledger(MemoryStore())
    else:
        url = str(tmp_path / "p.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
        lg = service.open(url)
    with lg:
        lg.seed()
        gone = lg.record("ClaimMade", "later-voided", data={"claimant": "X", "statement": "s"},
                         occurred_at="2023-11-05", new_claim=True)
        lg.record("RecordVoided", data={"target_event_id": gone["event_id"], "reason": "dup"})
        for i in range(6):
            lg.record("ClaimMade", f"extra-{i}", data={"claimant": f"C{i}", "statement": "s"},
                      occurred_at=f"2023-11-{10 + i:02d}", new_claim=True)
        yield lg


def _model(lg: Ledger, basis: dict[str, str], status: str | None) -> list[str]:
    claims = sorted({e["claim_id"] for e in lg.log() if not e["claim_id"].startswith("actor:")})
    visible = []
    for claim in claims:
        try:
            answer = lg.show(claim, **basis)
        except service.NotFoundError:
            continue
        if status is None or answer["status"] == status:
            visible.append(claim)
    return visible


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    as_of=st.sampled_from([None, "2023-11-01", "2023-11-02", "2023-11-12", "2023-11-21"]),
    known_at=st.sampled_from([None, "@5", "@16", "@18"]),
    status=st.sampled_from([None, *STATUSES]),
    limit=st.one_of(st.none(), st.integers(0, 5)),
    offset=st.integers(0, 12),
)
def test_a_page_is_the_models_page_and_counts_the_whole_list(
    seeded: Ledger, as_of, known_at, status, limit, offset  # type: ignore[no-untyped-def]
) -> None:
    basis = {k: v for k, v in (("as_of", as_of), ("known_at", known_at)) if v is not None}
    expected = _model(seeded, basis, status)
    page = seeded.list(status=status, limit=limit, offset=offset, **basis)
    end = None if limit is None else offset + limit
    assert [a["claim_id"] for a in page] == expected[offset:end]
    assert page.total == len(expected)
    for answer in page:
        assert answer == seeded.show(answer["claim_id"], **basis)


def test_the_cli_pages_the_list_and_says_of_how_many(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ledger.cli.app import app

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--db", db]).exit_code == 0
    whole = json.loads(runner.invoke(app, ["claim", "list", "--db", db, "-f", "json"]).stdout)
    page = runner.invoke(app, ["claim", "list", "--db", db, "-f", "json", "--limit", "2",
                               "--offset", "1"])
    assert json.loads(page.stdout) == whole[1:3]
    table = runner.invoke(app, ["claim", "list", "--db", db, "--limit", "2"])
    assert f"2 of {len(whole)} claims" in table.stdout
