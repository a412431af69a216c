"""What changed between two bases, claim by claim (keys after Dolt's diff tables)."""

from __future__ import annotations

from typing import Any

_KINDS = {
    "claimants": "claimant",
    "denials": "denial",
    "corroborations": "corroboration",
    "retractions": "retraction",
    "sanctions": "sanction",
    "links": "link",
}


def _events(answer: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if answer is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for key, kind in _KINDS.items():
        for item in answer[key]:
            found[item["event_id"]] = {"event_id": item["event_id"], "kind": kind,
                                       "actor": item.get("actor")}
    resolution = answer.get("resolution")
    if resolution:
        found[resolution["event_id"]] = {"event_id": resolution["event_id"],
                                         "kind": "resolution", "actor": resolution.get("actor")}
    return found


def _actors(answer: dict[str, Any] | None) -> list[str]:
    seen: dict[str, None] = {}
    for item in _events(answer).values():
        if isinstance(item["actor"], str):
            seen.setdefault(item["actor"], None)
    return list(seen)


def diff_answers(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per claim that differs: added, removed or modified, and the events behind it."""
    old = {a["claim_id"]: a for a in before}
    new = {a["claim_id"]: a for a in after}
    rows = []
    for claim_id in sorted(old.keys() | new.keys()):
        a, b = old.get(claim_id), new.get(claim_id)
        events_a, events_b = _events(a), _events(b)
        added = [events_b[k] for k in events_b if k not in events_a]
        removed = [events_a[k] for k in events_a if k not in events_b]
        changed_tentative = [
            k for k in events_b if k in events_a and
            _tentative_of(a, k) != _tentative_of(b, k)
        ]
        if a is not None and b is not None and not added and not removed and (
            a["status"] == b["status"] and a["event_count"] == b["event_count"]
            and a["statement"] == b["statement"] and not changed_tentative
        ):
            continue
        actors_a, actors_b = _actors(a), _actors(b)
        rows.append(
            {
                "claim_id": claim_id,
                "diff_type": "added" if a is None else "removed" if b is None else "modified",
                "from_status": a["status"] if a else None,
                "to_status": b["status"] if b else None,
                "from_event_count": a["event_count"] if a else 0,
                "to_event_count": b["event_count"] if b else 0,
                "from_statement": a["statement"] if a else None,
                "to_statement": b["statement"] if b else None,
                "actors_added": [x for x in actors_b if x not in actors_a],
                "actors_removed": [x for x in actors_a if x not in actors_b],
                "events_added": added,
                "events_removed": removed,
                "events_no_longer_tentative": [
                    k for k in changed_tentative if not _tentative_of(b, k)
                ],
            }
        )
    return rows


def _tentative_of(answer: dict[str, Any] | None, event_id: str) -> bool:
    if answer is None:
        return False
    for key in _KINDS:
        for item in answer[key]:
            if item["event_id"] == event_id:
                return bool(item.get("tentative"))
    resolution = answer.get("resolution")
    return bool(resolution and resolution["event_id"] == event_id and resolution["tentative"])
