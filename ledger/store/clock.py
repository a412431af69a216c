"""The wall clock, in the ledger's unit (UTC microseconds). Stores take a clock so tests can step it."""

from __future__ import annotations

import time


def wall_clock() -> int:
    return time.time_ns() // 1000
