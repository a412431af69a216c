"""Verifying the log: the hash chain and the invariants, recomputed from rows as read back."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.codec import chained_hash, hash_of
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


@dataclass(slots=True)
class ChainState:
    """Where a check of the log stands: what the next event must link to and continue."""

    expected_position: int = 1
    prev_hash: str = ZERO_HASH
    prev_recorded: int | None = None
    versions: dict[str, int] = field(default_factory=dict)
    checked: int = 0
    digest_seen: bool = False


def verify_events(
    events: Iterable[StoredEvent],
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check positions, links, hashes, versions and time order; stop at the first break."""
    state = ChainState()
    found = check_events(events, state, digest=digest, progress=progress)
    return report(state, found, digest)


def check_events(
    events: Iterable[StoredEvent],
    state: ChainState,
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Break | None:
    """Continue the check from `state` over `events`; the first break, or None."""
    e: StoredEvent | None = None
    try:
        for e in events:
            found = _step(e, state, digest)
            if found is not None:
                return found
            e = None
            if progress is not None and state.checked % 10_000 == 0:
                progress(state.checked)
    except _CORRUPTION as exc:
        # Raised reading a row (e is None: its JSON did not decode) or checking it: the same
        # break `check_rows` names.
        row = None if e is None else tuple(getattr(e, f.name) for f in dataclasses.fields(e))
        return corrupted_row(row, state.expected_position, exc)
    return None


def report(state: ChainState, found: Break | None, digest: tuple[int, str] | None) -> VerifyReport:
    """The verdict once the check stopped: at `found`, or at the end of the log."""
    breaks = [] if found is None else [found]
    if digest is not None and digest[0] == 0 and not breaks:
        # The empty prefix: every log extends it, and its hash is the chain's start.
        if digest[1] != ZERO_HASH:
            breaks.append(Break(0, "the digest names position 0 with a hash other than the "
                                   "empty log's (64 zeros): it was not printed by verify"))
    elif digest is not None and not state.digest_seen and not breaks:
        breaks.append(
            Break(
                state.expected_position,
                f"the digest names position {digest[0]} but the log ends at "
                f"{state.expected_position - 1}: events were removed",
            )
        )
    return VerifyReport(
        checked=state.checked,
        head_position=state.expected_position - 1,
        head_hash=state.prev_hash,
        breaks=tuple(breaks),
        digest_checked=digest is not None,
    )


def _step(e: StoredEvent, state: ChainState, digest: tuple[int, str] | None) -> Break | None:
    """Check one event against `state` and advance it; the break it makes, or None."""
    problem = _check(
        e, state.expected_position, state.prev_hash, state.prev_recorded, state.versions
    )
    if problem:
        # A missing or misplaced row is reported where the log stops being whole.
        return Break(min(e.position, state.expected_position), problem)
    if digest is not None and e.position == digest[0]:
        state.digest_seen = True
        if e.hash != digest[1]:
            return _digest_differs(e.position, digest)
    state.versions[e.claim_id] = e.version
    state.prev_hash, state.prev_recorded = e.hash, e.recorded_at
    state.expected_position += 1
    state.checked += 1
    return None


def _digest_differs(position: int, digest: tuple[int, str]) -> Break:
    return Break(
        position,
        "the history up to here differs from the digest "
        f"{digest[0]}:{digest[1][:12]}… (rewritten and re-hashed)",
    )


# -- the same check over raw rows ----------------------------------------------------------------

#: What `check_rows` returns for a chunk (`first_versions` given) that fails any condition.
_CHUNK_DIRTY = Break(0, "a check failed inside the chunk")

#: A row as the SQL scan reads it: StoredEvent's fields in order (`StoredEvent(*row)`).
Row = tuple[Any, ...]
Decode = Callable[[Any], Any]


def check_rows(
    rows: Iterable[Row],
    state: ChainState,
    *,
    digest: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    decode: Decode | None = None,
    first_versions: dict[str, int] | None = None,
) -> Break | None:
    """`check_events` over raw rows, without building a StoredEvent per row.

    `decode` turns the JSON columns into values (None: the driver already did). Each row runs
    the conditions of `_check` in its order; only a row that fails one is built into a
    StoredEvent and passed through `_step`, so the break and its message are `_check`'s own.

    `first_versions` (a chunk checked on its own, see `check_chunk`): a claim not yet in
    `state.versions` may start at any version, which is recorded there for the caller to
    compare with the versions before the chunk.
    """
    expected = state.expected_position
    prev_hash = state.prev_hash
    prev_recorded = state.prev_recorded
    versions = state.versions
    checked = state.checked
    digest_position = None if digest is None else digest[0]
    row: Row | None = None
    position: Any = None
    try:
        for row in rows:
            (position, event_id, type_, claim_id, version, schema_version, occurred_from,
             occurred_to, recorded_at, data, metadata, salt, row_prev, row_hash) = row  # fmt: skip
            if decode is not None:
                # Most events carry no metadata: `{}` needs no parser.
                data = decode(data)
                metadata = {} if metadata == "{}" else decode(metadata)
            last = versions.get(claim_id)
            if last is None:
                if first_versions is None:
                    last = 0
                else:
                    first_versions[claim_id] = version
                    last = version - 1
            if (
                position != expected
                or row_prev != prev_hash
                or chained_hash(
                    row_prev, event_id, type_, claim_id, version, position, schema_version,
                    occurred_from, occurred_to, recorded_at, salt, data, metadata,
                ) != row_hash  # fmt: skip
                or version != last + 1
                or (prev_recorded is not None and recorded_at < prev_recorded)
                or occurred_to < occurred_from
            ):
                if first_versions is not None:
                    return _CHUNK_DIRTY
                state.expected_position, state.prev_hash = expected, prev_hash
                state.prev_recorded, state.checked = prev_recorded, checked
                event = StoredEvent(
                    position, event_id, type_, claim_id, version, schema_version,
                    occurred_from, occurred_to, recorded_at, data, metadata, salt, row_prev,
                    row_hash,
                )  # fmt: skip
                found = _step(event, state, digest)
                if found is not None:
                    return found
                # Unreachable while the conditions above mirror _check; if they ever drift,
                # _step's verdict (here: no break) is the one that counts.
                expected, prev_hash = state.expected_position, state.prev_hash
                prev_recorded, checked = state.prev_recorded, state.checked
                continue
            if position == digest_position:
                state.digest_seen = True
                assert digest is not None
                if row_hash != digest[1]:
                    return _digest_differs(position, digest)
            versions[claim_id] = version
            prev_hash, prev_recorded = row_hash, recorded_at
            expected += 1
            checked += 1
            if progress is not None and checked % 10_000 == 0:
                progress(checked)
    except _CORRUPTION as exc:
        # A value no ledger writes (a REAL time, data that is not JSON): named where it is.
        if first_versions is not None:
            return _CHUNK_DIRTY
        return corrupted_row(row if position == expected else None, expected, exc)
    finally:
        state.expected_position, state.prev_hash = expected, prev_hash
        state.prev_recorded, state.checked = prev_recorded, checked
    return None


#: What a value of the wrong type makes hashing or decoding raise.
_CORRUPTION = (TypeError, ValueError, OverflowError, AttributeError, KeyError, UnicodeError)

_INT_FIELDS = (
    "position", "version", "schema_version", "occurred_from", "occurred_to", "recorded_at",
)
_TEXT_FIELDS = ("event_id", "type", "claim_id", "salt", "prev_hash", "hash")


def corrupted_row(row: Row | None, position: int, exc: BaseException) -> Break:
    """The break for a row that could not even be checked: which value is wrong, if known."""
    names = [f.name for f in dataclasses.fields(StoredEvent)]
    if row is not None and len(row) == len(names):
        for name, value in zip(names, row):
            if name in _INT_FIELDS and type(value) is not int:
                return Break(position, f"{name} holds {_shown(value)}, not an integer: the row "
                                       "was changed outside the ledger")
            if name in _TEXT_FIELDS and type(value) is not str:
                return Break(position, f"{name} holds {_shown(value)}, not text: the row was "
                                       "changed outside the ledger")
    if "JSONDecode" in type(exc).__name__:
        return Break(position, "data or metadata is not valid JSON: the row was changed "
                               "outside the ledger")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Break(position, f"a stored value is corrupted ({reason[:120]}): the row was changed "
                           "outside the ledger")


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"


@dataclass(frozen=True, slots=True)
class ChunkSummary:
    """One stretch of the log checked on its own, for `continue_with` to join to the rest.

    Everything that needs no earlier event is checked: positions follow each other, each
    prev_hash links to the row before, hashes, versions after a claim's first row here, time
    order, the digest. What needs earlier events is kept for `continue_with`: the first row's
    position, prev_hash and recorded_at, and each claim's version at its first row here.
    """

    clean: bool
    count: int
    first: tuple[Any, Any, Any] | None  # position, prev_hash, recorded_at of the first row
    first_versions: dict[str, int]
    end: ChainState  # the state after the last row (versions: the last one of each claim)


def check_chunk(
    rows: Iterable[Row], *, digest: tuple[int, str] | None = None, decode: Decode | None = None
) -> ChunkSummary:
    """Check a stretch of rows without the state before it (a worker's share of verify)."""
    it = iter(rows)
    first_row = next(it, None)
    if first_row is None:
        return ChunkSummary(True, 0, None, {}, ChainState())
    state = ChainState(expected_position=first_row[0], prev_hash=first_row[12])
    first_versions: dict[str, int] = {}
    found = check_rows(
        itertools.chain((first_row,), it),
        state,
        digest=digest,
        decode=decode,
        first_versions=first_versions,
    )
    first = (first_row[0], first_row[12], first_row[8])
    return ChunkSummary(found is None, state.checked, first, first_versions, state)


def continue_with(state: ChainState, chunk: ChunkSummary) -> bool:
    """Join a clean chunk that follows `state`; False (state untouched) when it does not fit.

    It fits when checking its rows one by one from `state` would find no break: then the
    state after it is the chunk's own end, with the versions merged.
    """
    if not chunk.clean or chunk.first is None:
        return False
    position, prev_hash, recorded_at = chunk.first
    if position != state.expected_position or prev_hash != state.prev_hash:
        return False
    if state.prev_recorded is not None and recorded_at < state.prev_recorded:
        return False
    versions = state.versions
    for claim_id, version in chunk.first_versions.items():
        if version != versions.get(claim_id, 0) + 1:
            return False
    end = chunk.end
    versions.update(end.versions)
    state.expected_position, state.prev_hash = end.expected_position, end.prev_hash
    state.prev_recorded = end.prev_recorded
    state.checked += end.checked
    state.digest_seen = state.digest_seen or end.digest_seen
    return True


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
