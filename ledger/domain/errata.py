"""Errata (`RecordCorrected`, `RecordVoided`): the checks that need the target, and the pure
application of a correction.

An erratum is validated twice: its own shape by `validate_event`, then against its target here,
once the target is known (stored, or an earlier line of the same input).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.actors import ACTOR_TYPES
from ledger.domain.errors import InvalidInput
from ledger.domain.events import data_field_names, required_fields, validate_data
from ledger.domain.model import Interval, NewEvent, StoredEvent
from ledger.domain.time import parse_occurred

_CHANGES = "data.changes"


def check_erratum(
    event: NewEvent,
    lookup: Callable[[str], StoredEvent | NewEvent | None],
    is_voided: Callable[[str], bool],
    *,
    tz: ZoneInfo | None = None,
) -> NewEvent:
    """Check an erratum against its target; return it with the target's claim_id filled in."""
    if not event.is_erratum:
        raise ValueError(f"{event.type} is not an erratum")
    try:
        return _check(event, lookup, is_voided, tz)
    except InvalidInput as exc:
        if exc.line is None and event.line is not None:
            raise exc.at_line(event.line) from None
        raise


def _check(
    event: NewEvent,
    lookup: Callable[[str], StoredEvent | NewEvent | None],
    is_voided: Callable[[str], bool],
    tz: ZoneInfo | None,
) -> NewEvent:
    target_id = event.data["target_event_id"]
    field = "data.target_event_id"
    target = lookup(target_id)
    if target is None:
        raise InvalidInput(
            f"target event {target_id} does not exist (neither stored nor earlier in this input)",
            field=field,
        )
    if event.claim_id and event.claim_id != target.claim_id:
        raise InvalidInput(
            f"target event {target_id} belongs to claim '{target.claim_id}', not "
            f"'{event.claim_id}'; an erratum's claim is its target's",
            field="claim_id",
        )
    if target.is_erratum:
        raise InvalidInput(
            f"target event {target_id} is itself an erratum ({target.type}); errata cannot be "
            "corrected or voided, record a new erratum of the original event instead",
            field=field,
        )
    if target.type in ACTOR_TYPES:
        raise InvalidInput(
            f"target event {target_id} is an actor event ({target.type}); the registry is "
            "changed by new actor events (`ledger actor alias` / `unalias`), not by errata",
            field=field,
        )
    if is_voided(target_id):
        raise InvalidInput(f"target event {target_id} is already voided", field=field)
    if event.type == "RecordCorrected":
        _check_changes(target, event.data["changes"], tz)
    return replace(event, claim_id=target.claim_id)


def _check_changes(
    target: StoredEvent | NewEvent, changes: Mapping[str, Any], tz: ZoneInfo | None
) -> None:
    names = data_field_names(target.type)
    required = required_fields(target.type)
    for name, value in changes.items():
        path = f"{_CHANGES}.{name}"
        if name in ("claim_id", "type"):
            raise InvalidInput(f"{name} cannot be corrected", field=path)
        if name != "occurred_at" and name not in names:
            raise InvalidInput(
                f"{target.type} has no field '{name}'; a correction of it may name "
                f"{', '.join(sorted(names))} or occurred_at",
                field=path,
            )
        if value is None and (name == "occurred_at" or name in required):
            raise InvalidInput(
                f"{name} is required for {target.type}: it can be replaced, not removed",
                field=path,
            )
    # Each field is checked on its own, so checking against the original data suffices: any
    # sequence of valid corrections leaves every field either original or checked here.
    try:
        data, _ = apply_correction(target.data, _occurred(target), changes, tz)
        validate_data(target.type, data, tz=tz)
    except InvalidInput as exc:
        field = exc.field
        if field is not None and field.startswith("data.") and not field.startswith(_CHANGES):
            field = f"{_CHANGES}.{field[len('data.') :]}"
        raise InvalidInput(
            f"the corrected {target.type} would be invalid: {exc.reason}", field=field
        ) from None


def apply_correction(
    data: Mapping[str, Any],
    occurred: Interval,
    changes: Mapping[str, Any],
    tz: ZoneInfo | None = None,
) -> tuple[dict[str, Any], Interval]:
    """The target's data and occurred interval after a correction (`null` removes a field)."""
    out = dict(data)
    for name, value in changes.items():
        if name == "occurred_at":
            occurred = parse_occurred(value, tz, field=f"{_CHANGES}.occurred_at")
        elif value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out, occurred


def _occurred(target: StoredEvent | NewEvent) -> Interval:
    if isinstance(target, StoredEvent):
        return Interval(target.occurred_from, target.occurred_to)
    assert target.occurred is not None, "a world event always has an occurred interval"
    return target.occurred
