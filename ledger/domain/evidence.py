"""Archived copies named by events: where a digest may stand in an event's data.

A source's `archive` is the lowercase hex sha256 of a copy stored in the ledger; a correction
may give a source a new archive. Pure: finding the digests is all this module does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledger.domain.errors import InvalidInput

SHA256_HEX = frozenset("0123456789abcdef")


def archives_named(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, digest) of every archive an event's data names."""
    source = data.get("source")
    if type(source) is dict and "archive" in source:
        yield "data.source.archive", source["archive"]
    changes = data.get("changes")
    if type(changes) is dict:
        changed = changes.get("source")
        if type(changed) is dict and "archive" in changed:
            yield "data.changes.source.archive", changed["archive"]


def check_digest(value: str) -> str:
    """A sha256 as the ledger writes it: 64 lowercase hex digits (upper case is lowered)."""
    digest = value.strip().lower()
    if len(digest) != 64 or not SHA256_HEX.issuperset(digest):
        raise InvalidInput(
            f"{value[:80]!r} is not a sha256 digest (64 hex digits, as `ledger evidence add` "
            "prints)",
            field="sha256",
        )
    return digest
