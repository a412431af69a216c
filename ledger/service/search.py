"""`search`: full-text search over what the ledger held at a basis, ranked, with snippets.

The store's index answers which texts were the record's at the basis position and pass its
as_of rule (ledger/store/search_index.py); only the page of hits asked for is then given its
event ids, snippets and the status of each distinct claim at the same basis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ledger.domain.errors import InvalidInput
from ledger.domain.events import CATALOGUE
from ledger.service.questions import Asker, Basis, resolve_basis
from ledger.store.search_index import Query, parse_query

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

#: The keys of one hit, in the order they are printed.
HIT_KEYS = ("claim_id", "event_id", "position", "type", "field", "snippet", "status", "rank")


def search(
    ledger: Ledger,
    text: str,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    certain: bool = False,
    claim: str | None = None,
    type: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    tz: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """The hits of `text` at the basis, best first; an empty list when nothing matches."""
    query = parse_query(text)
    if type is not None and type not in CATALOGUE:
        raise InvalidInput(
            f"unknown event type '{type}'; expected one of {', '.join(CATALOGUE)}", field="type"
        )
    if limit is not None and limit < 0:
        raise InvalidInput(f"--limit {limit} is negative; give 0 or more", field="limit")
    if offset < 0:
        raise InvalidInput(f"--offset {offset} is negative; give 0 or more", field="offset")
    basis = resolve_basis(ledger.store, as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    if basis.position == 0 or limit == 0:
        return []  # nothing was recorded yet at this basis
    hits = _hits(ledger, query, basis, claim, type, limit, offset)
    asker = Asker(ledger.store, basis, tz, ledger.snapshots)
    statuses: dict[str, str | None] = {}
    for hit in hits:
        claim_id = hit["claim_id"]
        if claim_id not in statuses:
            # Actor streams have no claim status.
            statuses[claim_id] = None if claim_id.startswith("actor:") else asker.status_of(claim_id)
        hit["status"] = statuses[claim_id]
    return [{key: hit[key] for key in HIT_KEYS} for hit in hits]


def _hits(
    ledger: Ledger,
    query: Query,
    basis: Basis,
    claim: str | None,
    type: str | None,
    limit: int | None,
    offset: int,
) -> list[dict[str, Any]]:
    wanted: dict[str, Any] = {
        "position": basis.position, "as_of": basis.as_of, "certain": basis.certain,
        "claim_id": claim, "type": type, "limit": limit, "offset": offset,
    }
    store = ledger.store
    memory = getattr(store, "search_index", None)
    if memory is not None:
        return memory.search(query, **wanted)  # type: ignore[no-any-return]
    from ledger.store.sql import search as sql

    engine = getattr(store, "engine", None)
    if engine is not None:
        return sql.search_engine(engine, query, **wanted)
    # The read-only SQLite reader: its own connection, no SQLAlchemy.
    return sql.search_index(store.conn, "sqlite", query, **wanted)  # type: ignore[attr-defined]


def rebuild_search(ledger: Ledger) -> int | None:
    """Derive the search index again from the whole log (`ledger replay`); its row count."""
    engine = getattr(ledger.store, "engine", None)
    if engine is None:
        return None  # the memory store's index is rebuilt with the store itself
    from ledger.store.sql.search import rebuild_engine

    return rebuild_engine(engine)


def open_existing(db: str | None, *, tz: Any = None) -> Ledger:
    """Open a ledger to search it, never creating one: a read on a wrong path is an error."""
    from ledger.domain.errors import NotFoundError
    from ledger.service.opening import open_ledger, open_reader
    from ledger.store.sql.reader import sqlite_file
    from ledger.store.sql.urls import target

    path = sqlite_file(target(db))
    if path is None:
        return open_ledger(db, create=False, tz=tz)
    if not path.is_file() or path.stat().st_size == 0:
        raise NotFoundError(
            f"no ledger at {path}: point --db at an existing ledger, or create one with "
            f"`ledger init --db {path}`"
        )
    return open_reader(db, tz=tz)
