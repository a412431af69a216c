"""Properties of the projection against a brute-force model of the rules of docs/answers.md.

The model below is written from the design text alone: it re-implements the filter, errata,
ordering and status rules directly and never calls `ledger.domain.view` / `claims` helpers.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.claims import project
from ledger.domain.model import StoredEvent
from ledger.domain.view import visible_events

CLAIMS = ["claim-a", "claim-b"]
ACTORS = ["Kirby", "KIRBY", "Caf\u00e9", "CAFE\u0301", "Strau\u00df", "STRAUSS", "Peskov"]
ORIGINS = ["US government", "us GOVERNMENT", "Kremlin", "Mossad"]
# Weighted so that every status turns up often (a resolution overrides everything else).
WORLD = [
    *["ClaimMade"] * 4,
    *["ClaimRetracted"] * 3,
    "ClaimDenied",
    "ClaimCorroborated",
    "ClaimCorroborated",
    "ClaimResolved",
    "ClaimLinked",
    "SanctionThreatened",
    "SanctionImposed",
]
ERRATA = ["RecordCorrected", "RecordVoided"]
ACTOR_OF = {
    "ClaimMade": "claimant",
    "ClaimDenied": "denier",
    "ClaimCorroborated": "corroborator",
    "ClaimRetracted": "retractor",
    "ClaimResolved": "resolver",
    "SanctionThreatened": "threatened_by",
    "SanctionImposed": "imposed_by",
}
LISTS = {
    "claimants": ["ClaimMade"],
    "denials": ["ClaimDenied"],
    "corroborations": ["ClaimCorroborated"],
    "retractions": ["ClaimRetracted"],
    "sanctions": ["SanctionThreatened", "SanctionImposed"],
    "links": ["ClaimLinked"],
}
DAY = 86_400_000_000
EPOCH = date(1970, 1, 1)
RECORDED_BASE = (date(2024, 1, 1) - EPOCH).days * DAY


# --- the model --------------------------------------------------------------------------------


def model_micros(text: str, *, end: bool) -> int:
    """`YYYY-MM` or `YYYY-MM-DD` as UTC microseconds: its start, or the end of the period."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 2:
        y, m = parts
        d = date(y, m, 1)
        if end:
            d = date(y + (m == 12), m % 12 + 1, 1)
    else:
        d = date(*parts)
        if end:
            d = date.fromordinal(d.toordinal() + 1)
    return (d - EPOCH).days * DAY


def model_interval(text: str) -> tuple[int, int]:
    first, _, second = text.partition("/")
    return model_micros(first, end=False), model_micros(second or first, end=True)


