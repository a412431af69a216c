"""Actors: register names as one actor, and ask which claims an actor appears in at a basis.

The registry is kept as events in the log (streams `actor:<id>`), so these writes go through
the same append as every other event, and every question reads the registry as it stood at
the basis position: an alias registered today does not change an answer at `--known-at`
yesterday.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ledger.domain.actors import ACTOR_ID, Actor, Registry, registry_at
from ledger.domain.errors import InvalidInput, NotFoundError

if TYPE_CHECKING:
    from ledger.service.ledger import Answer, Ledger

#: The role an actor plays in each list of the claim answer (sanctions by their `kind`).
_ROLES = {
    "claimants": "claimant",
    "denials": "denier",
    "corroborations": "corroborator",
    "retractions": "retractor",
}
_SANCTION_ROLES = {"threatened": "threatener", "imposed": "imposer"}


# -- writing ----------------------------------------------------------------------------------


def add_actor(
    ledger: Ledger,
    actor_id: str,
    *,
    name: str,
    aliases: Iterable[str] = (),
    kind: str | None = None,
    wikidata: str | None = None,
    affiliation: str | None = None,
    note: str | None = None,
    recorded_by: str | None = None,
) -> Answer:
    """Append an `ActorRegistered`; its stored envelope."""
    data = {
        "name": name,
        "aliases": list(aliases),
        "kind": kind,
        "wikidata": wikidata,
        "affiliation": affiliation,
        "note": note,
    }
    return _record(ledger, "ActorRegistered", actor_id, data, recorded_by)


def alias_actor(
    ledger: Ledger,
    actor_id: str,
    alias: str,
    *,
    note: str | None = None,
    recorded_by: str | None = None,
) -> Answer:
    """Append an `ActorAliased`: from its position on, `alias` names this actor."""
    return _record(ledger, "ActorAliased", actor_id, {"alias": alias, "note": note}, recorded_by)


def unalias_actor(
    ledger: Ledger,
    actor_id: str,
    alias: str,
    *,
    reason: str,
    recorded_by: str | None = None,
) -> Answer:
    """Append an `ActorUnaliased`: from its position on, `alias` no longer names this actor."""
    data = {"alias": alias, "reason": reason}
    return _record(ledger, "ActorUnaliased", actor_id, data, recorded_by)


def _record(
    ledger: Ledger, type_: str, actor_id: str, data: dict[str, Any], recorded_by: str | None
) -> Answer:
    from ledger.service.log import record_event

    # The new-claim guard is about claims: an actor stream starts with its registration.
    return record_event(
        ledger, type_, None, data=data, actor_id=actor_id, recorded_by=recorded_by, new_claim=True
    )


# -- questions --------------------------------------------------------------------------------


def registry_at_basis(ledger: Ledger, position: int) -> Registry:
    """The registry as the log held it at `position`."""
    return registry_at(ledger.store.read_actors(up_to=position))


def show_actor(
    ledger: Ledger,
    actor_id: str,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    certain: bool = False,
    tz: ZoneInfo | None = None,
) -> dict[str, Any]:
    """The actor at the basis, its names, and every claim where it appears, by role.

    `as_of` cuts the claims (world time), never the registry: actor events take effect by
    position only.
    """
    from ledger.service.questions import list_claims

    basis = ledger._basis(as_of, known_at, certain, tz)
    registry = registry_at_basis(ledger, basis.position)
    actor = _actor(registry, actor_id, ledger, basis)
    answers = list_claims(
        ledger.store, basis, actor=actor_id, tz=tz, snapshots=ledger.snapshots
    )
    out = _actor_json(actor)
    out["claims"] = [c for c in (_appearances(a, actor_id) for a in answers) if c["roles"]]
    out["history"] = [dict(h) for h in actor.history]
    out["basis"] = basis.to_json()
    return out


def list_actors(
    ledger: Ledger,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    tz: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """Every actor registered at the basis position, in id order, with its names."""
    basis = ledger._basis(as_of, known_at, False, tz)
    registry = registry_at_basis(ledger, basis.position)
    return [_actor_json(registry.actors[i]) for i in sorted(registry.actors)]


def _actor(registry: Registry, actor_id: str, ledger: Ledger, basis: Any) -> Actor:
    if ACTOR_ID.fullmatch(actor_id) is None:
        raise InvalidInput(
            f"'{actor_id}' is not an actor id: use lowercase letters, digits and hyphens",
            field="actor_id",
        )
    actor = registry.actors.get(actor_id)
    if actor is not None:
        return actor
    later = registry_at_basis(ledger, ledger.store.head().position).actors.get(actor_id)
    if later is not None:
        raise NotFoundError(
            f"actor '{actor_id}' was registered at position {later.registered_at}, after this "
            f"basis ({basis.describe()}); ask at a later --known-at"
        )
    owner = registry.resolve(actor_id)
    hint = f"'{actor_id}' is a name of actor '{owner}'" if owner else "see `ledger actor list`"
    raise NotFoundError(f"no actor '{actor_id}' in the ledger; {hint}")


def _actor_json(actor: Actor) -> dict[str, Any]:
    out = actor.to_json()
    out["names"] = actor.names()
    return out


def _appearances(answer: dict[str, Any], actor_id: str) -> dict[str, Any]:
    """Where `actor_id` acts in one claim answer: each event with its role, name as written."""
    roles: list[dict[str, Any]] = []
    for key, role in _ROLES.items():
        for item in answer[key]:
            if item.get("actor_id") == actor_id:
                roles.append(_role(role, item))
    resolution = answer.get("resolution")
    if resolution and resolution.get("actor_id") == actor_id:
        roles.append(_role("resolver", resolution))
    for item in answer["sanctions"]:
        if item.get("actor_id") == actor_id:
            roles.append(_role(_SANCTION_ROLES.get(item.get("kind"), "sanction"), item))
    return {
        "claim_id": answer["claim_id"],
        "statement": answer["statement"],
        "status": answer["status"],
        "roles": roles,
    }


def _role(role: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": role,
        "actor": item.get("actor"),
        "event_id": item.get("event_id"),
        "occurred_from": item.get("occurred_from"),
        "tentative": item.get("tentative"),
    }
