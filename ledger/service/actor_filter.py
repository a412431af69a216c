"""`claim list --actor`: whether an answer names an actor, as written or through the registry."""

from __future__ import annotations

import unicodedata
from typing import Any

from ledger.domain.actors import Registry


def actor_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def matches_actor(answer: dict[str, Any], wanted: str, registry: Registry) -> bool:
    """`--actor`: a name as written, or any name, alias or id of the actor it resolves to at
    the basis (list items carry that basis's `actor_id`)."""
    names = actors_of(answer)
    if actor_key(wanted) in names or any(within_name(wanted, name) for name in names):
        return True
    actor_id = registry.resolve(wanted)
    return actor_id is not None and actor_id in actor_ids_of(answer)


def within_name(wanted: str, name: str) -> bool:
    """Whether `wanted` is a run of whole words of `name`, case-insensitively.

    `IDF` finds "IDF (Daniel Hagari)" and `daniel hagari` does too; `Hagar` finds nothing:
    a part of a word is too loose for a filter whose misses look like an empty answer. A value
    that does not start and end with a letter or digit (`R%`, `_`) matches only a whole name.
    """
    text, within = actor_key(wanted).strip(), actor_key(name)
    if not text or not (text[0].isalnum() and text[-1].isalnum()):
        return False
    start = within.find(text)
    while start >= 0:
        end = start + len(text)
        if (start == 0 or not within[start - 1].isalnum()) and (
            end == len(within) or not within[end].isalnum()
        ):
            return True
        start = within.find(text, start + 1)
    return False


def actor_ids_of(answer: dict[str, Any]) -> set[str]:
    """Every registered actor id in a projection's items, in any role."""
    ids: set[str] = set()
    for key in ("claimants", "denials", "corroborations", "retractions", "sanctions"):
        for item in answer[key]:
            value = item.get("actor_id")
            if isinstance(value, str):
                ids.add(value)
    resolution = answer["resolution"]
    if resolution and isinstance(resolution.get("actor_id"), str):
        ids.add(resolution["actor_id"])
    return ids


def actors_of(answer: dict[str, Any]) -> set[str]:
    """Every actor named in a projection, in any role, normalised for matching."""
    names: set[str] = set()
    for key in ("claimants", "denials", "corroborations", "retractions", "sanctions"):
        for item in answer[key]:
            for field in ("actor", "attributed_to"):
                value = item.get(field)
                if isinstance(value, str):
                    names.add(actor_key(value))
    if answer["resolution"] and isinstance(answer["resolution"].get("actor"), str):
        names.add(actor_key(answer["resolution"]["actor"]))
    return names
