"""A Hypothesis state machine: the SQL store and a plain model, side by side.

The model is independent of the code under test: it assigns positions and versions itself,
decides which appends must be refused, and keeps its own hash chain computed with only `rfc8785`
and `hashlib` (the hash rule in the README). From the store it takes only what the store draws: each event's salt
and recorded_at (the clock is fixed, so recorded_at is known too and checked).

Runs on SQLite (a file in a temporary directory) and on PostgreSQL (a private schema on the server
named by LEDGER_TEST_POSTGRES_URL; skipped when unset, unless CI=true).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger.verify import verify_events
from ledger.domain.errors import ConflictError, DuplicateEventError, InvalidInput
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent, StoredEvent
from ledger.service import Ledger, open_ledger
from tests.conftest import PgSchema, postgres_base_url

CLAIMS = ("alpha", "bravo", "charlie")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIXED_NOW_DT = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
MAX_SAFE = 2**53 - 1


def us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def fmt(micros: int) -> str:
    return (EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


FIXED_NOW = us(FIXED_NOW_DT)


def fixed_clock() -> int:
    return FIXED_NOW


def _d(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# The occurred values the machine writes, and the half-open intervals they mean (docs/answers.md).
OCCURRED = {
    "2023": (us(_d(2023, 1, 1)), us(_d(2024, 1, 1))),
    "2023-11": (us(_d(2023, 11, 1)), us(_d(2023, 12, 1))),
    "2023-11-02": (us(_d(2023, 11, 2)), us(_d(2023, 11, 3))),
    "2023-11-02/2023-11-20": (us(_d(2023, 11, 2)), us(_d(2023, 11, 21))),
    "2023-11-21T15:30Z": (us(_d(2023, 11, 21, 15, 30)), us(_d(2023, 11, 21, 15, 31))),
}

# Text of any code point but surrogates and U+0000 (refused at the boundary), never blank.
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
texts = st.text(alphabet=_chars, min_size=1, max_size=10).filter(lambda s: s.strip() != "")
# Floats stay below 2^53 in magnitude here; whole floats beyond that (read back from JSONB as
# integers) have their own test in test_hash_vector.py.
_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-(2.0**53), max_value=2.0**53),
    st.text(alphabet=_chars, max_size=8),
)
metadata_values = st.dictionaries(st.text(alphabet=_chars, max_size=6), _json_scalars, max_size=3)


def model_hash(prev_hash: str, e: ModelEvent) -> str:
    """the hash rule with rfc8785 and hashlib only."""
    data_hash = hashlib.sha256(bytes.fromhex(e.salt) + rfc8785.dumps(e.data)).hexdigest()
    envelope = rfc8785.dumps(
        {
            "event_id": e.event_id,
            "type": e.type,
            "claim_id": e.claim_id,
            "version": e.version,
            "position": e.position,
            "schema_version": 1,
            "occurred_from": fmt(e.occurred_from),
            "occurred_to": fmt(e.occurred_to),
            "recorded_at": fmt(e.recorded_at),
            "data_hash": data_hash,
            "metadata": e.metadata,
        }
    )
    return hashlib.sha256(b"ledger/v1\x00" + bytes.fromhex(prev_hash) + envelope).hexdigest()


@dataclass
class ModelEvent:
    event_id: str
    type: str
    claim_id: str
    version: int
    position: int
    occurred_from: int
    occurred_to: int
    recorded_at: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    salt: str
    prev_hash: str
    hash: str
    line: NewEvent  # what was appended, to append it again

    @property
    def is_erratum(self) -> bool:
        return self.type in ("RecordCorrected", "RecordVoided")


@dataclass
class Planned:
    """An event the model expects the store to add: its line and its expected placement."""

    line: NewEvent
    claim_id: str
    occurred: tuple[int, int] | None  # None: an erratum, occurred = recorded_at


class LedgerMachine(RuleBasedStateMachine):
    """Subclasses say where the database is (`open_url`, `cleanup`)."""

    def __init__(self) -> None:
        super().__init__()
        self.url = self.open_url()
        self.ledger: Ledger = open_ledger(self.url, clock=fixed_clock)
        self.events: list[ModelEvent] = []
        self.by_id: dict[str, ModelEvent] = {}
        self.versions: dict[str, int] = {}
        self.voided: set[str] = set()
        self.head = "0" * 64
        self.ids = 0

    # -- where the database is -----------------------------------------------------------------
    def open_url(self) -> str:
        raise NotImplementedError

    def cleanup(self) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        try:
            self.ledger.close()
        finally:
            self.cleanup()

    # -- building lines --------------------------------------------------------------------------
    def new_id(self) -> str:
        self.ids += 1
        return f"0193c4f0-0000-7000-8000-{self.ids:012x}"

    def world_line(self, claim: str, kind: str, text: str, occurred: str,
                   metadata: dict[str, Any], **extra: Any) -> dict[str, Any]:
        data = (
            {"claimant": text, "statement": f"statement {text}"}
            if kind == "ClaimMade"
            else {"denier": text, "quote": f"«{text}»"}
        )
        line = {"event_id": self.new_id(), "type": kind, "claim_id": claim,
                "occurred_at": occurred, "data": data, "metadata": metadata}
        line.update(extra)
        return line

    def planned_world(self, line: dict[str, Any]) -> Planned:
        return Planned(validate_event(line), line["claim_id"], OCCURRED[line["occurred_at"]])

    def planned_erratum(self, kind: str, target: ModelEvent, data_extra: dict[str, Any],
                        with_claim: bool) -> Planned:
        line: dict[str, Any] = {
            "event_id": self.new_id(),
            "type": kind,
            "data": {"target_event_id": target.event_id, "reason": "recorded wrongly",
                     **data_extra},
        }
        if with_claim:
            line["claim_id"] = target.claim_id
        return Planned(validate_event(line), target.claim_id, None)

    # -- the model's side of an append -------------------------------------------------------------
    def expect_added(self, planned: list[Planned], added: list[StoredEvent]) -> None:
        assert len(added) == len(planned)
        for p, s in zip(planned, added, strict=True):
            position = len(self.events) + 1
            version = self.versions.get(p.claim_id, 0) + 1
            assert s.recorded_at == FIXED_NOW  # the fixed clock; never moved back
            start, end = p.occurred if p.occurred is not None else (FIXED_NOW, FIXED_NOW)
            m = ModelEvent(
                event_id=p.line.event_id, type=p.line.type, claim_id=p.claim_id,
                version=version, position=position, occurred_from=start, occurred_to=end,
                recorded_at=s.recorded_at, data=p.line.data, metadata=p.line.metadata,
                salt=s.salt, prev_hash=self.head, hash="", line=p.line,
            )
            assert len(m.salt) == 32 and all(c in "0123456789abcdef" for c in m.salt)
            m.hash = model_hash(self.head, m)
            assert (s.event_id, s.position, s.version, s.claim_id) == (
                m.event_id, m.position, m.version, m.claim_id)
            assert (s.prev_hash, s.hash) == (m.prev_hash, m.hash)
            self.events.append(m)
            self.by_id[m.event_id] = m
            self.versions[m.claim_id] = version
            if m.type == "RecordVoided":
                self.voided.add(m.data["target_event_id"])
            self.head = m.hash

    def append(self, planned: list[Planned], *, also: NewEvent | None = None) -> None:
        """Append `planned` (and `also`, an already stored event, first: it must be skipped)."""
        lines = [p.line for p in planned]
        result = self.ledger.store.append(lines if also is None else [also, *lines])
        assert result.skipped == ([] if also is None else [also])
        self.expect_added(planned, result.added)

    def refused(self, error: type[Exception], lines: list[NewEvent], match: str = "") -> None:
        before = self.ledger.store.head().position
        with pytest.raises(error, match=match):
            self.ledger.store.append(lines)
        assert self.ledger.store.head().position == before == len(self.events)

    def pick(self, index: int, *, errata: bool | None = None) -> ModelEvent | None:
        pool = [e for e in self.events if errata is None or e.is_erratum == errata]
        return pool[index % len(pool)] if pool else None

    # -- rules -------------------------------------------------------------------------------------
    @rule(claim=st.sampled_from(CLAIMS), kind=st.sampled_from(["ClaimMade", "ClaimDenied"]),
          text=texts, occurred=st.sampled_from(sorted(OCCURRED)), metadata=metadata_values)
    def append_new(self, claim: str, kind: str, text: str, occurred: str,
                   metadata: dict[str, Any]) -> None:
        self.append([self.planned_world(self.world_line(claim, kind, text, occurred, metadata))])

    @rule(specs=st.lists(st.tuples(st.sampled_from(CLAIMS),
                                   st.sampled_from(["ClaimMade", "ClaimDenied"]), texts),
                         min_size=2, max_size=4))
    def append_batch(self, specs: list[tuple[str, str, str]]) -> None:
        planned = [self.planned_world(self.world_line(c, k, t, "2023-11", {}))
                   for c, k, t in specs]
        self.append(planned)

    @rule(claim=st.sampled_from(CLAIMS), text=texts)
    def append_expecting_the_right_version(self, claim: str, text: str) -> None:
        line = self.world_line(claim, "ClaimDenied", text, "2023-11-02",
                               {}, expected_version=self.versions.get(claim, 0))
        self.append([self.planned_world(line)])

    @rule(claim=st.sampled_from(CLAIMS), delta=st.integers(min_value=1, max_value=3),
          below=st.booleans(), text=texts, with_good_first=st.booleans())
    def append_expecting_a_wrong_version(self, claim: str, delta: int, below: bool, text: str,
                                         with_good_first: bool) -> None:
        current = self.versions.get(claim, 0)
        wrong = current - delta if below and current - delta >= 0 else current + delta
        bad = validate_event(self.world_line(claim, "ClaimDenied", text, "2023-11-02", {},
                                             expected_version=wrong))
        lines = [bad]
        if with_good_first:  # a batch with one conflict stores nothing
            other = next(c for c in CLAIMS if c != claim)
            lines.insert(0, validate_event(self.world_line(other, "ClaimMade", text, "2023", {})))
        self.refused(ConflictError, lines, match=f"at version {current}, not {wrong}")

    @precondition(lambda self: self.events)
    @rule(index=st.integers(min_value=0), with_new=st.booleans(), text=texts)
    def reappend_stored_event_is_skipped(self, index: int, with_new: bool, text: str) -> None:
        stored = self.pick(index)
        assert stored is not None
        planned = []
        if with_new:
            planned.append(
                self.planned_world(self.world_line("charlie", "ClaimMade", text, "2023", {}))
            )
        self.append(planned, also=stored.line)

    @precondition(lambda self: self.events)
    @rule(index=st.integers(min_value=0), text=texts)
    def same_id_with_other_content_is_refused(self, index: int, text: str) -> None:
        stored = self.pick(index)
        assert stored is not None
        line = self.world_line(stored.claim_id, "ClaimDenied", f"changed {text}", "2023-11", {})
        line["event_id"] = stored.event_id
        self.refused(DuplicateEventError, [validate_event(line, line=3)], match="line 3")

    @precondition(lambda self: any(not e.is_erratum for e in self.events))
    @rule(index=st.integers(min_value=0), text=texts,
          change=st.sampled_from(["text", "date", "remove"]), with_claim=st.booleans())
    def correct_an_event(self, index: int, text: str, change: str, with_claim: bool) -> None:
        target = self.pick(index, errata=False)
        assert target is not None
        main = "statement" if target.type == "ClaimMade" else "denier"
        changes: dict[str, Any] = {
            "text": {main: f"corrected {text}"},
            "date": {"occurred_at": "2023-11-05"},
            "remove": {"quote": None},  # optional on both types; null removes it
        }[change]
        planned = self.planned_erratum("RecordCorrected", target, {"changes": changes},
                                       with_claim)
        if target.event_id in self.voided:
            self.refused(InvalidInput, [planned.line], match="already voided")
        else:
            self.append([planned])

    @precondition(lambda self: any(not e.is_erratum for e in self.events))
    @rule(index=st.integers(min_value=0), with_claim=st.booleans())
    def void_an_event(self, index: int, with_claim: bool) -> None:
        target = self.pick(index, errata=False)
        assert target is not None
        planned = self.planned_erratum("RecordVoided", target, {}, with_claim)
        if target.event_id in self.voided:  # void twice: refused
            self.refused(InvalidInput, [planned.line], match="already voided")
        else:
            self.append([planned])

    @precondition(lambda self: any(e.is_erratum for e in self.events))
    @rule(index=st.integers(min_value=0), kind=st.sampled_from(["RecordVoided", "RecordCorrected"]))
    def erratum_of_an_erratum_is_refused(self, index: int, kind: str) -> None:
        target = self.pick(index, errata=True)
        assert target is not None
        extra = {"changes": {"reason": "x"}} if kind == "RecordCorrected" else {}
        planned = self.planned_erratum(kind, target, extra, True)
        self.refused(InvalidInput, [planned.line], match="itself an erratum")

    @rule(kind=st.sampled_from(["RecordVoided", "RecordCorrected"]), claim=st.sampled_from(CLAIMS))
    def erratum_of_an_unknown_event_is_refused(self, kind: str, claim: str) -> None:
        line: dict[str, Any] = {
            "event_id": self.new_id(), "type": kind, "claim_id": claim,
            "data": {"target_event_id": "0193c4f0-ffff-7fff-8fff-ffffffffffff",
                     "reason": "no such event"},
        }
        if kind == "RecordCorrected":
            line["data"]["changes"] = {"statement": "x"}
        self.refused(InvalidInput, [validate_event(line)], match="does not exist")

    @precondition(lambda self: any(not e.is_erratum for e in self.events))
    @rule(index=st.integers(min_value=0))
    def erratum_naming_another_claim_is_refused(self, index: int) -> None:
        target = self.pick(index, errata=False)
        assert target is not None
        line = {
            "event_id": self.new_id(), "type": "RecordVoided",
            "claim_id": next(c for c in CLAIMS if c != target.claim_id),
            "data": {"target_event_id": target.event_id, "reason": "wrong claim"},
        }
        self.refused(InvalidInput, [validate_event(line)], match="belongs to claim")

    @precondition(lambda self: any(not e.is_erratum for e in self.events))
    @rule(index=st.integers(min_value=0))
    def correction_naming_an_unknown_field_is_refused(self, index: int) -> None:
        target = self.pick(index, errata=False)
        assert target is not None
        # A field of another event type: valid as a line, refused against this target.
        other = "denier" if target.type == "ClaimMade" else "claimant"
        planned = self.planned_erratum("RecordCorrected", target, {"changes": {other: "x"}},
                                       True)
        reason = "already voided" if target.event_id in self.voided else f"has no field '{other}'"
        self.refused(InvalidInput, [planned.line], match=reason)

    @rule()
    def reopen(self) -> None:
        self.ledger.close()
        self.ledger = open_ledger(self.url, clock=fixed_clock)

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def log_matches_the_model(self) -> None:
        log = list(self.ledger.store.read_after(0))
        n = len(self.events)
        assert [e.position for e in log] == list(range(1, n + 1))
        for s, m in zip(log, self.events, strict=True):
            assert (s.event_id, s.type, s.claim_id, s.version) == (
                m.event_id, m.type, m.claim_id, m.version)
            assert (s.occurred_from, s.occurred_to, s.recorded_at) == (
                m.occurred_from, m.occurred_to, m.recorded_at)
            assert s.data == m.data and s.metadata == m.metadata
            assert (s.salt, s.prev_hash, s.hash) == (m.salt, m.prev_hash, m.hash)
        for claim in CLAIMS:
            versions = [e.version for e in self.ledger.store.read_claim(claim)]
            assert versions == list(range(1, self.versions.get(claim, 0) + 1))
        report = verify_events(log)
        assert report.ok, report.breaks
        assert report.head_hash == self.head
        head = self.ledger.store.head()
        assert (head.position, head.hash) == (n, self.head)


class SqliteMachine(LedgerMachine):
    def open_url(self) -> str:
        self._dir = tempfile.mkdtemp(prefix="ledger-sm-")
        return str(Path(self._dir) / "ledger.db")

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def postgres_machine(base: str) -> Callable[[], LedgerMachine]:
    class PostgresMachine(LedgerMachine):
        def open_url(self) -> str:
            self._schema = PgSchema(base)
            return self._schema.url

        def cleanup(self) -> None:
            self._schema.drop()

    return PostgresMachine


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    # No explain phase: its line tracer (Python < 3.12) makes a failing run crawl for minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_store_against_the_model(engine: str) -> None:
    if engine == "sqlite":
        factory: Callable[[], LedgerMachine] = SqliteMachine
    else:
        base = postgres_base_url()
        assert base is not None
        factory = postgres_machine(base)
    run_state_machine_as_test(factory, settings=SETTINGS)
