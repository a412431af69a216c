"""Actor events in the append on every store: checked against stored state, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.errors import InvalidInput, NotFoundError
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service import Ledger, open_ledger
from ledger.store.memory import MemoryStore


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "memory":
        yield Ledger(store=MemoryStore())
        return
    url = str(tmp_path / "l.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_ledger(url)
    try:
        yield opened
    finally:
        opened.close()


def event(line: dict[str, Any], number: int | None = None) -> NewEvent:
    return validate_event({"event_id": str(uuid.uuid4()), **line}, line=number)


def register(actor_id: str, name: str, *aliases: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name}
    if aliases:
        data["aliases"] = list(aliases)
    return {"type": "ActorRegistered", "actor_id": actor_id, "data": data}


def alias(actor_id: str, name: str) -> dict[str, Any]:
    return {"type": "ActorAliased", "actor_id": actor_id, "data": {"alias": name}}


def test_a_target_may_be_an_earlier_line_of_the_same_batch(ledger: Ledger) -> None:
    added = ledger.store.append(
        [event(register("shoigu", "Sergei Shoigu")), event(alias("shoigu", "Sergei Choigou"))]
    ).added
    assert [(e.claim_id, e.version) for e in added] == [("actor:shoigu", 1), ("actor:shoigu", 2)]
    assert all(e.occurred_from == e.occurred_to == e.recorded_at for e in added)
    assert [e.position for e in ledger.store.read_actors(up_to=1)] == [1]


def test_a_refused_line_stores_nothing_of_its_batch(ledger: Ledger) -> None:
    ledger.store.append([event(register("shoigu", "Sergei Shoigu"))])
    batch = [
        event({"type": "ClaimMade", "claim_id": "c", "occurred_at": "2023",
               "data": {"claimant": "A", "statement": "S"}}, 1),
        event(register("afp", "AFP"), 2),
        event(alias("afp", "sergei shoigu"), 3),
    ]
    with pytest.raises(InvalidInput) as info:
        ledger.store.append(batch)
    assert info.value.line == 3 and "belongs to actor 'shoigu'" in str(info.value)
    assert ledger.store.head().position == 1


def test_two_registrations_of_one_name_in_one_batch_are_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput) as info:
        ledger.store.append([event(register("a", "Same"), 1), event(register("b", "SAME"), 2)])
    assert info.value.line == 2
    assert ledger.store.head().position == 0


def test_a_repeated_actor_event_is_skipped_not_refused(ledger: Ledger) -> None:
    line = {**register("shoigu", "Sergei Shoigu"), "event_id": str(uuid.uuid4())}
    ledger.store.append([validate_event(line)])
    again = ledger.store.append([validate_event(line)])
    assert again.added == [] and len(again.skipped) == 1


def test_a_dry_run_checks_and_stores_nothing(ledger: Ledger) -> None:
    planned = ledger.store.append([event(register("x", "X"))], dry_run=True)
    assert len(planned.added) == 1 and ledger.store.head().position == 0
    with pytest.raises(InvalidInput):
        ledger.store.append([event(alias("x", "Y"))], dry_run=True)


def test_errata_cannot_rewrite_the_registry(ledger: Ledger) -> None:
    stored = ledger.store.append([event(register("x", "X"))]).added[0]
    for line in (
        {"type": "RecordVoided", "data": {"target_event_id": stored.event_id, "reason": "r"}},
        {"type": "RecordCorrected", "data": {"target_event_id": stored.event_id, "reason": "r",
                                             "changes": {"note": "n"}}},
    ):
        with pytest.raises(InvalidInput) as info:
            ledger.store.append([event(line)])
        assert "actor event" in str(info.value)
    assert ledger.store.head().position == 1


def test_actor_streams_are_not_claims(ledger: Ledger) -> None:
    ledger.store.append([
        event(register("x", "Reuters")),
        event({"type": "ClaimMade", "claim_id": "c", "occurred_at": "2023",
               "data": {"claimant": "reuters", "statement": "S"}}),
    ])
    listed = ledger.list()
    assert [a["claim_id"] for a in listed] == ["c"]
    assert listed[0]["claimants"][0]["actor_id"] == "x"
    with pytest.raises(NotFoundError, match="actor's stream, not a claim"):
        ledger.show("actor:x")


class _Linguistic(dict):  # type: ignore[type-arg]
    """Every database sorts claim ids linguistically (':' ignored), as en_US.UTF-8 does."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: object) -> bool:
        return False


def test_a_linguistic_collation_still_finds_every_actor_event(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.store.sql import statements

    monkeypatch.setattr(statements, "_ORDERED", _Linguistic())
    opened = open_ledger(pg_url)
    try:
        opened.store.append([
            event({"type": "ClaimMade", "claim_id": "c", "occurred_at": "2023",
                   "data": {"claimant": "Sergei Shoigu", "statement": "S"}}),
            event({"type": "ClaimCorroborated", "claim_id": "c", "occurred_at": "2023",
                   "data": {"corroborator": "Sergei Choigou"}}),
            event(register("sergei-shoigu", "Sergei Shoigu", "Sergei Choigou")),
        ])
        assert [e.position for e in opened.store.read_actors()] == [3]
        assert opened.show("c")["status"] == "asserted"
        assert opened.show("c", known_at="@2")["status"] == "corroborated"
        with pytest.raises(InvalidInput):
            opened.store.append([event(register("other", "SERGEI CHOIGOU"))])
    finally:
        opened.close()
