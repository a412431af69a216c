"""Instants in answers: the one instant formatter against a datetime model."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.time import format_instant as _instant

EPOCH = datetime(1970, 1, 1)
FIRST_US = (datetime(1, 1, 1) - EPOCH) // timedelta(microseconds=1)
LAST_US = (datetime(9999, 12, 31, 23, 59, 59, 999_999) - EPOCH) // timedelta(microseconds=1)


def model_instant(us: int) -> str:
    moment = EPOCH + timedelta(microseconds=us)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment:%H:%M:%S}.{moment.microsecond:06d}Z"
    )


@given(st.integers(FIRST_US, LAST_US))
def test_item_instants_are_the_answer_format(us: int) -> None:
    assert _instant(us) == model_instant(us)


@given(st.integers(0, 86_399), st.sampled_from([0, 1, 999_999]))
def test_whole_and_fractional_seconds_of_one_day(second: int, micro: int) -> None:
    us = 1_700_000_000_000_000 // 86_400_000_000 * 86_400_000_000 + second * 1_000_000 + micro
    assert _instant(us) == model_instant(us)


def test_the_end_of_time_keeps_its_own_text() -> None:
    assert _instant(LAST_US + 1) == "10000-01-01T00:00:00.000000Z"
    assert _instant(LAST_US) == "9999-12-31T23:59:59.999999Z"
