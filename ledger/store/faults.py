"""Crash points for the fault tests: kill -9 at a fixed place inside an append.

Active only when LEDGER_FAULTS names a point (set by the test suite, never in normal use):
`before-insert`, `mid-batch` or `before-commit`. The process then SIGKILLs itself there,
exactly as an operator's `kill -9` or a power cut would stop it.
"""

from __future__ import annotations

import os
import signal

_POINT = os.environ.get("LEDGER_FAULTS", "")


def crash_point(name: str) -> None:
    if _POINT and _POINT == name:
        os.kill(os.getpid(), signal.SIGKILL)
