"""What changed between two bases, claim by claim (keys after Dolt's diff tables)."""

from __future__ import annotations

from typing import Any

from ledger.domain.actors import Registry, name_key

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


#: What a correction may change in an event that a diff reports: who, and when.
_CORRECTED_FIELDS = ("actor", "occurred_from", "occurred_to")


def _items(answer: dict[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every list item (and the resolution) of an answer by event id, with its kind."""
    if answer is None:
        return {}
    found = {item["event_id"]: (kind, item) for key, kind in _KINDS.items() for item in answer[key]}
    resolution = answer.get("resolution")
    if resolution:
        found[resolution["event_id"]] = ("resolution", resolution)
    return found


def _corrected(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Events in both answers whose actor or occurred time differ: a correction between the
    bases (the event id stays, so neither `events_added` nor `events_removed` says it)."""
    items_a, items_b = _items(a), _items(b)
    rows = []
    for event_id, (kind, new) in items_b.items():
        if event_id not in items_a:
            continue
        old = items_a[event_id][1]
        differ = [name for name in _CORRECTED_FIELDS if old.get(name) != new.get(name)]
        if "occurred_from" in differ or "occurred_to" in differ:
            differ = [n for n in _CORRECTED_FIELDS if n == "actor" and n in differ]
            differ += ["occurred_from", "occurred_to"]  # an interval is read whole
        changes = {name: {"from": old.get(name), "to": new.get(name)} for name in differ}
        if changes:
            rows.append({"event_id": event_id, "kind": kind, "changes": changes})
    return rows


def _actors(answer: dict[str, Any] | None) -> list[str]:
    seen: dict[str, None] = {}
    for item in _events(answer).values():
        if isinstance(item["actor"], str):
            seen.setdefault(item["actor"], None)
    return list(seen)


def diff_answers(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    *,
    actors_before: Registry | None = None,
    actors_after: Registry | None = None,
) -> list[dict[str, Any]]:
    """One row per claim that differs: added, removed or modified, and the events behind it.

    `actors_*`: the registries at the two bases, to say which actor merge (or split) changed
    a claim whose own events did not (`actors_resolved`).
    """
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
        corrected = _corrected(a, b)
        if a is not None and b is not None and not added and not removed and (
            a["status"] == b["status"] and a["event_count"] == b["event_count"]
            and a["statement"] == b["statement"] and not changed_tentative and not corrected
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
                "events_corrected": corrected,
                "actors_resolved": actors_resolved(a, b, actors_before, actors_after),
            }
        )
    return rows


# -- actor merges: the same events, their names resolved to other actors ------------------


def actors_resolved(
    a: dict[str, Any] | None,
    b: dict[str, Any] | None,
    before: Registry | None,
    after: Registry | None,
) -> list[dict[str, Any]]:
    """Names as written whose actor differs between the bases, each with a sentence such as
    "Sergei Choigou is Sergei Shoigu since position 42"."""
    if a is None or b is None:
        return []
    old = _actor_ids(a)
    found: dict[tuple[str, Any, Any], dict[str, Any]] = {}
    for event_id, (name, to_id) in _actor_ids(b).items():
        if event_id not in old:
            continue
        from_id = old[event_id][1]
        if from_id == to_id or (name, from_id, to_id) in found:
            continue
        found[(name, from_id, to_id)] = _resolved(name, from_id, to_id, before, after)
    return list(found.values())


def _actor_ids(answer: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    items = [i for key in _KINDS for i in answer[key]]
    if answer.get("resolution"):
        items.append(answer["resolution"])
    return {
        i["event_id"]: (i["actor"], i.get("actor_id"))
        for i in items
        if isinstance(i.get("actor"), str)
    }


def _resolved(
    name: str, from_id: Any, to_id: Any, before: Registry | None, after: Registry | None
) -> dict[str, Any]:
    since = after.since.get(name_key(name)) if after is not None else None
    if to_id is not None:
        to_name = after.actors[to_id].name if after is not None and to_id in after.actors else to_id
        same = name_key(name) == name_key(to_name)
        text = f"{name} is registered as {to_id}" if same else f"{name} is {to_name}"
    else:
        old = before.actors.get(from_id) if before is not None else None
        text = f"{name} is no longer {old.name if old else from_id}"
    if since is not None:
        text += f" since position {since}"
    return {
        "actor": name,
        "from_actor_id": from_id,
        "to_actor_id": to_id,
        "since_position": since,
        "reason": text,
    }


def _tentative_of(answer: dict[str, Any] | None, event_id: str) -> bool:
    if answer is None:
        return False
    for key in _KINDS:
        for item in answer[key]:
            if item["event_id"] == event_id:
                return bool(item.get("tentative"))
    resolution = answer.get("resolution")
    return bool(resolution and resolution["event_id"] == event_id and resolution["tentative"])
