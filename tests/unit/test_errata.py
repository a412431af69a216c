"""Errata: the checks against the target, and the pure application of a correction."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledger.domain.errata import apply_correction, check_erratum
from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent, StoredEvent
from ledger.domain.time import format_instant, parse_instant, parse_occurred

CLAIM = "wagner-pantsir-s1-to-hezbollah"
MADE = "0193c4f0-0000-7000-8000-000000000001"
VOID = "0193c4f0-0000-7000-8000-000000000002"
OTHER = "0193c4f0-0000-7000-8000-000000000003"
MISSING = "0193c4f0-0000-7000-8000-0000000000ff"
RECORDED = parse_instant("2024-01-05T10:00:00.000000Z")
NOVEMBER = parse_occurred("2023-11-02/2023-11-20")

MADE_DATA = {
    "claimant": "John Kirby (US NSC)",
    "statement": "Wagner plans to supply a Pantsir-S1",
    "quote": "Wagner is preparing",
    "source": {"name": "Wall Street Journal", "published_at": "2023-11-02"},
}


def stored(
    position: int, event_id: str, event_type: str, data: dict[str, Any], claim: str = CLAIM
) -> StoredEvent:
    return StoredEvent(
        position=position,
        event_id=event_id,
        type=event_type,
        claim_id=claim,
        version=position,
        schema_version=1,
        occurred_from=NOVEMBER.start,
        occurred_to=NOVEMBER.end,
        recorded_at=RECORDED + position,
        data=data,
        metadata={},
        salt="0" * 32,
        prev_hash="0" * 64,
        hash="1" * 64,
    )


LOG = {
    MADE: stored(1, MADE, "ClaimMade", MADE_DATA),
    VOID: stored(2, VOID, "RecordVoided", {"target_event_id": OTHER, "reason": "dup"}),
    OTHER: stored(3, OTHER, "ClaimDenied", {"denier": "Peskov"}, claim="another-claim"),
}


def erratum(event_type: str, data: dict[str, Any], *, line: int | None = 8, **top: Any) -> NewEvent:
    return validate_event({"type": event_type, "data": data, **top}, line=line)


def correction(changes: dict[str, Any], target: str = MADE, **top: Any) -> NewEvent:
    return erratum(
        "RecordCorrected", {"target_event_id": target, "changes": changes, "reason": "r"}, **top
    )


def check(
    event: NewEvent,
    voided: frozenset[str] = frozenset(),
    log: dict[str, StoredEvent | NewEvent] | None = None,
    **kwargs: Any,
) -> NewEvent:
    known = dict(LOG) if log is None else log
    return check_erratum(event, known.get, voided.__contains__, **kwargs)


def refusal(event: NewEvent, field: str, **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        check(event, **kwargs)
    error = info.value
    assert (error.line, error.field) == (8, field), str(error)
    assert str(error).startswith(f"line 8, field '{field}': ")
    return error


def test_a_void_takes_its_claim_from_the_target() -> None:
    event = erratum("RecordVoided", {"target_event_id": MADE, "reason": "wrong article"})
    assert event.claim_id == ""
    checked = check(event)
    assert checked.claim_id == CLAIM
    assert checked.data == event.data and checked.event_id == event.event_id


def test_an_erratum_naming_the_targets_claim_is_accepted() -> None:
    assert check(correction({"quote": "x"}, claim_id=CLAIM)).claim_id == CLAIM


def test_a_missing_target_is_refused() -> None:
    error = refusal(correction({"quote": "x"}, target=MISSING), "data.target_event_id")
    assert "does not exist" in error.reason


def test_a_target_of_another_claim_is_refused() -> None:
    error = refusal(correction({"quote": "x"}, claim_id=CLAIM, target=OTHER), "claim_id")
    assert "another-claim" in error.reason


def test_an_erratum_cannot_target_an_erratum() -> None:
    event = erratum("RecordVoided", {"target_event_id": VOID, "reason": "x"})
    assert "itself an erratum" in refusal(event, "data.target_event_id").reason


def test_an_already_voided_target_is_refused() -> None:
    event = erratum("RecordVoided", {"target_event_id": MADE, "reason": "again"})
    error = refusal(event, "data.target_event_id", voided=frozenset({MADE}))
    assert "already voided" in error.reason
    assert refusal(correction({"quote": "x"}), "data.target_event_id", voided=frozenset({MADE}))


def test_the_target_may_be_an_earlier_line_of_the_same_input() -> None:
    earlier = validate_event(
        {
            "event_id": MISSING,
            "type": "ClaimDenied",
            "claim_id": "c-2",
            "occurred_at": "2023-11-21",
            "data": {"denier": "Peskov"},
        }
    )
    checked = check(correction({"statement": "corrected"}, target=MISSING), log={MISSING: earlier})
    assert checked.claim_id == "c-2"


def test_a_correction_may_name_only_the_targets_fields() -> None:
    error = refusal(correction({"denier": "Peskov"}), "data.changes.denier")
    assert "ClaimMade has no field 'denier'" in error.reason
    assert "occurred_at" in error.reason  # says what may be named


@pytest.mark.parametrize("name", ["claim_id", "type"])
def test_claim_id_and_type_cannot_change(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        correction({name: "x"})
    assert (info.value.line, info.value.field) == (8, f"data.changes.{name}")


def test_null_removes_an_optional_field() -> None:
    assert check(correction({"quote": None, "source": None})).claim_id == CLAIM


@pytest.mark.parametrize("name", ["claimant", "statement", "occurred_at"])
def test_null_cannot_remove_a_required_field(name: str) -> None:
    assert "not removed" in refusal(correction({name: None}), f"data.changes.{name}").reason


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"modality": "rumour"}, "data.changes.modality", "fact, intention"),
        ({"claimant": ""}, "data.changes.claimant", "non-empty"),
        ({"on_record": "no"}, "data.changes.on_record", "true or false"),
        ({"source": {"url": "https://x"}}, "data.changes.source.name", "required"),
        ({"tags": ["a", 1]}, "data.changes.tags[1]", "string"),
        ({"occurred_at": "2023-11-31"}, "data.changes.occurred_at", "not a real date"),
        ({"occurred_at": "2023-11-21T10:00"}, "data.changes.occurred_at", "no UTC offset"),
    ],
)
def test_the_corrected_event_must_still_be_valid(
    changes: dict[str, Any], field: str, words: str
) -> None:
    error = refusal(correction(changes), field)
    assert "the corrected ClaimMade would be invalid" in error.reason
    assert words in error.reason


def test_a_corrected_local_time_is_read_in_the_given_zone() -> None:
    event = correction({"occurred_at": "2023-11-21T10:00"})
    assert check(event, tz=ZoneInfo("Europe/Paris")).claim_id == CLAIM


def test_check_erratum_takes_only_errata() -> None:
    made = validate_event(
        {"type": "ClaimMade", "claim_id": CLAIM, "occurred_at": "2023", "data": MADE_DATA}
    )
    with pytest.raises(ValueError):
        check(made)


def test_a_refusal_without_line_names_the_field() -> None:
    event = correction({"denier": "x"}, line=None)
    with pytest.raises(InvalidInput) as info:
        check(event)
    assert info.value.line is None
    assert str(info.value).startswith("field 'data.changes.denier': ")


# apply_correction ----------------------------------------------------------------------------


def test_apply_correction_replaces_removes_and_moves_without_touching_its_input() -> None:
    data = dict(MADE_DATA)
    changes = {"quote": None, "statement": "new", "occurred_at": "2023-11-03"}
    corrected, occurred = apply_correction(data, NOVEMBER, changes, None)
    assert corrected == {**{k: v for k, v in MADE_DATA.items() if k != "quote"}, "statement": "new"}
    assert occurred == parse_occurred("2023-11-03")
    assert data == MADE_DATA


def test_apply_correction_replaces_a_whole_object_field() -> None:
    corrected, occurred = apply_correction(MADE_DATA, NOVEMBER, {"source": {"name": "WSJ"}})
    assert corrected["source"] == {"name": "WSJ"}
    assert occurred == NOVEMBER


def test_apply_correction_reads_a_corrected_time_in_utc_unless_a_zone_is_given() -> None:
    _, utc = apply_correction(MADE_DATA, NOVEMBER, {"occurred_at": "2023-11-21"})
    assert format_instant(utc.start) == "2023-11-21T00:00:00.000000Z"
    _, paris = apply_correction(
        MADE_DATA, NOVEMBER, {"occurred_at": "2023-11-21"}, ZoneInfo("Europe/Paris")
    )
    assert format_instant(paris.start) == "2023-11-20T23:00:00.000000Z"


def test_apply_correction_refuses_an_unparseable_time() -> None:
    with pytest.raises(InvalidInput) as info:
        apply_correction(MADE_DATA, NOVEMBER, {"occurred_at": "soon"})
    assert info.value.field == "data.changes.occurred_at"
