"""A claim's history: every event in log order, and what each erratum changed."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.errors import NotFoundError
from ledger.domain.time import format_instant
from ledger.domain.view import apply_errata
from ledger.service.basis import Basis
from ledger.store.port import EventStore


def claim_history(
    store: EventStore, claim_id: str, *, tz: ZoneInfo | None = None
) -> list[dict[str, Any]]:
    """Every event of a claim in log order with both times, and what each erratum changed."""
    events = store.read_claim(claim_id)
    if not events:
        from ledger.service.references import did_you_mean

        raise NotFoundError(f"no claim '{claim_id}' in the ledger; {did_you_mean(store, claim_id)}")
    corrections = apply_errata(events, position=events[-1].position)
    effects = {a.event_id: a for a in corrections.errata}
    # Errata name their target by event id, which people cannot match by eye (ids from one
    # session share their first characters): rows also carry positions both ways.
    position_of = {e.event_id: e.position for e in events}
    changed_by: dict[str, list[int]] = {}
    for e in events:
        if e.is_erratum:
            changed_by.setdefault(str(e.data.get("target_event_id")), []).append(e.position)
    rows = []
    for e in events:
        row: dict[str, Any] = {
            "position": e.position,
            "version": e.version,
            "event_id": e.event_id,
            "type": e.type,
            "occurred_from": format_instant(e.occurred_from),
            "occurred_to": format_instant(e.occurred_to),
            "recorded_at": format_instant(e.recorded_at),
            "data": e.data,
            "metadata": e.metadata,
            "erratum": None,
            "changed_by": changed_by.get(e.event_id, []),
        }
        applied = effects.get(e.event_id)
        if applied is not None:
            row["erratum"] = _erratum_json(applied)
        elif e.is_erratum:
            row["erratum"] = {"target_event_id": e.data.get("target_event_id"), "applied": False}
        if row["erratum"] is not None:
            row["erratum"]["target_position"] = position_of.get(
                str(row["erratum"]["target_event_id"])
            )
        rows.append(row)
    return rows


def corrections_at(
    store: EventStore, claim_id: str, basis: Basis
) -> dict[str, list[dict[str, Any]]]:
    """Per event id of the claim, each field an erratum visible at the basis corrected:
    `field` (`occurred_at` for the time), its `old` value and the erratum's `position`.

    What a table marks next to a corrected value; not part of the answer itself.
    """
    events = store.read_claim(claim_id, up_to=basis.position)
    if not any(e.is_erratum for e in events):
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for a in apply_errata(events, position=basis.position).errata:
        if a.type != "RecordCorrected":
            continue
        for name in sorted(a.changes):
            if name == "occurred_at":
                old: Any = {"occurred_from": format_instant(a.occurred_before.start),
                            "occurred_to": format_instant(a.occurred_before.end)}
            else:
                old = a.data_before.get(name)
            found.setdefault(a.target_event_id, []).append(
                {"field": name, "old": old, "position": a.position}
            )
    return found


def _erratum_json(a: Any) -> dict[str, Any]:
    """What an erratum changed: its target's time and data, before and after."""

    def interval(i: Any) -> dict[str, str] | None:
        if i is None:
            return None
        return {"occurred_from": format_instant(i.start), "occurred_to": format_instant(i.end)}

    return {
        "target_event_id": a.target_event_id,
        "applied": True,
        "action": "voided" if a.type == "RecordVoided" else "corrected",
        "reason": a.reason,
        "changes": a.changes,
        "occurred_before": interval(a.occurred_before),
        "occurred_after": interval(a.occurred_after),
        "data_before": a.data_before,
        "data_after": a.data_after,
    }
