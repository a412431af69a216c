"""Search at a basis finds exactly what a plain model of the log says was the record's there.

The model replays the example's events up to P itself: a correction replaces fields (or moves
the event), a void removes it, errata reasons count from their own position, and the as_of
rule keeps events that started by E (with --certain: that ended by E). It then looks for the
query's words, in order, among each kept text's words. The vocabulary has no two words with a
common stem, and no stop words, so stemming changes nothing the model would need to know.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import service
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore

VOCAB = ("pantsir", "wagner", "hezbollah", "kremlin", "missile", "convoy", "tehran", "sanction")
FIELDS = {"ClaimMade": ("statement", "quote", "claimant"), "ClaimDenied": ("denier", "quote")}

_examples = itertools.count()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "memory":
        lg = Ledger(MemoryStore())
    elif request.param == "sqlite":
        lg = service.open(str(tmp_path / "search.db"))
    else:
        lg = service.open(request.getfixturevalue("pg_url"))
    with lg:
        yield lg


words = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4)
texts = words.flatmap(
    lambda ws: st.sampled_from([" ".join(ws), " ".join(w.capitalize() for w in ws), ", ".join(ws) + "."])
)
days = st.tuples(st.integers(1, 27), st.integers(0, 3)).map(lambda t: (t[0], t[0] + t[1]))
world = st.one_of(
    st.tuples(st.just("ClaimMade"), st.integers(0, 2), texts, st.none() | texts, texts,
              st.none() | texts, days),
    st.tuples(st.just("ClaimDenied"), st.integers(0, 2), texts, st.none() | texts, days),
)
erratum = st.one_of(
    st.tuples(st.just("correct"), st.integers(0, 50), st.sampled_from(["statement", "quote", "who", "when"]),
              st.none() | texts, days, texts),
    st.tuples(st.just("void"), st.integers(0, 50), texts),
)
programs = st.lists(st.one_of(world, world, erratum), min_size=1, max_size=12)
bases = st.tuples(st.floats(0, 1), st.none() | st.integers(1, 30), st.booleans())
queries = st.one_of(st.sampled_from(VOCAB).map(lambda w: (w,)), st.tuples(*[st.sampled_from(VOCAB)] * 2))


def _occurred(d: tuple[int, int]) -> str:
    first, last = d
    return f"2023-11-{first:02d}" if first == last else f"2023-11-{first:02d}/2023-11-{last:02d}"


def _build(program: list[Any], prefix: str) -> list[dict[str, Any]]:
    """NDJSON lines for a program; errata pick live targets by index (none: skipped)."""
    lines: list[dict[str, Any]] = []
    live: list[dict[str, Any]] = []
    for step in program:
        eid = str(uuid.uuid4())
        if step[0] in FIELDS:
            if step[0] == "ClaimMade":
                _, c, statement, quote, claimant, source, d = step
                data: dict[str, Any] = {"claimant": claimant, "statement": statement}
                if source is not None:
                    data["source"] = {"name": source}
            else:
                _, c, denier, quote, d = step
                data = {"denier": denier}
            if quote is not None:
                data["quote"] = quote
            line = {"event_id": eid, "type": step[0], "claim_id": f"{prefix}-{c}",
                    "occurred_at": _occurred(d), "data": data}
            live.append(line)
        elif not live:
            continue
        elif step[0] == "void":
            target = live.pop(step[1] % len(live))
            line = {"event_id": eid, "type": "RecordVoided", "claim_id": target["claim_id"],
                    "data": {"target_event_id": target["event_id"], "reason": step[2]}}
        else:
            _, t, what, text, d, reason = step
            target = live[t % len(live)]
            if what == "when":
                changes: dict[str, Any] = {"occurred_at": _occurred(d)}
            elif what == "who":
                name = "claimant" if target["type"] == "ClaimMade" else "denier"
                changes = {name: text or reason}
            elif what == "statement" and target["type"] == "ClaimMade":
                changes = {"statement": text or reason}
            else:
                changes = {"quote": text}  # None removes the quote
            line = {"event_id": eid, "type": "RecordCorrected", "claim_id": target["claim_id"],
                    "data": {"target_event_id": target["event_id"], "changes": changes,
                             "reason": reason}}
        lines.append(line)
    return lines


def _has(text: str | None, query: tuple[str, ...]) -> bool:
    if not text:
        return False
    found = re.findall(r"[a-z]+", text.lower())
    n = len(query)
    return any(tuple(found[i : i + n]) == query for i in range(len(found) - n + 1))


def _model(lines: list[dict[str, Any]], positions: dict[str, int], p: int, as_of: int | None,
           certain: bool, query: tuple[str, ...]) -> set[tuple[str, str]]:
    state: dict[str, dict[str, Any]] = {}
    found: set[tuple[str, str]] = set()
    for line in sorted(lines, key=lambda x: positions[x["event_id"]]):
        if positions[line["event_id"]] > p:
            break
        data = line["data"]
        if line["type"] in FIELDS:
            first, _, last = line["occurred_at"].partition("/")
            state[line["event_id"]] = {"type": line["type"], "data": dict(data),
                                       "days": (int(first[-2:]), int((last or first)[-2:]))}
            continue
        if _has(data["reason"], query):
            found.add((line["event_id"], "reason"))
        target = state.get(data["target_event_id"])
        if line["type"] == "RecordVoided":
            state.pop(data["target_event_id"])
            continue
        for name, value in data["changes"].items():
            if name == "occurred_at":
                day = int(value[-2:])
                target["days"] = (day, day)
            elif value is None:
                target["data"].pop(name, None)
            else:
                target["data"][name] = value
    for event_id, s in state.items():
        first, last = s["days"]
        if as_of is not None and (first > as_of or (certain and last > as_of)):
            continue
        for name in FIELDS[s["type"]]:
            if _has(s["data"].get(name), query):
                found.add((event_id, name))
        if _has((s["data"].get("source") or {}).get("name"), query):
            found.add((event_id, "source"))
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=programs, cuts=st.lists(st.integers(1, 12), max_size=3),
       asked=st.lists(st.tuples(bases, queries), min_size=1, max_size=4))
def test_search_at_a_basis_finds_what_the_model_finds(
    opened: Ledger, program: list[Any], cuts: list[int], asked: list[Any]
) -> None:
    prefix = f"search-{next(_examples)}"
    lines = _build(program, prefix)
    before = opened.store.head().position
    # Random batches: an erratum and its target in one append, or in two.
    edges = sorted({0, len(lines), *(c for c in cuts if c < len(lines))})
    for start, end in itertools.pairwise(edges):
        batch = b"".join(orjson.dumps(line) + b"\n" for line in lines[start:end])
        opened.import_ndjson(batch)
    positions = {e: s.position for e, s in opened.store.get(x["event_id"] for x in lines).items()}
    head = opened.store.head().position
    for (fraction, as_of_day, certain), query in asked:
        p = before + round(fraction * (head - before))
        as_of = None if as_of_day is None else f"2023-11-{as_of_day:02d}"
        text = query[0] if len(query) == 1 else '"' + " ".join(query) + '"'
        hits = opened.search(text, known_at=f"@{p}", as_of=as_of, certain=certain)
        got = {(h["event_id"], h["field"]) for h in hits if h["claim_id"].startswith(prefix + "-")}
        want = _model(lines, positions, p, as_of_day, certain, query)
        assert got == want, (text, p, as_of, certain)
        assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)
