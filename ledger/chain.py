"""Verifying the log: the hash chain and the invariants, recomputed from rows as read back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.codec import hash_of
from ledger.domain.model import ZERO_HASH, StoredEvent


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the log is not what its chain says."""

    position: int
    reason: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    head_position: int
    head_hash: str
    breaks: tuple[Break, ...]
    digest_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def digest(self) -> str:
        return f"{self.head_position}:{self.head_hash}"


def parse_digest(text: str) -> tuple[int, str]:
    """`P:H` as printed by `ledger verify`."""
    position, sep, digest = text.partition(":")
    if (
        not sep
        or not position.isdigit()
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(f"'{text}' is not a digest: expected POSITION:HASH as `ledger verify` prints")
    return int(position), digest


def verify_events(
    events: Iterable[StoredEvent],
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check positions, links, hashes, versions and time order; stop at the first break."""
    expected_position = 1
    prev_hash = ZERO_HASH
    prev_recorded: int | None = None
    versions: dict[str, int] = {}
    breaks: list[Break] = []
    digest_seen = False
    checked = 0
    for e in events:
        problem = _check(e, expected_position, prev_hash, prev_recorded, versions)
        if problem:
            # A missing or misplaced row is reported where the log stops being whole.
            breaks.append(Break(min(e.position, expected_position), problem))
            break
        if digest is not None and e.position == digest[0]:
            digest_seen = True
            if e.hash != digest[1]:
                breaks.append(
                    Break(
                        e.position,
                        "the history up to here differs from the digest "
                        f"{digest[0]}:{digest[1][:12]}… (rewritten and re-hashed)",
                    )
                )
                break
        versions[e.claim_id] = e.version
        prev_hash, prev_recorded = e.hash, e.recorded_at
        expected_position += 1
        checked += 1
        if progress is not None and checked % 10_000 == 0:
            progress(checked)
    if digest is not None and not digest_seen and not breaks:
        breaks.append(
            Break(
                expected_position,
                f"the digest names position {digest[0]} but the log ends at "
                f"{expected_position - 1}: events were removed",
            )
        )
    return VerifyReport(
        checked=checked,
        head_position=expected_position - 1,
        head_hash=prev_hash,
        breaks=tuple(breaks),
        digest_checked=digest is not None,
    )


def _check(
    e: StoredEvent,
    expected_position: int,
    prev_hash: str,
    prev_recorded: int | None,
    versions: dict[str, int],
) -> str | None:
    if e.position != expected_position:
        return f"expected position {expected_position}, found {e.position} (a gap or a reorder)"
    if e.prev_hash != prev_hash:
        return "prev_hash does not match the hash of the event before it"
    if hash_of(e) != e.hash:
        return "the stored hash does not match the event's content"
    if e.version != versions.get(e.claim_id, 0) + 1:
        return (
            f"claim '{e.claim_id}' jumps to version {e.version} after "
            f"{versions.get(e.claim_id, 0)}"
        )
    if prev_recorded is not None and e.recorded_at < prev_recorded:
        return "recorded_at goes back in time"
    if e.occurred_to < e.occurred_from:
        return "occurred_to is before occurred_from"
    return None
