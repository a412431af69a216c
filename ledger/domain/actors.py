"""The actor registry: which written names are one actor, as the log said at a position.

Actor events (`ActorRegistered`, `ActorAliased`, `ActorUnaliased`) live in streams
`actor:<actor_id>` of the same log. They are facts about the record, like errata: they take
effect from their position on and are never cut by world time, so the registry at a basis is
the fold of the actor events with `position <= P`. Names match after Unicode NFC and
`str.casefold()`, as actors do everywhere else.

Pure: the caller hands in stored events (or events of a batch being planned).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.errors import InvalidInput

__all__ = [
    "ACTOR_ID",
    "ACTOR_TYPES",
    "KINDS",
    "STREAM_PREFIX",
    "WIKIDATA",
    "Actor",
    "Registry",
    "actor_id_of",
    "check_actor_event",
    "is_actor_stream",
    "name_key",
    "registry_at",
    "stream_of",
    "touched_keys",
]

ACTOR_TYPES = frozenset({"ActorRegistered", "ActorAliased", "ActorUnaliased"})
KINDS = ("person", "organisation", "government", "outlet", "group")
STREAM_PREFIX = "actor:"
#: A slug, short enough that `actor:<id>` fits the 128 characters of a stream id.
ACTOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,121}")
WIKIDATA = re.compile(r"Q[0-9]+")


def name_key(name: str) -> str:
    """How names compare: Unicode NFC, then `str.casefold()`."""
    return unicodedata.normalize("NFC", name).casefold()


def stream_of(actor_id: str) -> str:
    return STREAM_PREFIX + actor_id


def is_actor_stream(stream_id: str) -> bool:
    return stream_id.startswith(STREAM_PREFIX)


def actor_id_of(stream_id: str) -> str | None:
    return stream_id[len(STREAM_PREFIX) :] if is_actor_stream(stream_id) else None


@dataclass(slots=True)
class Actor:
    """One registered actor as it stood at the registry's position."""

    actor_id: str
    name: str
    aliases: list[str]
    kind: str | None
    wikidata: str | None
    affiliation: str | None
    note: str | None
    registered_at: int  # position of its ActorRegistered
    changed_at: int  # position of its last actor event
    history: list[dict[str, Any]] = field(default_factory=list)

    def names(self) -> list[str]:
        """Its registered name, then its aliases in the order they were given."""
        return [self.name, *self.aliases]

    def to_json(self) -> dict[str, Any]:
        return {
            "actor_id": self.actor_id,
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "wikidata": self.wikidata,
            "affiliation": self.affiliation,
            "note": self.note,
            "registered_at_position": self.registered_at,
            "changed_at_position": self.changed_at,
        }


class Registry:
    """Names, aliases and ids, each owned by at most one actor.

    `key` is what the fold compares actors and default origins by: a registered name resolves
    to its actor (the NUL prefix cannot occur in a stored string, so it never equals a name),
    an unregistered one to its normalised spelling.
    """

    __slots__ = ("actors", "owners", "position", "since")

    def __init__(self) -> None:
        self.actors: dict[str, Actor] = {}
        self.owners: dict[str, str] = {}  # name key -> actor id
        self.since: dict[str, int] = {}  # name key -> position its owner last changed
        self.position = 0  # the last actor event applied

    def __bool__(self) -> bool:
        return bool(self.actors)

    def resolve(self, name: object) -> str | None:
        """The id of the actor a written name (or id) belongs to, or None."""
        if not self.owners or not isinstance(name, str):
            return None
        return self.owners.get(name_key(name))

    def key(self, name: str) -> str:
        found = self.owners.get(name_key(name)) if self.owners else None
        return name_key(name) if found is None else "\x00" + found

    def owner(self, name: str) -> str | None:
        return self.owners.get(name_key(name))

    def apply(self, event_type: str, actor_id: str, data: Mapping[str, Any], position: int) -> None:
        """One actor event already checked by `check_actor_event` (a stored one is trusted)."""
        entry = {"position": position, "type": event_type}
        if event_type == "ActorRegistered":
            actor = Actor(
                actor_id=actor_id,
                name=str(data["name"]),
                aliases=[],
                kind=data.get("kind"),
                wikidata=data.get("wikidata"),
                affiliation=data.get("affiliation"),
                note=data.get("note"),
                registered_at=position,
                changed_at=position,
            )
            self.actors[actor_id] = actor
            for key in (name_key(actor_id), name_key(actor.name)):
                self.owners[key] = actor_id
                self.since[key] = position
            for alias in data.get("aliases") or ():
                self._add_alias(actor, str(alias), position)
            entry["name"] = actor.name
            entry["aliases"] = list(actor.aliases)
        else:
            found = self.actors.get(actor_id)
            if found is None:
                return  # refused on append; a view must still not crash on one
            actor = found
            alias = str(data.get("alias", ""))
            if event_type == "ActorAliased":
                self._add_alias(actor, alias, position)
            else:
                key = name_key(alias)
                actor.aliases = [a for a in actor.aliases if name_key(a) != key]
                if self.owners.get(key) == actor_id and key not in (
                    name_key(actor.name),
                    name_key(actor_id),
                ):
                    del self.owners[key]
                    self.since[key] = position
                entry["reason"] = data.get("reason")
            entry["alias"] = alias
            actor.changed_at = position
        if data.get("note") is not None:
            entry["note"] = data.get("note")
        actor.history.append(entry)
        self.position = max(self.position, position)

    def _add_alias(self, actor: Actor, alias: str, position: int) -> None:
        key = name_key(alias)
        if self.owners.get(key) == actor.actor_id:
            return  # already one of its names (e.g. the name repeated among the aliases)
        self.owners[key] = actor.actor_id
        self.since[key] = position
        actor.aliases.append(alias)


