"""The view of one claim at a basis (docs/answers.md): position cut, errata, world-time cut."""

from __future__ import annotations

from typing import Any

from ledger.domain.model import StoredEvent
from ledger.domain.time import parse_cutoff, parse_instant, parse_occurred
from ledger.domain.view import apply_errata, visible_events

RECORDED_BASE = parse_instant("2024-01-01T00:00:00.000000Z")
MINUTE = 60_000_000


def stored(
    position: int,
    type_: str,
    data: dict[str, Any],
    occurred: str | None = "2023-11-02",
    *,
    claim: str = "wagner-pantsir",
    event_id: str | None = None,
) -> StoredEvent:
    """A stored event with dummy hashes; errata (occurred=None) occur at their recorded_at."""
    recorded = RECORDED_BASE + position * MINUTE
    interval = parse_occurred(occurred) if occurred is not None else None
    return StoredEvent(
        position=position,
        event_id=event_id or f"e{position}",
        type=type_,
        claim_id=claim,
        version=position,
        schema_version=1,
        occurred_from=interval.start if interval else recorded,
        occurred_to=interval.end if interval else recorded,
        recorded_at=recorded,
        data=data,
        metadata={},
        salt="00" * 16,
        prev_hash="0" * 64,
        hash=f"{position:064x}",
    )


def made(position: int, occurred: str = "2023-11-02", **data: Any) -> StoredEvent:
    data.setdefault("claimant", "Wall Street Journal")
    data.setdefault("statement", "Wagner will supply a Pantsir-S1 to Hezbollah")
    return stored(position, "ClaimMade", data, occurred)


def denied(position: int, occurred: str = "2023-11-03", **data: Any) -> StoredEvent:
    data.setdefault("denier", "Dmitry Peskov (Kremlin)")
    return stored(position, "ClaimDenied", data, occurred)


def corrected(position: int, target: str, **changes: Any) -> StoredEvent:
    data = {"target_event_id": target, "changes": changes, "reason": "typo"}
    return stored(position, "RecordCorrected", data, None)


def voided(position: int, target: str) -> StoredEvent:
    return stored(position, "RecordVoided", {"target_event_id": target, "reason": "dup"}, None)


def ids(view: list[Any]) -> list[str]:
    return [e.event_id for e in view]


def view(
    events: list[StoredEvent],
    *,
    position: int | None = None,
    as_of: str | None = None,
    certain: bool = False,
) -> list[Any]:
    p = max(e.position for e in events) if position is None else position
    cutoff = None if as_of is None else parse_cutoff(as_of)
    return visible_events(events, position=p, as_of=cutoff, certain=certain)


def test_view_keeps_only_positions_up_to_p() -> None:
    events = [made(1), denied(2), denied(3)]
    assert ids(view(events, position=2)) == ["e1", "e2"]
    assert view(events, position=0) == []


def test_view_as_of_is_end_of_period_and_hides_later_event() -> None:
    events = [made(1, "2023-11-02")]
    assert view(events, as_of="2023-11-01") == []
    assert ids(view(events, as_of="2023-11-02")) == ["e1"]
    assert ids(view(events, as_of="2023-11")) == ["e1"]


def test_view_event_starting_exactly_at_cutoff_is_not_kept() -> None:
    events = [made(1, "2023-11-02T00:00:00Z")]
    assert view(events, as_of="2023-11-01T23:59:59Z") == []
    assert ids(view(events, as_of="2023-11-02T00:00:00Z")) == ["e1"]


def test_view_interval_running_past_cutoff_is_tentative() -> None:
    events = [made(1), denied(2, "2023-11-02/2023-11-20")]
    seen = view(events, as_of="2023-11-10")
    assert [(e.event_id, e.tentative) for e in seen] == [("e1", False), ("e2", True)]


def test_view_interval_ending_exactly_at_cutoff_is_not_tentative() -> None:
    events = [denied(1, "2023-11-02/2023-11-20")]
    assert [e.tentative for e in view(events, as_of="2023-11-20")] == [False]


def test_view_certain_drops_tentative_events() -> None:
    events = [made(1), denied(2, "2023-11-02/2023-11-20")]
    assert ids(view(events, as_of="2023-11-10", certain=True)) == ["e1"]
    assert ids(view(events, as_of="2023-11-20", certain=True)) == ["e1", "e2"]


