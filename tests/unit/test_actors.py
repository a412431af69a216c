"""The actor registry (pure), and status through it against a model written here."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.actors import check_actor_event, registry_at
from ledger.domain.errors import InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.model import StoredEvent
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore


def stored(position: int, type_: str, actor_id: str, data: dict[str, Any]) -> StoredEvent:
    return StoredEvent(position, str(uuid.uuid4()), type_, f"actor:{actor_id}", 1, 1, 0, 0, 0,
                       data, {}, "0" * 32, "0" * 64, "0" * 64)


LOG = [
    stored(3, "ActorRegistered", "sergei-shoigu", {"name": "Sergei Shoigu"}),
    stored(5, "ActorAliased", "sergei-shoigu", {"alias": "Sergei Choigou"}),
    stored(8, "ActorUnaliased", "sergei-shoigu", {"alias": "sergei CHOIGOU", "reason": "r"}),
]


def test_the_registry_at_a_position_counts_only_the_events_up_to_it() -> None:
    assert registry_at(LOG, 2).resolve("Sergei Shoigu") is None
    assert registry_at(LOG, 4).resolve("Sergei Choigou") is None
    assert registry_at(LOG, 5).resolve("Sergei Choigou") == "sergei-shoigu"
    assert registry_at(LOG, 8).resolve("Sergei Choigou") is None
    assert registry_at(LOG, 8).resolve("sergei shoigu") == "sergei-shoigu"
    assert registry_at(reversed(LOG), 6).actors["sergei-shoigu"].aliases == ["Sergei Choigou"]


def test_names_match_after_nfc_and_casefold_and_ids_are_names_too() -> None:
    decomposed = unicodedata.normalize("NFD", "Sergueï Choïgou")
    registry = registry_at(
        [stored(1, "ActorRegistered", "shoigu", {"name": "SERGUEÏ CHOÏGOU", "aliases": ["Straße"]})]
    )
    assert registry.resolve(decomposed) == "shoigu"
    assert registry.resolve("STRASSE") == "shoigu"  # casefold, not lower
    assert registry.resolve("shoigu") == "shoigu"
    assert registry.resolve("Shoigu") == "shoigu"
    assert registry.key("Sergueï Choïgou") == registry.key("shoigu") != registry.key("Other")


@pytest.mark.parametrize(
    ("type_", "actor_id", "data", "field", "words"),
    [
        ("ActorAliased", "nobody", {"alias": "X"}, "actor_id", "unknown actor 'nobody'"),
        ("ActorRegistered", "other", {"name": "sergei choigou"}, "data.name", "'sergei-shoigu'"),
        ("ActorRegistered", "other", {"name": "O", "aliases": ["A", "Sergei Shoigu"]},
         "data.aliases[1]", "belongs to actor 'sergei-shoigu'"),
        ("ActorRegistered", "sergei-shoigu", {"name": "New"}, "actor_id", "already registered"),
        ("ActorRegistered", "sergei-choigou", {"name": "N"}, "actor_id", "'sergei-shoigu'"),
        ("ActorAliased", "sergei-shoigu", {"alias": "SERGEI CHOIGOU"}, "data.alias", "already"),
        ("ActorUnaliased", "sergei-shoigu", {"alias": "Shoygu", "reason": "r"}, "data.alias",
         "has no alias"),
        ("ActorUnaliased", "sergei-shoigu", {"alias": "sergei-shoigu", "reason": "r"},
         "data.alias", "registered id"),
    ],
)
def test_refusals_name_the_field_and_the_owner(
    type_: str, actor_id: str, data: dict[str, Any], field: str, words: str
) -> None:
    registry = registry_at(LOG, 5)
    registry.apply("ActorAliased", "sergei-shoigu", {"alias": "Sergei-Choigou"}, 6)
    with pytest.raises(InvalidInput) as info:
        check_actor_event(type_, actor_id, data, registry)
    assert info.value.field == field and words in str(info.value)


def test_an_unaliased_name_can_go_to_another_actor() -> None:
    registry = registry_at(LOG)
    check_actor_event("ActorRegistered", "someone", {"name": "Sergei Choigou"}, registry)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"type": "ActorRegistered", "actor_id": "Not A Slug", "data": {"name": "N"}}, "actor_id"),
        ({"type": "ActorRegistered", "actor_id": "a" * 123, "data": {"name": "N"}}, "actor_id"),
        ({"type": "ActorRegistered", "actor_id": "x", "data": {"name": "N", "wikidata": "q42"}},
         "data.wikidata"),
        ({"type": "ActorRegistered", "actor_id": "x", "data": {"name": "N", "kind": "robot"}},
         "data.kind"),
        ({"type": "ActorRegistered", "actor_id": "x", "occurred_at": "2023",
          "data": {"name": "N"}}, "occurred_at"),
        ({"type": "ActorRegistered", "actor_id": "x", "claim_id": "actor:x",
          "data": {"name": "N"}}, "claim_id"),
        ({"type": "ActorRegistered", "claim_id": "x", "data": {"name": "N"}}, "claim_id"),
        ({"type": "ActorAliased", "data": {"alias": "N"}}, "actor_id"),
        ({"type": "ActorUnaliased", "actor_id": "x", "data": {"alias": "N"}}, "data.reason"),
        ({"type": "ClaimMade", "actor_id": "x", "occurred_at": "2023",
          "data": {"claimant": "C", "statement": "S"}}, "actor_id"),
    ],
)
def test_the_shape_of_an_actor_line_is_checked(line: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_event(line, line=4)
    assert (info.value.line, info.value.field) == (4, field), str(info.value)


def test_both_line_forms_give_the_same_stream() -> None:
    written = validate_event({"type": "ActorAliased", "actor_id": "x", "data": {"alias": "A"}})
    exported = validate_event({"type": "ActorAliased", "claim_id": "actor:x", "data": {"alias": "A"}})
    assert written.claim_id == exported.claim_id == "actor:x"
    assert written.occurred is None


# -- status through the registry, against a model ----------------------------------------------

NAMES = ["Sergei Shoigu", "Sergei Choigou", "SERGEI SHOIGU", "Reuters", "AFP"]
IDS = ["s", "r"]

steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["made", "corroborated"]), st.sampled_from(NAMES)),
        st.tuples(st.sampled_from(["register", "alias", "unalias"]), st.sampled_from(IDS),
                  st.sampled_from(NAMES)),
    ),
    min_size=1,
    max_size=14,
)


class Model:
    """The registry as a plain dict, and status as section 5 says for assertions and
    corroborations only: at least two distinct origins (registered actor, else the casefolded
    name) is corroborated, otherwise asserted."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        self.fixed: dict[str, set[str]] = {}  # an actor's name and id: never unaliased

    def line(self, op: str, actor_id: str, name: str) -> dict[str, Any] | None:
        key = unicodedata.normalize("NFC", name).casefold()
        if op == "register" and actor_id not in self.fixed and not {key, actor_id} & set(self.owner):
            self.owner[key] = self.owner[actor_id] = actor_id
            self.fixed[actor_id] = {key, actor_id}
            return {"type": "ActorRegistered", "actor_id": actor_id, "data": {"name": name}}
        if op == "alias" and actor_id in self.fixed and key not in self.owner:
            self.owner[key] = actor_id
            return {"type": "ActorAliased", "actor_id": actor_id, "data": {"alias": name}}
        if (op == "unalias" and self.owner.get(key) == actor_id
                and key not in self.fixed[actor_id]):
            del self.owner[key]
            return {"type": "ActorUnaliased", "actor_id": actor_id,
                    "data": {"alias": name, "reason": "model"}}
        return None

    def status(self, names: list[str]) -> str:
        origins = {self.owner.get(n.casefold(), "name:" + n.casefold()) for n in names}
        return "corroborated" if len(origins) >= 2 else "asserted"