def registry_at(events: Iterable[Any], position: int | None = None) -> Registry:
    """The registry from stored actor events (any order), counting those with position <= P."""
    registry = Registry()
    chosen = [e for e in events if position is None or e.position <= position]
    chosen.sort(key=lambda e: e.position)
    for e in chosen:
        actor_id = actor_id_of(e.claim_id)
        if actor_id is not None and e.type in ACTOR_TYPES:
            registry.apply(e.type, actor_id, e.data, e.position)
    return registry


def touched_keys(events: Iterable[Any]) -> set[str]:
    """Every name key whose owner actor events may have changed (ids, names, aliases)."""
    keys: set[str] = set()
    for e in events:
        if e.type not in ACTOR_TYPES:
            continue
        data = e.data
        actor_id = actor_id_of(e.claim_id)
        if actor_id is not None:
            keys.add(name_key(actor_id))
        for name in (data.get("name"), data.get("alias"), *(data.get("aliases") or ())):
            if isinstance(name, str):
                keys.add(name_key(name))
    return keys


def check_actor_event(
    event_type: str, actor_id: str, data: Mapping[str, Any], registry: Registry
) -> None:
    """Refuse an actor event that the registry as it stands cannot take (one reason each)."""
    actor = registry.actors.get(actor_id)
    if event_type == "ActorRegistered":
        if actor is not None:
            raise InvalidInput(
                f"actor '{actor_id}' is already registered (as {actor.name!r}); add a name "
                f"with `ledger actor alias {actor_id} NAME`",
                field="actor_id",
            )
        _free(registry, actor_id, actor_id, "actor_id", "the id")
        _free(registry, actor_id, str(data["name"]), "data.name", "the name")
        for index, alias in enumerate(data.get("aliases") or ()):
            _free(registry, actor_id, str(alias), f"data.aliases[{index}]", "the alias")
        return
    if actor is None:
        known = ", ".join(sorted(registry.actors)[:5]) or "none yet"
        raise InvalidInput(
            f"unknown actor '{actor_id}' (registered: {known}); register it first with "
            f"`ledger actor add {actor_id} --name NAME`",
            field="actor_id",
        )
    alias = str(data["alias"])
    key = name_key(alias)
    if event_type == "ActorAliased":
        if registry.owners.get(key) == actor_id:
            raise InvalidInput(
                f"{alias!r} is already a name of actor '{actor_id}'", field="data.alias"
            )
        _free(registry, actor_id, alias, "data.alias", "the alias")
        return
    if key in (name_key(actor.name), name_key(actor_id)):
        raise InvalidInput(
            f"{alias!r} is the registered {'name' if key == name_key(actor.name) else 'id'} of "
            f"actor '{actor_id}', not an alias; only aliases can be removed",
            field="data.alias",
        )
    if all(name_key(a) != key for a in actor.aliases):
        have = ", ".join(repr(a) for a in actor.aliases) or "none"
        raise InvalidInput(
            f"actor '{actor_id}' has no alias {alias!r} (its aliases: {have})",
            field="data.alias",
        )


def _free(registry: Registry, actor_id: str, name: str, path: str, what: str) -> None:
    owner = registry.owners.get(name_key(name))
    if owner is not None and owner != actor_id:
        actor = registry.actors[owner]
        raise InvalidInput(
            f"{what} {name!r} already belongs to actor '{owner}' ({actor.name}); a name is "
            f"owned by one actor at a time (remove it there first with "
            f"`ledger actor unalias {owner} ...`)",
            field=path,
        )