def test_view_without_as_of_keeps_everything_and_nothing_is_tentative() -> None:
    events = [made(1, "2999-12-31"), denied(2, "2023-11-02/2023-11-20")]
    seen = view(events, certain=True)
    assert ids(seen) == ["e2", "e1"]
    assert not any(e.tentative for e in seen)


def test_view_sorts_by_occurred_then_position_whatever_the_input_order() -> None:
    events = [denied(3, "2023-11-01"), made(1, "2023-11-05"), denied(2, "2023-11-01")]
    assert ids(view(list(reversed(events)))) == ["e2", "e3", "e1"]


def test_view_applies_effective_defaults_on_read() -> None:
    events = [made(1, attributed_to="unidentified US officials"), made(2, claimant="Kirby")]
    first, second = view(events)
    assert first.data["on_record"] is False
    assert first.data["origin"] == "unidentified US officials"
    assert second.data["on_record"] is True
    assert second.data["origin"] == "Kirby"
    assert events[0].data.get("on_record") is None  # stored data is left as given


def test_correction_moves_event_out_of_the_as_of_window() -> None:
    events = [made(1, "2023-11-02"), corrected(2, "e1", occurred_at="2023-11-05")]
    assert ids(view(events, as_of="2023-11-02", position=1)) == ["e1"]
    assert view(events, as_of="2023-11-02") == []
    moved = view(events)[0]
    assert moved.occurred_from == parse_occurred("2023-11-05").start
    assert moved.corrected_by == ("e2",)


def test_correction_moves_event_earlier_and_reorders_the_fold() -> None:
    events = [
        made(1, "2023-11-02"),
        denied(2, "2023-11-05"),
        corrected(3, "e2", occurred_at="2023-11"),
    ]
    assert ids(view(events)) == ["e2", "e1"]


def test_correction_replaces_named_fields_and_keeps_the_rest() -> None:
    events = [made(1, quote="q"), corrected(2, "e1", claimant="WSJ")]
    data = view(events)[0].data
    assert data["claimant"] == "WSJ"
    assert data["quote"] == "q"
    assert data["statement"] == "Wagner will supply a Pantsir-S1 to Hezbollah"


def test_correction_null_removes_field_and_defaults_follow() -> None:
    events = [
        made(1, attributed_to="unidentified US officials"),
        corrected(2, "e1", attributed_to=None),
    ]
    data = view(events)[0].data
    assert "attributed_to" not in data
    assert data["on_record"] is True
    assert data["origin"] == "Wall Street Journal"


def test_errata_apply_in_position_order_last_wins() -> None:
    events = [made(1), corrected(3, "e1", claimant="B"), corrected(2, "e1", claimant="A")]
    seen = view(events)[0]
    assert seen.data["claimant"] == "B"
    assert seen.corrected_by == ("e2", "e3")
    assert view(events, position=2)[0].data["claimant"] == "A"


def test_errata_are_not_subject_to_as_of() -> None:
    # The erratum is recorded in 2024, long after the as-of instant: it still applies.
    events = [made(1), corrected(2, "e1", claimant="WSJ")]
    assert view(events, as_of="2023-11-02")[0].data["claimant"] == "WSJ"


def test_void_removes_target_and_errata_are_never_view_events() -> None:
    events = [made(1), denied(2), voided(3, "e2")]
    assert ids(view(events)) == ["e1"]
    assert ids(view(events, position=2)) == ["e1", "e2"]


def test_correction_after_void_is_skipped_not_fatal() -> None:
    events = [made(1), voided(2, "e1"), corrected(3, "e1", claimant="X"), corrected(4, "e2")]
    assert view(events) == []
    fixes = apply_errata(events, position=4)
    assert [a.event_id for a in fixes.errata] == ["e2"]
    assert fixes.skipped == ("e3", "e4")


def test_apply_errata_reports_before_and_after_for_history() -> None:
    events = [
        made(1),
        corrected(2, "e1", occurred_at="2023-11-04", claimant="WSJ"),
        voided(3, "e1"),
    ]
    fixes = apply_errata(events, position=3)
    fix, void = fixes.errata
    assert fix.target_event_id == "e1" and fix.type == "RecordCorrected"
    assert fix.occurred_before == parse_occurred("2023-11-02")
    assert fix.occurred_after == parse_occurred("2023-11-04")
    assert fix.data_before["claimant"] == "Wall Street Journal"
    assert fix.data_after is not None and fix.data_after["claimant"] == "WSJ"
    assert void.type == "RecordVoided" and void.occurred_after is None and void.data_after is None
    assert void.data_before["claimant"] == "WSJ"
    assert fixes.events == ()
