"""The query string of a page: its basis (`as_of`, `known_at`, `certain`), paging, links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from ledger.service import InvalidInput
from ledger.service.vocabulary import STATUSES

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Basis:
    """A basis as the reader wrote it (the CLI's syntax), before the ledger resolves it."""

    as_of: str | None = None
    known_at: str | None = None
    certain: bool = False

    def kwargs(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "known_at": self.known_at, "certain": self.certain}

    def params(self) -> dict[str, str]:
        """The query parameters that ask at this basis (empty ones left out)."""
        found = {}
        if self.as_of:
            found["as_of"] = self.as_of
        if self.known_at:
            found["known_at"] = self.known_at
        if self.certain:
            found["certain"] = "1"
        return found

    def pinned(self, position: int) -> Basis:
        """The same question with ledger time pinned to position P, re-askable exactly later."""
        return replace(self, known_at=f"@{position}")


def _text(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    return value.strip() if value and value.strip() else None


def basis_of(query: Mapping[str, str]) -> Basis:
    """The basis of `?as_of=&known_at=&certain=1`; a value it cannot read is a bad request."""
    certain = (query.get("certain") or "").strip().lower()
    if certain not in _TRUE + _FALSE:
        raise InvalidInput(f"'{certain}' is not a yes/no value: write certain=1", field="certain")
    return Basis(_text(query, "as_of"), _text(query, "known_at"), certain in _TRUE)


def paging_of(query: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset): limit defaults to 100 and is at most 1000; offset from 0."""
    limit = _whole(query, "limit", DEFAULT_LIMIT)
    offset = _whole(query, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range: use 1 to {MAX_LIMIT}", field="limit")
    return limit, offset


def _whole(query: Mapping[str, str], name: str, default: int) -> int:
    raw = _text(query, name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise InvalidInput(f"'{raw}' is not a whole number", field=name)
    return int(raw)


def text_of(query: Mapping[str, str], name: str) -> str | None:
    """An optional free-text parameter (a filter, a search), stripped; empty means absent."""
    return _text(query, name)


def status_of(query: Mapping[str, str]) -> str | None:
    """The `status` filter of a claim list, one of the statuses of a claim, or None."""
    status = _text(query, "status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"'{status}' is not a status: use one of {', '.join(STATUSES)}", field="status"
        )
    return status


def href(path: str, **params: Any) -> str:
    """`path?params`, leaving out parameters that are None or empty."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(kept)}" if kept else path