@settings(max_examples=60, deadline=None)
@given(history=steps)
def test_status_at_every_position_follows_the_registry_at_that_position(history: list[Any]) -> None:
    ledger = Ledger(MemoryStore())
    model = Model()
    expected: dict[int, str] = {}
    names: list[str] = []
    day = 1
    for step in history:
        if step[0] in ("made", "corroborated"):
            if step[0] == "corroborated" and not names:
                continue
            field, kind = ("claimant", "ClaimMade") if step[0] == "made" else (
                "corroborator", "ClaimCorroborated")
            data = {field: step[1]}
            if kind == "ClaimMade":
                data["statement"] = "s"
            line = {"type": kind, "claim_id": "c", "occurred_at": f"2023-11-{day:02d}", "data": data}
            day += 1
            names.append(step[1])
        else:
            line = model.line(*step)
            if line is None:
                continue
        # Each step is a new event: the same alias again after an unalias is not a re-send.
        line = {"event_id": str(uuid.uuid4()), **line}
        added = ledger.store.append([validate_event(line)]).added[0]
        if names:
            expected[added.position] = model.status(names)
    for position, status in expected.items():
        assert ledger.show("c", known_at=f"@{position}")["status"] == status, position
        # World time cuts the claim's events, never the registry.
        assert ledger.show("c", known_at=f"@{position}", as_of="2023-12")["status"] == status