def model_format(us: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def model_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def model_view(
    events: list[StoredEvent], claim: str, p: int, e: int | None, certain: bool
) -> list[dict[str, Any]]:
    live: dict[str, dict[str, Any]] = {}
    for ev in sorted(events, key=lambda x: x.position):
        if ev.claim_id != claim or ev.position > p:
            continue
        if ev.type in ERRATA:
            target = live.get(ev.data["target_event_id"])
            if target is None:
                continue
            if ev.type == "RecordVoided":
                del live[ev.data["target_event_id"]]
                continue
            for name, value in ev.data["changes"].items():
                if name == "occurred_at":
                    target["from"], target["to"] = model_interval(value)
                elif value is None:
                    target["data"].pop(name, None)
                else:
                    target["data"][name] = value
            continue
        live[ev.event_id] = {
            "id": ev.event_id,
            "type": ev.type,
            "pos": ev.position,
            "from": ev.occurred_from,
            "to": ev.occurred_to,
            "data": dict(ev.data),
        }
    kept = []
    for t in live.values():
        if e is not None and t["from"] >= e:
            continue
        t["tentative"] = e is not None and t["to"] > e
        if certain and t["tentative"]:
            continue
        kept.append(t)
    return sorted(kept, key=lambda t: (t["from"], t["pos"]))


def model_status(kept: list[dict[str, Any]]) -> str:
    resolved = [t for t in kept if t["type"] == "ClaimResolved"]
    if resolved:
        return str(resolved[-1]["data"]["outcome"])
    made = [(i, t) for i, t in enumerate(kept) if t["type"] == "ClaimMade"]
    if not made:
        return "unasserted"
    active = []
    for i, t in made:
        who = model_key(t["data"]["claimant"])
        later = kept[i + 1 :]
        if not any(
            u["type"] == "ClaimRetracted" and model_key(u["data"]["retractor"]) == who
            for u in later
        ):
            active.append(t["data"])
    if not active:
        return "retracted"
    if any(t["type"] == "ClaimDenied" for t in kept):
        return "disputed"
    origins = {
        model_key(d.get("origin") or d.get("attributed_to") or d["claimant"]) for d in active
    }
    origins |= {
        model_key(t["data"].get("origin") or t["data"]["corroborator"])
        for t in kept
        if t["type"] == "ClaimCorroborated"
    }
    if len(origins) >= 2:
        return "corroborated"
    if any(d.get("on_record", "attributed_to" not in d) for d in active):
        return "asserted"
    return "reported"


# --- generating histories ---------------------------------------------------------------------


# Strategies are built once: Hypothesis spends most of its time validating new ones.
ACTOR = st.sampled_from(ACTORS)
ORIGIN = st.sampled_from(ORIGINS)
OUTCOME = st.sampled_from(["confirmed", "refuted"])
STATEMENT = st.sampled_from(["s1", "s2"])
CLAIM = st.sampled_from(CLAIMS)
WORLD_TYPE = st.sampled_from(WORLD)
ANY_TYPE = st.sampled_from(WORLD + ERRATA * 2)
BOOL = st.booleans()
INDEX = [st.integers(0, k) for k in range(64)]
OCCURRED = st.one_of(
    st.just("2023-11"),
    st.builds("2023-11-{:02d}".format, st.integers(1, 14)),
    st.builds("2023-11-{:02d}/2023-11-{:02d}".format, st.integers(1, 7), st.integers(8, 24)),
)
OPTIONAL_ORIGIN = st.none() | ORIGIN
OPTIONAL_BOOL = st.none() | BOOL


def world_data(draw: st.DrawFn, type_: str, claim: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if type_ in ACTOR_OF:
        data[ACTOR_OF[type_]] = draw(ACTOR)
    if type_ == "ClaimMade":
        data["statement"] = draw(STATEMENT)
        for name, values in (("attributed_to", ORIGIN), ("origin", ORIGIN), ("on_record", BOOL)):
            if draw(BOOL):
                data[name] = draw(values)
    elif type_ == "ClaimCorroborated" and draw(BOOL):
        data["origin"] = draw(ORIGIN)
    elif type_ == "ClaimResolved":
        data["outcome"] = draw(OUTCOME)
    elif type_ == "ClaimLinked":
        data["relation"] = "supports"
        data["other_claim_id"] = next(c for c in CLAIMS if c != claim)
    elif type_.startswith("Sanction"):
        data["target"] = "Wagner"
    return data


def correction(draw: st.DrawFn, target_type: str) -> dict[str, Any]:
    """1-3 changes the store would accept: occurred_at, the actor, optional fields (or null)."""
    options: dict[str, st.SearchStrategy[Any]] = {"occurred_at": OCCURRED}
    if target_type in ACTOR_OF:
        options[ACTOR_OF[target_type]] = ACTOR
    if target_type == "ClaimMade":
        options.update(
            attributed_to=OPTIONAL_ORIGIN, origin=OPTIONAL_ORIGIN, on_record=OPTIONAL_BOOL
        )
    if target_type == "ClaimResolved":
        options["outcome"] = OUTCOME
    names = sorted(options)
    changes = {}
    for _ in range(1 + draw(INDEX[2])):
        name = names[draw(INDEX[len(names) - 1])]
        changes[name] = draw(options[name])
    return changes


def stored(
    position: int,
    event_id: str,
    type_: str,
    claim: str,
    interval: tuple[int, int] | None,
    data: dict[str, Any],
) -> StoredEvent:
    recorded = RECORDED_BASE + position * 1_000_000
    start, end = interval if interval is not None else (recorded, recorded)
    return StoredEvent(
        position=position,
        event_id=event_id,
        type=type_,
        claim_id=claim,
        version=position,
        schema_version=1,
        occurred_from=start,
        occurred_to=end,
        recorded_at=recorded,
        data=data,
        metadata={},
        salt="00",
        prev_hash="0" * 64,
        hash="1" * 64,
    )


@st.composite
def histories(draw: st.DrawFn, min_size: int = 1, max_size: int = 30) -> list[StoredEvent]:
    """Positions 1..n over two claims; errata only target live world events of their claim."""
    size = draw(st.integers(min_size, max_size))
    events: list[StoredEvent] = []
    live: dict[str, dict[str, str]] = {c: {} for c in CLAIMS}  # claim -> event id -> type
    for position in range(1, size + 1):
        claim = draw(CLAIM)
        type_ = draw(ANY_TYPE if live[claim] else WORLD_TYPE)
        event_id = f"ev-{position}"
        if type_ in ERRATA:
            targets = sorted(live[claim])
            target = targets[draw(INDEX[len(targets) - 1])]
            data: dict[str, Any] = {"target_event_id": target, "reason": "r"}
            if type_ == "RecordVoided":
                del live[claim][target]
            else:
                data["changes"] = correction(draw, live[claim][target])
            events.append(stored(position, event_id, type_, claim, None, data))
            continue
        interval = model_interval(draw(OCCURRED))
        events.append(
            stored(position, event_id, type_, claim, interval, world_data(draw, type_, claim))
        )
        live[claim][event_id] = type_
    return events


cutoffs = st.none() | st.integers(0, 32).map(
    lambda k: int(datetime(2023, 10, 31, tzinfo=UTC).timestamp()) * 1_000_000 + k * DAY
)


def answer(
    events: list[StoredEvent], claim: str, p: int, e: int | None, certain: bool
) -> dict[str, Any]:
    mine = [ev for ev in events if ev.claim_id == claim]
    view = visible_events(mine, position=p, as_of=e, certain=certain)
    return project(claim, view, link_status=lambda other: "elsewhere")


# --- properties -------------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data(), events=histories())
def test_projection_agrees_with_brute_force_model(
    data: st.DataObject, events: list[StoredEvent]
) -> None:
    # Half the time at the head: early positions mostly give empty (unasserted) views.
    p = data.draw(st.just(len(events)) | st.integers(0, len(events)), label="position")
    e = data.draw(cutoffs, label="as_of")
    certain = data.draw(BOOL, label="certain")
    shuffled = data.draw(st.permutations(events), label="input order")
    for claim in CLAIMS:
        kept = model_view(events, claim, p, e, certain)
        got = answer(shuffled, claim, p, e, certain)
        assert got["status"] == model_status(kept)
        assert got["event_count"] == len(kept)
        assert got["tentative"] == any(t["tentative"] for t in kept)
        for key, types in LISTS.items():
            expected = [t for t in kept if t["type"] in types]
            actors = [t["data"].get(ACTOR_OF.get(t["type"], ""), None) for t in expected]
            assert [item["actor"] for item in got[key]] == actors, key
            assert [item["event_id"] for item in got[key]] == [t["id"] for t in expected], key
            assert [item["tentative"] for item in got[key]] == [t["tentative"] for t in expected]
        starts = [t["from"] for t in kept]
        assert got["first_occurred_at"] == (model_format(min(starts)) if starts else None)
        assert got["last_occurred_at"] == (model_format(max(starts)) if starts else None)
        made = [t for t in kept if t["type"] == "ClaimMade"]
        assert got["statement"] == (made[0]["data"]["statement"] if made else None)


@SETTINGS
@given(data=st.data(), events=histories(min_size=2, max_size=40))
def test_past_basis_answer_never_changes_after_more_appends(
    data: st.DataObject, events: list[StoredEvent]
) -> None:
    # The ledger as it stood at position p, asked at p; then the whole log, asked at p again.
    p = data.draw(st.integers(0, len(events) - 1), label="position")
    e = data.draw(cutoffs, label="as_of")
    certain = data.draw(BOOL, label="certain")
    before = events[:p]
    for claim in CLAIMS:
        assert answer(events, claim, p, e, certain) == answer(before, claim, p, e, certain)


def test_appended_errata_and_earlier_events_leave_past_basis_unchanged() -> None:
    day = model_interval("2023-11-02")
    early = model_interval("2023-11-01")
    past = [
        stored(1, "m", "ClaimMade", "claim-a", day, {"claimant": "Kirby", "statement": "s"}),
        stored(2, "d", "ClaimDenied", "claim-a", day, {"denier": "Peskov"}),
    ]
    later = past + [
        stored(3, "v", "RecordVoided", "claim-a", None, {"target_event_id": "d", "reason": "r"}),
        stored(
            4,
            "c",
            "RecordCorrected",
            "claim-a",
            None,
            {"target_event_id": "m", "changes": {"occurred_at": "2023-11-30"}, "reason": "r"},
        ),
        stored(5, "r", "ClaimRetracted", "claim-a", early, {"retractor": "KIRBY"}),
    ]
    e = model_interval("2023-11-10")[0]
    for certain in (False, True):
        assert answer(later, "claim-a", 2, e, certain) == answer(past, "claim-a", 2, e, certain)
    assert answer(past, "claim-a", 2, e, False)["status"] == "disputed"
    assert answer(later, "claim-a", 5, e, False)["status"] == "unasserted"
