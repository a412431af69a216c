"""`linked_from` finds the links other claims make to a claim, through the store's index.

The store names the candidates (links that name the claim, corrections that re-aim a link
at it); the answer at the basis decides. A link re-aimed by a correction moves from one
claim's `linked_from` to the other's at the correction's position, not before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ledger.service as service
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore


@pytest.fixture(params=["memory", "sqlite", "sqlite-reader", "postgres"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Ledger, str]]:
    kind = request.param
    if kind == "memory":
        lg = Ledger(MemoryStore())
        yield lg, kind
        return
    url = str(tmp_path / "links.db") if kind.startswith("sqlite") else request.getfixturevalue("pg_url")
    with service.open(url) as lg:
        yield lg, url if kind == "sqlite-reader" else kind


def _asserted(lg: Ledger, claim: str) -> None:
    lg.record("ClaimMade", claim, data={"claimant": "A", "statement": claim},
              occurred_at="2023-11-02", new_claim=True)


def _ask(lg: Ledger, kind: str, claim: str, **basis: str) -> list[dict[str, object]]:
    if kind.endswith(".db"):  # the read-only SQLite reader answers from the same file
        with service.open(kind, read_only=True) as reader:
            return reader.show(claim, **basis)["linked_from"]  # type: ignore[no-any-return]
    return lg.show(claim, **basis)["linked_from"]  # type: ignore[no-any-return]


def test_a_link_re_aimed_by_a_correction_moves_between_linked_from(opened) -> None:  # type: ignore[no-untyped-def]
    lg, kind = opened
    for claim in ("target-b", "target-c", "source-a", "unrelated"):
        _asserted(lg, claim)
    link = lg.record("ClaimLinked", "source-a", occurred_at="2023-11-03",
                     data={"relation": "supports", "other_claim_id": "target-b"})
    lg.record("ClaimLinked", "unrelated", occurred_at="2023-11-03",
              data={"relation": "contradicts", "other_claim_id": "source-a"})
    before = link["position"] + 1
    lg.record("RecordCorrected", data={"target_event_id": link["event_id"],
                                       "changes": {"other_claim_id": "target-c"},
                                       "reason": "the report named the other claim"})
    expected = [{"claim_id": "source-a", "relation": "supports", "status": "asserted"}]
    assert _ask(lg, kind, "target-b", known_at=f"@{before}") == expected
    assert _ask(lg, kind, "target-c", known_at=f"@{before}") == []
    assert _ask(lg, kind, "target-b") == []
    assert _ask(lg, kind, "target-c") == expected
    assert _ask(lg, kind, "source-a") == [
        {"claim_id": "unrelated", "relation": "contradicts", "status": "asserted"}
    ]


def test_a_voided_link_leaves_linked_from(opened) -> None:  # type: ignore[no-untyped-def]
    lg, kind = opened
    _asserted(lg, "target-b")
    _asserted(lg, "source-a")
    link = lg.record("ClaimLinked", "source-a", occurred_at="2023-11-03",
                     data={"relation": "refines", "other_claim_id": "target-b"})
    lg.record("RecordVoided", data={"target_event_id": link["event_id"], "reason": "wrong"})
    assert _ask(lg, kind, "target-b") == []
    assert _ask(lg, kind, "target-b", known_at=f"@{link['position']}")[0]["claim_id"] == "source-a"
