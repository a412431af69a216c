"""Replay reads fold rows (the fields a view needs), not whole stored events."""

from __future__ import annotations

from ledger.domain.view import FoldRow, visible_events
from tests.unit.test_view import corrected, denied, made, voided


def _row(e):  # type: ignore[no-untyped-def]
    return FoldRow(e.position, e.event_id, e.type, e.claim_id, e.version, e.schema_version,
                   e.occurred_from, e.occurred_to, e.recorded_at, e.data)


def test_a_view_of_fold_rows_applies_errata_like_a_view_of_stored_events() -> None:
    events = [
        made(1),
        denied(2, "2023-11-05"),
        made(3, "2023-11-04", claimant="Reuters"),
        corrected(4, "e3", occurred_at="2023-11-01"),
        voided(5, "e2"),
    ]
    kept = visible_events([_row(e) for e in events], position=5, as_of=None, certain=False)
    # The correction moved e3 before e1; the void removed e2; errata are not world events.
    assert [(e.event_id, e.corrected_by) for e in kept] == [("e3", ("e4",)), ("e1", ())]
    assert kept == visible_events(events, position=5, as_of=None, certain=False)
