"""Integrity and facts: verify the chain, warn about risky privileges, describe a ledger."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ledger.verify import VerifyReport, verify_events

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

# -- verify -------------------------------------------------------------------------------


def verify_ledger(
    ledger: Ledger,
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recompute the chain and check the invariants of the whole log (`ledger.verify`)."""
    from ledger.store.sql.store import SqlStore

    if isinstance(ledger.store, SqlStore):
        # Same verdict, from raw rows and on every core: see ledger/store/sql/verify.py.
        from ledger.store.sql.verify import verify_sql

        return verify_sql(ledger.store.engine, digest=digest, progress=progress)
    with contextlib.closing(ledger.store.read_after(0)) as events:
        return verify_events(events, digest=digest, progress=progress)


def privilege_warnings(ledger: Ledger) -> list[str]:
    """On PostgreSQL, warn when the role could change history behind the triggers' back."""
    if ledger.engine is None or ledger.engine.dialect.name != "postgresql":
        return []
    from ledger.store.sql.privileges import risky_privileges

    return risky_privileges(ledger.engine)


def describe_ledger(ledger: Ledger) -> dict[str, Any]:
    """Facts about an open ledger for `ledger info` (the URL with its password hidden)."""
    from ledger.domain.time import format_instant
    from ledger.store.sql.migrate import HEAD

    head = ledger.store.head()
    facts: dict[str, Any] = {
        "database": ledger.url,
        "engine": ledger.engine.dialect.name if ledger.engine is not None else "memory",
        "schema_revision": HEAD if ledger.engine is not None else None,
        "events": head.position,
        "head_hash": head.hash,
        "head_recorded_at": None if head.recorded_at is None else format_instant(head.recorded_at),
    }
    if ledger.snapshots is not None:
        start, done = ledger.snapshots.catch_up()
        facts["claims"] = ledger.snapshots.count()
        facts["projection_checkpoint"] = done
    return facts


def verify(
    ledger: Ledger,
    *,
    digest: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """`ledger verify` as one JSON object: ok, the digest P:H, what was checked, the breaks."""
    from ledger.domain.errors import LedgerError
    from ledger.verify import parse_digest

    expected = None
    if digest is not None:
        try:
            expected = parse_digest(digest)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
    warnings = privilege_warnings(ledger)
    tick = None if progress is None else (lambda n: progress(n, None))
    found = verify_ledger(ledger, digest=expected, progress=tick)
    copies, evidence_breaks = _verify_evidence(ledger)
    # Beyond the chain: future times and the witness (breaks, by position), the triggers and
    # the projections (problems, by name); see service/coverage.py.
    chain_breaks: list[dict[str, Any]] = []
    problems: list[str] = []
    if ledger.engine is not None:
        from ledger.service.coverage import check_beyond_chain

        check_beyond_chain(ledger, found, chain_breaks, problems, warnings)
    return {
        "ok": found.ok and not evidence_breaks and not chain_breaks and not problems,
        "problems": problems,
        "checked": found.checked,
        "digest": found.digest,
        "digest_checked": found.digest_checked,
        "breaks": [{"position": b.position, "reason": b.reason} for b in found.breaks]
        + chain_breaks
        + evidence_breaks,
        "evidence_checked": copies,
        "warnings": warnings,
    }


def _verify_evidence(ledger: Ledger) -> tuple[int, list[dict[str, Any]]]:
    """Every archived copy re-hashed, and every event's copy present (see service/evidence)."""
    from ledger.service.evidence import verify_evidence

    return verify_evidence(ledger)


def replay(
    ledger: Ledger, *, progress: Callable[[int, int | None], None] | None = None
) -> dict[str, Any]:
    """Rebuild the projection tables from the log."""
    head = ledger.store.head().position
    if ledger.snapshots is None:
        return {"events": head, "claims": None, "rebuilt": False}
    claims = ledger.snapshots.rebuild(progress)
    return {"events": head, "claims": claims, "rebuilt": True}
