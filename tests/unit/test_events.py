"""The catalogue of docs/events.md and the validation of input and export lines."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain import events
from ledger.domain.errors import InvalidInput
from ledger.domain.events import (
    CATALOGUE,
    EventSpec,
    data_field_names,
    effective_data,
    register_upcaster,
    required_fields,
    upcast,
    validate_data,
    validate_event,
)
from ledger.domain.jsonline import parse_json_line
from ledger.domain.model import ERRATA_TYPES, Interval
from ledger.domain.time import format_instant, parse_instant, parse_occurred

CLAIM = "wagner-pantsir-s1-to-hezbollah"
TARGET = "0193c4f0-7d3a-7cc1-9f2e-5b8a4e2d1c07"
SOURCE = {
    "name": "Wall Street Journal",
    "url": "https://www.wsj.com/x",
    "published_at": "2023-11-02",
}

MINIMAL: dict[str, dict[str, Any]] = {
    "ClaimMade": {
        "claimant": "John Kirby (US NSC)",
        "statement": "Wagner plans to supply a Pantsir",
    },
    "ClaimDenied": {"denier": "Dmitry Peskov (Kremlin)"},
    "ClaimCorroborated": {"corroborator": "CNN"},
    "ClaimRetracted": {"retractor": "John Kirby (US NSC)"},
    "ClaimResolved": {"outcome": "confirmed", "resolver": "analyst-1"},
    "ClaimLinked": {"relation": "supports", "other_claim_id": "wagner-in-syria"},
    "SanctionThreatened": {"threatened_by": "US Treasury", "target": "Wagner Group"},
    "SanctionImposed": {"imposed_by": "US Treasury", "target": "Wagner Group"},
    "RecordCorrected": {"target_event_id": TARGET, "changes": {"quote": "x"}, "reason": "typo"},
    "RecordVoided": {"target_event_id": TARGET, "reason": "duplicate entry"},
}
FULL: dict[str, dict[str, Any]] = {
    "ClaimMade": {
        **MINIMAL["ClaimMade"],
        "attributed_to": "unidentified US officials",
        "on_record": False,
        "origin": "US government",
        "modality": "intention",
        "quote": "Wagner is preparing ...",
        "source": SOURCE,
        "proposition": {
            "subject": "Wagner",
            "predicate": "supplies",
            "object": "Hezbollah",
            "about": "2023-11-01/2023-11-30",
        },
        "tags": ["air-defense", "wagner"],
    },
    "ClaimDenied": {
        **MINIMAL["ClaimDenied"],
        "statement": "All musings",
        "quote": "All of these",
        "source": {"name": "TASS"},
        "responds_to": TARGET,
    },
    "ClaimCorroborated": {
        **MINIMAL["ClaimCorroborated"],
        "origin": "Israeli intelligence",
        "evidence": "satellite imagery",
        "quote": "q",
        "source": SOURCE,
    },
    "ClaimRetracted": {**MINIMAL["ClaimRetracted"], "reason": "misread", "source": SOURCE},
    "ClaimResolved": {**MINIMAL["ClaimResolved"], "evidence": "photos", "source": SOURCE},
    "ClaimLinked": {**MINIMAL["ClaimLinked"], "note": "same network"},
    "SanctionThreatened": {
        **MINIMAL["SanctionThreatened"],
        "authority": "EO 14024",
        "condition": "if delivered",
        "quote": "we will act",
        "source": SOURCE,
    },
    "SanctionImposed": {
        **MINIMAL["SanctionImposed"],
        "authority": "EO 14024",
        "measures": "asset freeze",
        "source": SOURCE,
    },
    "RecordCorrected": {
        "target_event_id": TARGET,
        "changes": {"occurred_at": "2023-11-03", "quote": None},
        "reason": "date",
    },
    "RecordVoided": MINIMAL["RecordVoided"],
}


def line_for(event_type: str, data: dict[str, Any], /, **top: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": event_type, "claim_id": CLAIM, "data": data}
    if event_type not in ERRATA_TYPES:
        obj["occurred_at"] = "2023-11-02/2023-11-20"
    obj.update(top)
    return {k: v for k, v in obj.items() if v is not _DROP}


_DROP = object()


def refusal(obj: Any, field: str, *, line: int = 12, **kwargs: Any) -> InvalidInput:
    """validate_event refuses `obj`, naming the line and the field."""
    with pytest.raises(InvalidInput) as info:
        validate_event(obj, line=line, **kwargs)
    error = info.value
    assert (error.line, error.field) == (line, field), str(error)
    assert str(error).startswith(f"line {line}, field '{field}': ")
    return error


# Acceptance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", list(CATALOGUE))
@pytest.mark.parametrize("shape", [MINIMAL, FULL], ids=["minimal", "full"])
def test_every_type_is_accepted(event_type: str, shape: dict[str, dict[str, Any]]) -> None:
    data = copy.deepcopy(shape[event_type])
    event = validate_event(line_for(event_type, data), line=3)
    assert (event.type, event.claim_id, event.line) == (event_type, CLAIM, 3)
    assert event.data == data  # stored as given: no defaults written
    assert event.metadata == {}
    assert event.schema_version == events.CURRENT_SCHEMA_VERSION
    if event_type in ERRATA_TYPES:
        assert event.occurred is None
    else:
        assert event.occurred == parse_occurred("2023-11-02/2023-11-20")


def test_the_design_example_line_is_accepted() -> None:
    text = (
        '{"event_id": "0193C4F0-7D3A-7CC1-9F2E-5B8A4E2D1C07", "type": "ClaimDenied", '
        f'"claim_id": "{CLAIM}", "occurred_at": "2023-11-02/2023-11-20", '
        '"data": {"denier": "Dmitry Peskov (Kremlin)", "quote": "All of these musings ..."}, '
        '"metadata": {"recorded_by": "analyst-1"}, "expected_version": 0}'
    )
    event = validate_event(parse_json_line(text, 1), line=1)
    assert event.event_id == TARGET  # normalised to lowercase
    assert event.metadata == {"recorded_by": "analyst-1"}
    assert event.expected_version == 0
    assert event.occurred == Interval(
        parse_instant("2023-11-02T00:00:00.000000Z"), parse_instant("2023-11-21T00:00:00.000000Z")
    )


def test_an_erratum_without_claim_id_waits_for_its_target() -> None:
    event = validate_event(line_for("RecordVoided", MINIMAL["RecordVoided"], claim_id=_DROP))
    assert event.claim_id == ""
    assert event.is_erratum


def test_ids_in_data_are_normalised() -> None:
    data = {**MINIMAL["RecordVoided"], "target_event_id": TARGET.upper().replace("-", "")}
    event = validate_event(line_for("RecordVoided", data))
    assert event.data["target_event_id"] == TARGET
    assert data["target_event_id"] != TARGET  # the caller's dict is left alone


def test_a_timestamp_without_offset_needs_a_zone() -> None:
    obj = line_for("ClaimDenied", MINIMAL["ClaimDenied"], occurred_at="2023-11-21T15:30")
    refusal(obj, "occurred_at")
    event = validate_event(obj, tz=ZoneInfo("Europe/Paris"))
    assert format_instant(event.occurred.start) == "2023-11-21T14:30:00.000000Z"  # type: ignore[union-attr]


def envelope(event_type: str = "ClaimMade", **changes: Any) -> dict[str, Any]:
    recorded = "2024-01-05T10:00:00.000000Z"
    erratum = event_type in ERRATA_TYPES
    obj = {
        "event_id": TARGET,
        "type": event_type,
        "claim_id": CLAIM,
        "version": 3,
        "position": 17,
        "schema_version": 1,
        "occurred_from": recorded if erratum else "2023-11-02T00:00:00.000000Z",
        "occurred_to": recorded if erratum else "2023-11-21T00:00:00.000000Z",
        "recorded_at": recorded,
        "data": MINIMAL[event_type],
        "metadata": {"by": "a"},
        "salt": "0123456789abcdef0123456789abcdef",
        "prev_hash": "ab" * 32,
        "hash": "cd" * 32,
    }
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not _DROP}


def test_an_export_envelope_is_accepted_and_its_derived_fields_ignored() -> None:
    event = validate_event(envelope())
    assert event.event_id == TARGET
    assert event.occurred == Interval(
        parse_instant("2023-11-02T00:00:00.000000Z"), parse_instant("2023-11-21T00:00:00.000000Z")
    )
    assert event.salt == "0123456789abcdef0123456789abcdef"
    assert event.recorded_at is None
    assert event.expected_version is None  # the exported version is not a condition
    assert event.metadata == {"by": "a"}


def test_recorded_at_is_kept_only_when_asked() -> None:
    event = validate_event(envelope(), keep_recorded_at=True)
    assert event.recorded_at == parse_instant("2024-01-05T10:00:00.000000Z")


@pytest.mark.parametrize("event_type", sorted(ERRATA_TYPES))
def test_an_exported_erratum_is_accepted(event_type: str) -> None:
    event = validate_event(envelope(event_type), keep_recorded_at=True)
    assert event.occurred is None
    assert event.claim_id == CLAIM


def test_an_exported_erratum_must_occur_when_recorded() -> None:
    refusal(envelope("RecordVoided", occurred_to="2024-01-06T10:00:00.000000Z"), "occurred_to")
    refusal(envelope("RecordVoided", recorded_at=_DROP), "occurred_from")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"occurred_from": "2023-11-22T00:00:00.000000Z"}, "occurred_to"),
        ({"occurred_to": _DROP}, "occurred_to"),
        ({"occurred_at": "2023-11-02"}, "occurred_at"),
        ({"salt": "XYZ"}, "salt"),
        ({"salt": "0123456789ABCDEF0123456789ABCDEF"}, "salt"),
        ({"hash": "ab" * 31}, "hash"),
        ({"position": 0}, "position"),
        ({"version": "3"}, "version"),
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"schema_version": 0}, "schema_version"),
        ({"schema_version": 99}, "schema_version"),
    ],
)
def test_a_malformed_envelope_is_refused(changes: dict[str, Any], field: str) -> None:
    refusal(envelope(**changes), field)


# The derived event id ------------------------------------------------------------------------


def test_a_line_without_event_id_gets_a_stable_uuid5() -> None:
    a = '{"type":"ClaimDenied","claim_id":"c1","occurred_at":"2023","data":{"denier":"K","quote":"q"}}'
    b = """ { "data" : { "quote": "q", "denier": "K" },  "occurred_at": "2023",
              "claim_id": "c1", "type": "ClaimDenied", "expected_version": 4 } """
    first = validate_event(parse_json_line(a))
    second = validate_event(parse_json_line(b))
    assert first.event_id == second.event_id
    assert uuid.UUID(first.event_id).version == 5
    other = validate_event(parse_json_line(a.replace('"q"', '"r"')))
    assert other.event_id != first.event_id


@settings(max_examples=50)
@given(st.permutations(list(line_for("ClaimMade", FULL["ClaimMade"], metadata={"x": [1, 2]}))))
def test_the_derived_id_ignores_key_order(order: list[str]) -> None:
    obj = line_for("ClaimMade", FULL["ClaimMade"], metadata={"x": [1, 2]})
    reordered = {key: obj[key] for key in order}
    assert validate_event(reordered).event_id == validate_event(obj).event_id


# Refusals of docs/events.md, each naming the line and the field -----------------------------------


def test_unknown_type_is_refused() -> None:
    error = refusal(line_for("ClaimRumoured", {}), "type")
    assert "ClaimMade" in error.reason  # says what was expected


def test_missing_type_is_refused() -> None:
    refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], type=_DROP), "type")


@pytest.mark.parametrize("missing", ["claimant", "statement"])
def test_missing_required_data_field_is_refused(missing: str) -> None:
    data = {k: v for k, v in MINIMAL["ClaimMade"].items() if k != missing}
    error = refusal(line_for("ClaimMade", data), f"data.{missing}")
    assert "required" in error.reason


@pytest.mark.parametrize(
    ("event_type", "drop", "field"),
    [
        ("ClaimMade", "claim_id", "claim_id"),
        ("ClaimMade", "occurred_at", "occurred_at"),
        ("ClaimMade", "data", "data"),
        ("RecordVoided", "data", "data"),
    ],
)
def test_missing_required_top_level_field_is_refused(
    event_type: str, drop: str, field: str
) -> None:
    refusal(line_for(event_type, MINIMAL[event_type], **{drop: _DROP}), field)


def test_missing_source_name_is_refused() -> None:
    refusal(
        line_for("ClaimDenied", {**MINIMAL["ClaimDenied"], "source": {"url": "u"}}),
        "data.source.name",
    )


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (line_for("ClaimMade", MINIMAL["ClaimMade"], occured_at="2023"), "occured_at"),
        (line_for("ClaimMade", {**MINIMAL["ClaimMade"], "speaker": "x"}), "data.speaker"),
        (
            line_for("ClaimMade", {**MINIMAL["ClaimMade"], "source": {"name": "a", "page": 3}}),
            "data.source.page",
        ),
        (
            line_for(
                "ClaimMade",
                {
                    **MINIMAL["ClaimMade"],
                    "proposition": {
                        "subject": "a",
                        "predicate": "b",
                        "object": "c",
                        "when": "2023",
                    },
                },
            ),
            "data.proposition.when",
        ),
        # A field of another type is unknown here.
        (line_for("ClaimDenied", {**MINIMAL["ClaimDenied"], "claimant": "x"}), "data.claimant"),
    ],
)
def test_unknown_field_is_refused(obj: dict[str, Any], field: str) -> None:
    refusal(obj, field)


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"claimant": 5}, "data.claimant", "string"),
        ({"claimant": None}, "data.claimant", "string"),
        ({"claimant": "  "}, "data.claimant", "non-empty"),
        ({"quote": ["a"]}, "data.quote", "string"),
        ({"on_record": "yes"}, "data.on_record", "true or false"),
        ({"on_record": 1}, "data.on_record", "true or false"),
        ({"modality": "rumour"}, "data.modality", "fact, intention, forecast, evaluation"),
        ({"tags": "a,b"}, "data.tags", "array of strings"),
        ({"tags": ["a", 3]}, "data.tags[1]", "string"),
        ({"source": "Reuters"}, "data.source", "object"),
        ({"source": {"name": 7}}, "data.source.name", "string"),
        ({"source": {"name": "R", "url": 7}}, "data.source.url", "string"),
        (
            {"proposition": {"subject": "a", "predicate": "b"}},
            "data.proposition.object",
            "required",
        ),
        (
            {"proposition": {"subject": "a", "predicate": "b", "object": 1}},
            "data.proposition.object",
            "string",
        ),
    ],
)
def test_wrong_json_type_is_refused(data: dict[str, Any], field: str, expected: str) -> None:
    error = refusal(line_for("ClaimMade", {**MINIMAL["ClaimMade"], **data}), field)
    assert expected in error.reason


@pytest.mark.parametrize(
    ("event_type", "data", "field", "expected"),
    [
        ("ClaimResolved", {"outcome": "true"}, "data.outcome", "confirmed, refuted"),
        ("ClaimLinked", {"relation": "causes"}, "data.relation", "supports, contradicts"),
        ("ClaimLinked", {"other_claim_id": "Other Claim"}, "data.other_claim_id", "claim id"),
        ("ClaimDenied", {"responds_to": "event-3"}, "data.responds_to", "UUID"),
        ("RecordVoided", {"target_event_id": "123"}, "data.target_event_id", "UUID"),
        ("RecordVoided", {"target_event_id": "{" + TARGET + "}"}, "data.target_event_id", "UUID"),
        ("RecordCorrected", {"changes": []}, "data.changes", "object"),
        ("RecordCorrected", {"changes": {}}, "data.changes", "names no field"),
        ("RecordCorrected", {"changes": {"claim_id": "x"}}, "data.changes.claim_id", "cannot"),
        ("RecordCorrected", {"changes": {"type": "ClaimDenied"}}, "data.changes.type", "cannot"),
        ("RecordCorrected", {"changes": {"colour": "red"}}, "data.changes.colour", "no event type"),
        ("RecordCorrected", {"changes": {"quote": "a\x00"}}, "data.changes.quote", "U+0000"),
    ],
)
def test_wrong_value_is_refused(
    event_type: str, data: dict[str, Any], field: str, expected: str
) -> None:
    error = refusal(line_for(event_type, {**MINIMAL[event_type], **data}), field)
    assert expected in error.reason


@pytest.mark.parametrize(
    "claim_id", ["Wagner", "-wagner", "wagner_pantsir", "", "a" * 129, "wagner pantsir", 7, "é"]
)
def test_a_claim_id_that_is_not_a_slug_is_refused(claim_id: Any) -> None:
    error = refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], claim_id=claim_id), "claim_id")
    assert "lowercase letters, digits and hyphens" in error.reason


def test_the_longest_slug_is_accepted() -> None:
    assert validate_event(line_for("ClaimMade", MINIMAL["ClaimMade"], claim_id="0" + "-" * 127))


@pytest.mark.parametrize("event_id", ["not-a-uuid", 42, TARGET[:-1], "urn:uuid:" + TARGET])
def test_an_event_id_that_is_not_a_uuid_is_refused(event_id: Any) -> None:
    refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], event_id=event_id), "event_id")


@pytest.mark.parametrize(
    ("top", "field"),
    [
        ({"occurred_at": "2023-13"}, "occurred_at"),
        ({"occurred_at": "last week"}, "occurred_at"),
        ({"occurred_at": "2023-11-20/2023-11-02"}, "occurred_at"),
        ({"occurred_at": 2023}, "occurred_at"),
        (
            {
                "data": {
                    **MINIMAL["ClaimMade"],
                    "source": {"name": "R", "published_at": "2023-02-30"},
                }
            },
            "data.source.published_at",
        ),
        (
            {
                "data": {
                    **MINIMAL["ClaimMade"],
                    "proposition": {
                        "subject": "a",
                        "predicate": "b",
                        "object": "c",
                        "about": "2023-12/2023-11",
                    },
                }
            },
            "data.proposition.about",
        ),
    ],
)
def test_a_time_that_does_not_parse_or_ends_before_it_starts_is_refused(
    top: dict[str, Any], field: str
) -> None:
    refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], **top), field)


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\udfff"])
def test_a_string_holding_nul_or_a_lone_surrogate_is_refused(bad: str) -> None:
    refusal(line_for("ClaimMade", {**MINIMAL["ClaimMade"], "quote": bad}), "data.quote")
    refusal(
        line_for("ClaimMade", MINIMAL["ClaimMade"], metadata={"note": [bad]}), "metadata.note[0]"
    )


def test_a_repeated_key_is_refused_naming_the_line() -> None:
    text = json.dumps(line_for("ClaimDenied", MINIMAL["ClaimDenied"]))
    text = text.replace('"denier":', '"quote": "x", "quote": "y", "denier":', 1)
    with pytest.raises(InvalidInput) as info:
        parse_json_line(text, 4)
    assert (info.value.line, info.value.field) == (4, "data.quote")


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"score": float("nan")}, "metadata.score"),
        ({"score": float("-inf")}, "metadata.score"),
        ({"n": 2**53}, "metadata.n"),
        ({"n": [-(2**60)]}, "metadata.n[0]"),
    ],
)
def test_nan_infinity_and_unsafe_integers_are_refused(metadata: dict[str, Any], field: str) -> None:
    refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], metadata=metadata), field)


@pytest.mark.parametrize("obj", [[1], "ClaimMade", None])
def test_a_line_that_is_not_an_object_is_refused(obj: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_event(obj, line=9)
    assert info.value.line == 9
    assert "expected one JSON object" in info.value.reason


@pytest.mark.parametrize("metadata", [[], "analyst", None])
def test_metadata_must_be_an_object(metadata: Any) -> None:
    refusal(line_for("ClaimMade", MINIMAL["ClaimMade"], metadata=metadata), "metadata")


@pytest.mark.parametrize("expected", [-1, True, "3", 1.0, None])
def test_expected_version_must_be_a_non_negative_integer(expected: Any) -> None:
    refusal(
        line_for("ClaimMade", MINIMAL["ClaimMade"], expected_version=expected), "expected_version"
    )


@pytest.mark.parametrize("event_type", sorted(ERRATA_TYPES))
def test_an_erratum_takes_no_occurred_time(event_type: str) -> None:
    obj = line_for(event_type, MINIMAL[event_type], occurred_at="2023-11-02")
    assert "no occurred_at" in refusal(obj, "occurred_at").reason
    refusal(
        line_for(event_type, MINIMAL[event_type], occurred_from="2023-11-02T00:00:00.000000Z"),
        "occurred_from",
    )


def test_without_a_line_number_the_field_is_still_named() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_event(line_for("ClaimMade", {**MINIMAL["ClaimMade"], "tags": [1]}))
    assert str(info.value).startswith("field 'data.tags[0]': ")


# Catalogue helpers, defaults and upcasting ---------------------------------------------------


def test_field_names_and_required_fields() -> None:
    assert required_fields("ClaimMade") == {"claimant", "statement"}
    assert required_fields("ClaimResolved") == {"outcome", "resolver"}
    assert data_field_names("ClaimRetracted") == {"retractor", "reason", "source"}
    assert required_fields("RecordCorrected") == {"target_event_id", "changes", "reason"}
    with pytest.raises(InvalidInput):
        data_field_names("Nope")


def test_validate_data_names_the_line() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_data("ClaimDenied", {}, line=5)
    assert (info.value.line, info.value.field) == (5, "data.denier")


def test_on_record_defaults_to_true_and_origin_to_the_claimant() -> None:
    data = effective_data("ClaimMade", MINIMAL["ClaimMade"])
    assert data["on_record"] is True
    assert data["origin"] == "John Kirby (US NSC)"
    assert data["modality"] == "fact"


def test_an_attributed_claim_is_off_the_record_and_its_origin_is_the_attribution() -> None:
    given_data = {**MINIMAL["ClaimMade"], "attributed_to": "unidentified US officials"}
    data = effective_data("ClaimMade", given_data)
    assert data["on_record"] is False
    assert data["origin"] == "unidentified US officials"
    assert "on_record" not in given_data  # defaults are never written


def test_given_values_win_over_defaults() -> None:
    data = effective_data("ClaimMade", FULL["ClaimMade"])
    assert (data["on_record"], data["origin"], data["modality"]) == (
        False,
        "US government",
        "intention",
    )
    explicit = {**MINIMAL["ClaimMade"], "attributed_to": "officials", "on_record": True}
    assert effective_data("ClaimMade", explicit)["on_record"] is True


def test_a_corroboration_origin_defaults_to_the_corroborator() -> None:
    assert effective_data("ClaimCorroborated", {"corroborator": "CNN"})["origin"] == "CNN"
    assert effective_data("ClaimDenied", {"denier": "K"}) == {"denier": "K", "on_record": True}
    attributed = effective_data("ClaimCorroborated", {"corroborator": "TASS", "attributed_to": "K"})
    assert attributed["origin"] == "K" and attributed["on_record"] is False


def test_an_old_schema_version_is_upcast_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    old = CATALOGUE["ClaimRetracted"]
    monkeypatch.setitem(
        CATALOGUE, "ClaimRetracted", EventSpec(old.type, old.fields, schema_version=2)
    )
    monkeypatch.setattr(events, "UPCASTERS", {})

    @register_upcaster("ClaimRetracted", 1)
    def rename_why(data: dict[str, Any]) -> dict[str, Any]:
        return {("reason" if k == "why" else k): v for k, v in data.items()}

    line = envelope("ClaimRetracted", data={"retractor": "Kirby", "why": "misread"})
    event = validate_event(line)
    assert event.data == {"retractor": "Kirby", "reason": "misread"}
    assert event.schema_version == 2
    assert line["data"] == {"retractor": "Kirby", "why": "misread"}  # never rewritten in place
    assert upcast("ClaimRetracted", 2, {"reason": "x"}) == {"reason": "x"}
    refusal(envelope("ClaimRetracted", schema_version=3), "schema_version")


def test_a_missing_upcaster_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    old = CATALOGUE["ClaimRetracted"]
    monkeypatch.setitem(
        CATALOGUE, "ClaimRetracted", EventSpec(old.type, old.fields, schema_version=2)
    )
    monkeypatch.setattr(events, "UPCASTERS", {})
    assert "no upcaster" in refusal(envelope("ClaimRetracted"), "schema_version").reason
