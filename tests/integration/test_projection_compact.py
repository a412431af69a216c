"""The compact projection (revision 0004): one connection per question, integer cut-offs,
the collector paused while lists are built, and the migration rebuilding from the log."""

from __future__ import annotations

import gc
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect

from ledger.domain.events import validate_event
from ledger.service.questions import list_claims, resolve_basis, show_claim
from ledger.service import Ledger, open_ledger
from ledger.store.sql.migrate import downgrade, upgrade


def _made(claim: str, when: str, claimant: str) -> Any:
    return validate_event(
        {
            "type": "ClaimMade",
            "claim_id": claim,
            "occurred_at": when,
            "event_id": str(uuid.uuid4()),
            "data": {"claimant": claimant, "statement": f"{claim} by {claimant}"},
        }
    )


def _seed(ledger: Ledger) -> None:
    ledger.store.append(
        [
            _made("alpha", "2023-11-02", "WSJ"),
            # Ends at the end of time: its occurred_to text sorts before any 2023 date.
            _made("alpha", "2023-11-01/9999-12-31", "Reuters"),
            _made("beta", "2023-11-03", "AFP"),
        ]
    )


def test_an_open_ended_event_is_tentative_and_not_certain(tmp_path: Path) -> None:
    ledger = open_ledger(str(tmp_path / "l.db"))
    try:
        _seed(ledger)
        for certain in (False, True):
            basis = resolve_basis(ledger.store, as_of="2023-11-05", certain=certain)
            shown = show_claim(ledger.store, "alpha", basis, snapshots=ledger.snapshots)
            assert shown == show_claim(ledger.store, "alpha", basis)  # a refold of the log
            actors = [(c["actor"], c["tentative"]) for c in shown["claimants"]]
            if certain:
                assert actors == [("WSJ", False)]
            else:
                assert actors == [("Reuters", True), ("WSJ", False)]
                assert shown["tentative"] is True
    finally:
        ledger.close()


@pytest.mark.parametrize("known_at", [None, "@1"])
def test_a_question_on_a_current_projection_takes_one_connection(
    db_url: str, known_at: str | None
) -> None:
    ledger = open_ledger(db_url)
    try:
        _seed(ledger)
        ledger.snapshots.catch_up()
        # At @1 alpha's row does not hold (alpha has an event at 2): its events are refolded.
        basis = resolve_basis(ledger.store, as_of="2023-11-05", known_at=known_at)
        checkouts: list[int] = []
        event.listen(ledger.engine, "checkout", lambda *_: checkouts.append(1))
        answer = show_claim(ledger.store, "alpha", basis, snapshots=ledger.snapshots)
        assert len(checkouts) == 1
        assert answer == show_claim(ledger.store, "alpha", basis)
        assert answer["event_count"] == (1 if known_at else 2)
    finally:
        ledger.close()


class _Probe:
    """Snapshots that record whether the collector ran while list_claims read them."""

    def __init__(self) -> None:
        self.collector_enabled: list[bool] = []

    def current_rows(self, claim_ids: Any = None) -> dict[str, Any]:
        self.collector_enabled.append(gc.isenabled())
        return {}

    rows = current_rows

    def catch_up(self) -> tuple[int, int]:
        return 0, 0

    def claims_after(self, position: int) -> set[str]:
        return set()


def test_list_pauses_the_collector_and_restores_it(tmp_path: Path) -> None:
    ledger = open_ledger(str(tmp_path / "l.db"))
    probe = _Probe()
    try:
        _seed(ledger)
        assert gc.isenabled()
        list_claims(ledger.store, resolve_basis(ledger.store), snapshots=probe)
        assert probe.collector_enabled == [False]
        assert gc.isenabled()
    finally:
        ledger.close()


def test_the_migration_replaces_the_table_and_the_next_reader_rebuilds_it(db_url: str) -> None:
    ledger = open_ledger(db_url)
    try:
        _seed(ledger)
        basis = resolve_basis(ledger.store, as_of="2023-11-05")
        before = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
        downgrade(ledger.engine, "0003")
        with ledger.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("claim_projection")}
        assert "snapshot" in columns and "body" not in columns
        upgrade(ledger.engine)
        with ledger.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("claim_projection")}
        assert {"timeline", "body"} <= columns and "snapshot" not in columns
        after = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
        assert after == before == list_claims(ledger.store, basis)
        assert [a["claim_id"] for a in after] == ["alpha", "beta"]
    finally:
        ledger.close()


def test_snapshot_answers_keep_the_key_order_of_a_refold(tmp_path: Path) -> None:
    """docs/answers.md is a contract down to key order in JSON output, not only dict equality."""
    import json

    from tests.integration.test_projection import BASES, _apply_steps, _event

    ledger = open_ledger(str(tmp_path / "l.db"))
    try:
        kinds = ["made", "denied", "corroborated", "resolved", "linked", "threatened", "retracted"]
        history: list[Any] = [
            ("event", _event(kind, claim, (3 * i) % 27, (0, 3, 10)[i % 3], actor, "beta"))
            for i, (kind, claim, actor) in enumerate(
                (k, c, a) for k in kinds for c in ("alpha", "beta") for a in ("WSJ", "Reuters")
            )
        ]
        history += [("move", 2, 25), ("void", 5)]
        _apply_steps(ledger, history, 3)
        for spec in BASES:
            basis = resolve_basis(ledger.store, **spec)
            from_snapshots = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
            from_log = list_claims(ledger.store, basis)
            assert json.dumps(from_snapshots) == json.dumps(from_log), spec
    finally:
        ledger.close()
