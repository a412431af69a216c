"""What the timeline picture draws, on the seed: rows, bars at written precision, bands."""

from __future__ import annotations

import pytest

from ledger.domain.time import parse_instant
from ledger.service import InvalidInput, Ledger
from ledger.service.explain import picture_rows
from ledger.store.memory import MemoryStore

A = "wagner-pantsir-s1-to-hezbollah"


@pytest.fixture(scope="module")
def seeded() -> Ledger:
    ledger = Ledger(MemoryStore())
    ledger.seed()
    return ledger


def day(text: str) -> int:
    return parse_instant(text + "T00:00:00.000000Z")


def test_earlier_this_month_denial_is_a_bar_from_2_to_20_november(seeded: Ledger) -> None:
    events = seeded.store.read_claim(A)
    model = picture_rows(events, seeded.store.head().position, [], [])
    assert [r["type"] for r in model["rows"]] == ["ClaimMade", "ClaimDenied"]
    made, denied = model["rows"]
    assert made["interval"] == (day("2023-11-02"), day("2023-11-03"))
    assert denied["interval"] == (day("2023-11-02"), day("2023-11-21"))  # 20th inclusive
    assert denied["label"] == "Dmitry Peskov (Kremlin)"
    # Each row is the claim as known after its position: reported, then disputed (tentative
    # until the denial's interval ends).
    assert [s for _t, s, _tent in made["bands"]] == ["reported", "reported"]
    assert denied["bands"][0] == (day("2023-11-02"), "disputed", True)
    assert denied["bands"][-1] == (day("2023-11-21") - 1, "disputed", False)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_the_picture_is_bytes_of_the_format_asked_for(seeded: Ledger, fmt: str) -> None:
    data = seeded.timeline_picture(A, fmt=fmt)
    assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:400]


def test_an_unknown_picture_format_is_refused(seeded: Ledger) -> None:
    with pytest.raises(InvalidInput, match="svg or png"):
        seeded.timeline_picture(A, fmt="gif")
