"""The basis a question is asked at: `--as-of` / `--known-at` text resolved against one log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.errors import InvalidInput
from ledger.domain.model import Head
from ledger.domain.time import format_instant, parse_cutoff
from ledger.store.port import EventStore


@dataclass(frozen=True, slots=True)
class Basis:
    """The pair of cut-offs a question is asked at, resolved against one log."""

    as_of: int | None  # exclusive world-time instant E, or None
    known_at: int | None  # exclusive ledger-time instant, or None (head or @N)
    position: int  # P: the last visible position
    head_hash: str  # the chain's hash at P
    certain: bool = False
    known_at_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else format_instant(self.as_of - 1),
            "known_at": None if self.known_at is None else format_instant(self.known_at - 1),
            "certain": self.certain,
            "position": self.position,
            "head_hash": self.head_hash,
        }

    def describe(self) -> str:
        parts = []
        if self.as_of is not None:
            parts.append(f"as of {format_instant(self.as_of - 1)}")
        if self.known_at_text is not None:
            parts.append(f"known at {self.known_at_text}")
        parts.append(f"position {self.position}")
        if self.certain:
            parts.append("certain only")
        return ", ".join(parts)


def resolve_basis(
    store: EventStore,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    certain: bool = False,
    tz: ZoneInfo | None = None,
) -> Basis:
    """Turn `--as-of` / `--known-at` text into a Basis (E, P and the head hash at P)."""
    as_of_e = None if as_of is None else cutoff(as_of, tz, field="as_of")
    head = store.head()
    known_e: int | None = None
    at: Head | None = None  # the head at the basis's position, when a read found it already
    if known_at is None:
        position = head.position
    elif known_at.startswith("@"):
        digits = known_at[1:]
        if not digits.isdigit():
            raise InvalidInput(
                f"'{known_at}' is not a position: write @N with N a whole number, e.g. @42",
                field="known_at",
            )
        position = int(digits)
        if position > head.position:
            raise InvalidInput(
                f"position @{position} is beyond the head of the log (@{head.position})",
                field="known_at",
            )
    else:
        known_e = cutoff(known_at, tz, field="known_at")
        at = store.head_before(known_e)
        position = at.position
    if position == head.position:
        head_hash = head.hash
    else:
        head_hash = (at if at is not None else store.head_at(position)).hash
    return Basis(
        as_of=as_of_e,
        known_at=known_e,
        position=position,
        head_hash=head_hash,
        certain=certain,
        known_at_text=known_at,
    )


def cutoff(text: str, tz: ZoneInfo | None, *, field: str) -> int:
    """`parse_cutoff`, but a date written day/month/year is named as what it is."""
    if "/" in text and not _iso_interval(text, tz):
        raise InvalidInput(
            f"'{text}' is not an ISO 8601 date or time: write it year first, YYYY-MM-DD "
            "(e.g. 2023-10-17), or 2023-10, 2023, 2023-10-17T18:59Z",
            field=field,
        )
    return parse_cutoff(text, tz, field=field)


def _iso_interval(text: str, tz: ZoneInfo | None) -> bool:
    from ledger.domain.time import parse_occurred

    try:
        parse_occurred(text, tz)
    except InvalidInput:
        return False
    return True


def parse_basis_spec(text: str) -> dict[str, Any]:
    """`2023-11-10`, `@42`, `head`, or `as-of=T,known-at=T|@N,certain` into resolve_basis kwargs."""
    spec: dict[str, Any] = {"as_of": None, "known_at": None, "certain": False}
    text = text.strip()
    if text in ("", "head", "now"):
        return spec
    for part in (p.strip() for p in text.split(",")):
        name, sep, value = part.partition("=")
        if part == "certain":
            spec["certain"] = True
        elif sep and name in ("as-of", "as_of"):
            spec["as_of"] = value
        elif sep and name in ("known-at", "known_at"):
            spec["known_at"] = value
        elif not sep and part.startswith("@"):
            spec["known_at"] = part
        elif not sep:
            spec["as_of"] = part
        else:
            raise InvalidInput(
                f"'{part}' is not part of a basis: write a world time (2023-11-10), a position "
                "(@42), or as-of=T,known-at=T|@N,certain",
                field="basis",
            )
    return spec
