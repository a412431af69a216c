"""What verify checks beyond the chain: times, triggers, projections, and its own memory.

The chain proves the rows agree with each other; these prove the rest of what questions are
answered from: no row recorded in the future, the append-only triggers present and firing,
each projection row equal to a refold of the log, and the log still extending the last digest
this user verified (a deleted tail leaves a perfectly valid, shorter chain).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.verify import VerifyReport

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

#: Clock skew allowed before a stored time counts as the future (the database's own guard
#: allows the same minute).
SKEW_US = 60_000_000


def check_beyond_chain(
    ledger: Ledger,
    report: VerifyReport,
    breaks: list[dict[str, Any]],
    problems: list[str],
    warnings: list[str],
) -> None:
    """Add to `breaks` (by position), `problems` (by name) and `warnings` in place."""
    from ledger.domain.time import format_instant
    from ledger.store.clock import wall_clock
    from ledger.store.sql import verify as sql

    engine = ledger.engine
    for position in sql.future_positions(engine, wall_clock() + SKEW_US):
        breaks.append({
            "position": position,
            "reason": "recorded_at lies in the future (beyond this clock plus a minute): a "
            "planted row; every later append would be stamped after it",
        })
    problems.extend(sql.trigger_problems(engine))
    if ledger.snapshots is not None:
        from ledger.store.sql.projection import disagreements

        problems.extend(
            f"projection: {p}; `ledger replay` rebuilds it" for p in disagreements(engine)
        )
    if not report.ok:
        return
    ledger_id = sql.ledger_id(engine)
    if ledger_id is None:
        return
    from ledger.service import witness

    seen = witness.recall(ledger_id)
    if seen is not None:
        if report.head_position < seen.position:
            breaks.append({
                "position": report.head_position + 1,
                "reason": f"the log ends at position {report.head_position} but position "
                f"{seen.position} was verified on {seen.verified_at}: events were removed",
            })
        elif seen.position > 0 and sql.hash_at(engine, seen.position) != seen.hash:
            breaks.append({
                "position": seen.position,
                "reason": f"the history up to position {seen.position} differs from what was "
                f"verified on {seen.verified_at} (rewritten and re-hashed)",
            })
    if breaks or problems:
        return
    if seen is None or report.head_position >= seen.position:
        noted = witness.remember(
            ledger_id,
            witness.Witnessed(
                report.head_position, report.head_hash, format_instant(wall_clock()),
                ledger.url,
            ),
        )
        if noted is not None:
            warnings.append(noted)
