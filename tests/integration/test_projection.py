"""The persisted projection: answers equal a refold of the log, and replay equals catch-up."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service.questions import list_claims, resolve_basis, show_claim
from ledger.service import Ledger, open_ledger
from ledger.store.sql.projection import table_rows

CLAIMS = ["alpha", "beta", "gamma"]
DAYS = [f"2023-11-{d:02d}" for d in range(1, 29)]


def _event(kind: str, claim: str, start: int, length: int, actor: str, other: str) -> dict[str, Any]:
    when = DAYS[start] if length == 0 else f"{DAYS[start]}/{DAYS[min(start + length, 27)]}"
    data: dict[str, Any]
    if kind == "made":
        data = {"claimant": actor, "statement": f"{claim} statement by {actor}"}
        if actor == "WSJ":
            data["attributed_to"] = "officials"
        return {"type": "ClaimMade", "claim_id": claim, "occurred_at": when, "data": data}
    if kind == "denied":
        return {"type": "ClaimDenied", "claim_id": claim, "occurred_at": when,
                "data": {"denier": actor}}
    if kind == "corroborated":
        return {"type": "ClaimCorroborated", "claim_id": claim, "occurred_at": when,
                "data": {"corroborator": actor}}
    if kind == "retracted":
        return {"type": "ClaimRetracted", "claim_id": claim, "occurred_at": when,
                "data": {"retractor": actor}}
    if kind == "resolved":
        return {"type": "ClaimResolved", "claim_id": claim, "occurred_at": when,
                "data": {"outcome": "refuted" if start % 2 else "confirmed", "resolver": actor}}
    if kind == "linked":
        return {"type": "ClaimLinked", "claim_id": claim, "occurred_at": when,
                "data": {"relation": "supports", "other_claim_id": other}}
    return {"type": "SanctionThreatened", "claim_id": claim, "occurred_at": when,
            "data": {"threatened_by": actor, "target": "someone"}}


world_events = st.builds(
    _event,
    st.sampled_from(["made", "made", "denied", "corroborated", "retracted", "resolved",
                     "linked", "threatened"]),
    st.sampled_from(CLAIMS),
    st.integers(0, 26),
    st.sampled_from([0, 0, 0, 3, 10]),
    st.sampled_from(["WSJ", "Reuters", "reuters", "Kremlin"]),
    st.sampled_from(CLAIMS),
)

# Actor events name the world events' actors: merging "WSJ" and "Kremlin" into one actor
# changes origins, retractions and actor ids in claims that have no event of their own after.
ACTOR_IDS = ["a0", "a1"]
ACTOR_NAMES = ["WSJ", "Reuters", "Kremlin", "officials"]
actor_steps = st.tuples(
    st.sampled_from(["register", "alias", "alias", "unalias"]),
    st.sampled_from(ACTOR_IDS),
    st.sampled_from(ACTOR_NAMES),
)

# A history is batches of lines; an erratum refers back to an earlier world event by index.
steps = st.lists(
    st.one_of(
        world_events.map(lambda e: ("event", e)),
        st.tuples(st.just("void"), st.integers(0, 50)),
        st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 27)),
        actor_steps.map(lambda a: ("actor", *a)),
    ),
    min_size=1,
    max_size=25,
)


def _actor_line(step: tuple[Any, ...], owners: dict[str, str]) -> dict[str, Any] | None:
    """A valid actor event for `step` given the owners so far (updated), or None to skip."""
    _, op, actor_id, name = step
    key, registered = name.casefold(), actor_id in owners.values()
    if op == "register" and not registered and key not in owners and actor_id not in owners:
        owners[key] = owners[actor_id] = actor_id
        return {"type": "ActorRegistered", "actor_id": actor_id, "data": {"name": name}}
    if op == "alias" and registered and key not in owners:
        owners[key] = actor_id
        return {"type": "ActorAliased", "actor_id": actor_id, "data": {"alias": name}}
    names = [k for k, v in owners.items() if v == actor_id]
    if op == "unalias" and key in owners and owners[key] == actor_id and names.index(key) > 1:
        del owners[key]
        return {"type": "ActorUnaliased", "actor_id": actor_id,
                "data": {"alias": name, "reason": "test"}}
    return None


def _apply_steps(
    ledger: Ledger,
    history: list[Any],
    batch_every: int,
    catch_up: bool = False,
    state: dict[str, Any] | None = None,
) -> None:
    """Append `history`; `state` carries what earlier calls stored, to go on from there."""
    state = {} if state is None else state
    stored: list[str] = state.setdefault("stored", [])
    voided: set[str] = state.setdefault("voided", set())
    batch: list[NewEvent] = []
    # name key or id -> actor id, as the batches leave it
    owners: dict[str, str] = state.setdefault("owners", {})

    def flush() -> None:
        if batch:
            ledger.store.append(list(batch))
            batch.clear()
            if catch_up:  # as readers do between appends: the incremental path
                ledger.snapshots.catch_up()

    for i, step in enumerate(history):
        if step[0] == "actor":
            line = _actor_line(step, owners)
            if line is not None:
                batch.append(validate_event(dict(line, event_id=str(uuid.uuid4()))))
        elif step[0] == "event":
            line = dict(step[1], event_id=str(uuid.uuid4()))
            batch.append(validate_event(line))
            stored.append(line["event_id"])
        else:
            flush()
            live = [e for e in stored if e not in voided]
            if not live:
                continue
            target = live[step[1] % len(live)]
            if step[0] == "void":
                data = {"target_event_id": target, "reason": "test"}
                voided.add(target)
                kind = "RecordVoided"
            else:
                data = {"target_event_id": target, "reason": "test",
                        "changes": {"occurred_at": DAYS[step[2]]}}
                kind = "RecordCorrected"
            ledger.store.append([validate_event({"type": kind, "data": data,
                                                 "event_id": str(uuid.uuid4())})])
        if (i + 1) % batch_every == 0:
            flush()
    flush()


BASES = [
    {}, {"as_of": "2023-11-05"}, {"as_of": "2023-11-12"}, {"as_of": "2023-11-20"},
    {"as_of": "2023-11-12", "certain": True}, {"as_of": "2023-11-27", "certain": True},
    {"known_at": "@1"}, {"known_at": "@3"}, {"known_at": "@6", "as_of": "2023-11-14"},
    {"known_at": "@9", "as_of": "2023-11-20", "certain": True},
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps, batch_every=st.integers(1, 4), catch_up=st.booleans())
def test_snapshot_answers_equal_a_refold_of_the_log(tmp_path: Path, history: list[Any],
                                                    batch_every: int, catch_up: bool) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    ledger = open_ledger(str(path))
    try:
        _apply_steps(ledger, history, batch_every, catch_up)
        head = ledger.store.head().position
        for spec in BASES:
            if spec.get("known_at", "@0")[1:].isdigit() and int(spec.get("known_at", "@0")[1:]) > head:
                continue
            basis = resolve_basis(ledger.store, **spec)
            from_log = list_claims(ledger.store, basis)
            from_snapshots = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
            assert from_snapshots == from_log, spec
            for answer in from_log:
                shown = show_claim(ledger.store, answer["claim_id"], basis,
                                   snapshots=ledger.snapshots)
                assert shown == answer
        if catch_up:  # every table row was kept up incrementally, actor events included
            ledger.snapshots.catch_up()
            incremental = table_rows(ledger.engine)
            ledger.snapshots.rebuild()
            assert table_rows(ledger.engine) == incremental
    finally:
        ledger.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=steps, then=steps)
def test_a_past_basis_never_changes_whatever_is_appended(tmp_path: Path, first: list[Any],
                                                         then: list[Any]) -> None:
    ledger = open_ledger(str(tmp_path / f"{uuid.uuid4().hex}.db"))
    try:
        state: dict[str, Any] = {}
        _apply_steps(ledger, first, 2, catch_up=True, state=state)
        pinned = f"@{ledger.store.head().position}"
        bases = [dict(spec, known_at=pinned) for spec in BASES[:6]]
        before = [list_claims(ledger.store, resolve_basis(ledger.store, **b),
                              snapshots=ledger.snapshots) for b in bases]
        # Later steps may register and alias the very names the earlier claims use.
        _apply_steps(ledger, then, 2, catch_up=True, state=state)
        after = [list_claims(ledger.store, resolve_basis(ledger.store, **b),
                             snapshots=ledger.snapshots) for b in bases]
        assert after == before
    finally:
        ledger.close()


def test_replay_equals_the_incrementally_maintained_tables(db_url: str) -> None:
    ledger = open_ledger(db_url)
    try:
        history = [("event", _event("made", c, d, 0, "WSJ", "beta")) for c in CLAIMS for d in (1, 5)]
        history += [("event", _event("denied", "alpha", 3, 10, "Kremlin", "beta")), ("void", 1),
                    ("event", _event("linked", "gamma", 2, 0, "WSJ", "alpha")), ("move", 0, 20)]
        stored = 0
        for step in history:  # catch up after every append, as readers do
            _apply_steps(ledger, [step], 1)
            ledger.snapshots.catch_up()
            stored += 1
        incremental = table_rows(ledger.engine)
        ledger.snapshots.rebuild()
        assert table_rows(ledger.engine) == incremental
        assert len(incremental) == 3
    finally:
        ledger.close()


def test_replay_equals_incremental_tables_after_actor_events(db_url: str) -> None:
    ledger = open_ledger(db_url)
    try:
        history: list[Any] = [
            ("event", _event("made", "alpha", 1, 0, "Reuters", "beta")),
            ("event", _event("corroborated", "alpha", 2, 0, "Kremlin", "beta")),
            ("event", _event("made", "beta", 1, 0, "Kremlin", "alpha")),
            ("actor", "register", "a0", "Reuters"),
            ("actor", "alias", "a0", "Kremlin"),  # alpha: two origins become one
            ("event", _event("made", "gamma", 3, 0, "WSJ", "alpha")),
            ("actor", "unalias", "a0", "Kremlin"),
            ("actor", "alias", "a0", "Kremlin"),
        ]
        statuses = []
        # One _apply_steps call keeps the owners model; catch_up after every single append.
        _apply_steps(ledger, history, 1, catch_up=True)
        incremental = table_rows(ledger.engine)
        for known_at in ("@4", "@5", "@7", "@8"):
            basis = resolve_basis(ledger.store, known_at=known_at)
            statuses.append(show_claim(ledger.store, "alpha", basis,
                                       snapshots=ledger.snapshots)["status"])
        ledger.snapshots.rebuild()
        assert table_rows(ledger.engine) == incremental
        assert statuses == ["corroborated", "asserted", "corroborated", "asserted"]
    finally:
        ledger.close()


@pytest.mark.parametrize("spec", BASES[:6])
def test_a_past_basis_never_changes_its_answer(tmp_path: Path, spec: dict[str, Any]) -> None:
    ledger = open_ledger(str(tmp_path / "l.db"))
    try:
        _apply_steps(ledger, [("event", _event("made", "alpha", 2, 0, "WSJ", "beta")),
                              ("event", _event("denied", "alpha", 4, 5, "Kremlin", "beta"))], 1)
        basis = resolve_basis(ledger.store, known_at="@2", **spec)
        before = list_claims(ledger.store, basis, snapshots=ledger.snapshots)
        _apply_steps(ledger, [("event", _event("corroborated", "alpha", 0, 0, "Reuters", "x")),
                              ("void", 0), ("move", 0, 1),
                              ("event", _event("made", "beta", 1, 0, "AFP", "x")),
                              ("actor", "register", "a0", "Kremlin"),
                              ("actor", "alias", "a0", "WSJ")], 1)
        again = resolve_basis(ledger.store, known_at="@2", **spec)
        assert again == basis
        assert list_claims(ledger.store, again, snapshots=ledger.snapshots) == before
    finally:
        ledger.close()
