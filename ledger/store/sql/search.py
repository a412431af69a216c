"""The full-text index in the database: kept in the append's transaction, asked at a basis.

SQLite: `search_rows` (the bitemporal rows of ledger/store/search_index.py) and an FTS5 table
whose external content is a view reading each text back out of the event that holds it, so the
text itself is stored once, in `events`. PostgreSQL: the same rows with a `tsvector` column and
a GIN index. Statements run on the DBAPI connection they are given (the writer's transaction,
or a reader's connection); every text is built from constant fragments, values are parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import orjson

from ledger.domain.errors import InvalidInput
from ledger.store.search_index import (
    ARRAY_FIELDS,
    FIELD_CODES,
    FIELD_NAMES,
    SEQ_BITS,
    SOURCE_FIELD,
    TIMELESS_TYPES,
    Plan,
    Query,
    Row,
    claim_rows,
    plan_index,
    tokens,
)

# PostgreSQL keeps the folded words (what to_tsvector sees) so both engines split text alike.
_PG_INSERT = (
    "INSERT INTO search_rows (id, source, field, item, valid_from, valid_to, occurred_from, "
    "occurred_to, tsv) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, to_tsvector('english', %s))"
)
_SQLITE_INSERT = (
    "INSERT INTO search_rows (id, source, field, item, valid_from, valid_to, occurred_from, "
    "occurred_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_FTS_INSERT = "INSERT INTO search_fts (rowid, text) VALUES (?, ?)"
# Most rows are their event's own text, current: two columns, the rest NULL.
_SQLITE_INSERT_PLAIN = "INSERT INTO search_rows (id, field) VALUES (?, ?)"
_CLOSE = {"sqlite": "UPDATE search_rows SET valid_to = ? WHERE id = ?",
          "postgresql": "UPDATE search_rows SET valid_to = %s WHERE id = %s"}
_EVENT_COLUMNS = "position, event_id, type, claim_id, occurred_from, occurred_to, data"
_CLAIM = {
    "sqlite": f"SELECT {_EVENT_COLUMNS} FROM events WHERE claim_id = ? ORDER BY version",
    "postgresql": f"SELECT {_EVENT_COLUMNS} FROM events WHERE claim_id = %s ORDER BY version",
}
_ALL = f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY claim_id, version"
_CHUNK = 5_000


class LogRow(NamedTuple):
    """The fields of an event the index is derived from."""

    position: int
    event_id: str
    type: str
    claim_id: str
    occurred_from: int
    occurred_to: int
    data: dict[str, Any]


def _log_row(row: Sequence[Any]) -> LogRow:
    data = row[6]
    decoded = orjson.loads(data) if isinstance(data, (str, bytes)) else data
    return LogRow(row[0], row[1], row[2], row[3], row[4], row[5], decoded)


# -- writing ---------------------------------------------------------------------------------


def index_events(dbapi: Any, dialect: str, events: Sequence[Any]) -> None:
    """Index newly stored events inside the caller's (append) transaction."""
    if not events:
        return
    cur = dbapi.cursor()
    try:

        def claim_events(claim_id: str) -> list[LogRow]:
            cur.execute(_CLAIM[dialect], (claim_id,))
            return [_log_row(r) for r in cur.fetchall()]

        _apply(cur, dialect, plan_index(events, claim_events))
    finally:
        cur.close()


def _apply(cur: Any, dialect: str, plan: Plan) -> None:
    for i in range(0, len(plan.inserts), _CHUNK):
        chunk = plan.inserts[i : i + _CHUNK]
        if dialect == "sqlite":
            plain = [r for r in chunk if _plain(r)]
            if plain:
                cur.executemany(_SQLITE_INSERT_PLAIN, [(r.id, FIELD_CODES[r.field]) for r in plain])
            if len(plain) < len(chunk):
                cur.executemany(_SQLITE_INSERT, [stored_columns(r) for r in chunk if not _plain(r)])
            cur.executemany(_SQLITE_FTS_INSERT, [(r.id, r.text) for r in chunk])
        else:
            cur.executemany(
                _PG_INSERT, [(*stored_columns(r), " ".join(tokens(r.text))) for r in chunk]
            )
    if plan.closes:
        cur.executemany(_CLOSE[dialect], [(valid_to, id_) for id_, valid_to in plan.closes])


def _plain(r: Row) -> bool:
    position = r.id >> SEQ_BITS
    return (r.source == position and r.valid_from == position and r.valid_to is None
            and not r.moved)


def stored_columns(r: Row) -> tuple[Any, ...]:
    """A row as stored: what equals the event's own value (its position as the text's source
    and start of validity, its stored interval) is NULL, which most rows are and costs nothing.
    """
    position = r.id >> SEQ_BITS
    return (
        r.id, None if r.source == position else r.source, FIELD_CODES[r.field], r.item,
        None if r.valid_from == position else r.valid_from, r.valid_to,
        r.occurred_from if r.moved else None, r.occurred_to if r.moved else None,
    )


def _path_sqlite() -> str:
    """The JSON path of a row's text in the event that holds it (SQLite)."""
    names = []
    for code, name in enumerate(FIELD_NAMES):
        if name in ARRAY_FIELDS:
            names.append(f"WHEN {code} THEN '{name}[' || r.item || ']'")
        elif name == SOURCE_FIELD:
            names.append(f"WHEN {code} THEN '{name}.name'")
        else:
            names.append(f"WHEN {code} THEN '{name}'")
    return ("(CASE WHEN r.source IS NULL THEN '$.' ELSE '$.changes.' END) || "
            "(CASE r.field " + " ".join(names) + " END)")


def _path_pg() -> str:
    """The same path as a text[] for `#>>` (PostgreSQL)."""
    names = []
    for code, name in enumerate(FIELD_NAMES):
        if name in ARRAY_FIELDS:
            names.append(f"WHEN {code} THEN ARRAY['{name}', r.item::text]")
        elif name == SOURCE_FIELD:
            names.append(f"WHEN {code} THEN ARRAY['{name}', 'name']")
        else:
            names.append(f"WHEN {code} THEN ARRAY['{name}']")
    return ("(CASE WHEN r.source IS NULL THEN ARRAY[]::text[] ELSE ARRAY['changes'] END) || "
            "(CASE r.field " + " ".join(names) + " END)")


_TEXT_SOURCE = f"coalesce(r.source, r.id >> {SEQ_BITS})"
#: The view FTS5 reads each row's text from (the migration creates it).
SQLITE_CONTENT_VIEW = (
    f"CREATE VIEW search_content AS SELECT r.id AS id, json_extract(e.data, {_path_sqlite()}) "
    f"AS text FROM search_rows r JOIN events e ON e.position = {_TEXT_SOURCE}"
)
_TIMELESS = "(" + ", ".join(f"'{t}'" for t in sorted(TIMELESS_TYPES)) + ")"


def rebuild_index(dbapi: Any, dialect: str) -> int:
    """Drop every row and derive the index again from the whole log; returns the row count.

    The caller holds the write lock (or runs a migration); the log is read one stream at a
    time in (claim, version) order, so memory stays bounded by the largest stream.
    """
    cur = dbapi.cursor()
    try:
        if dialect == "sqlite":
            cur.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        cur.execute("DELETE FROM search_rows")
        count = 0
        pending: list[Row] = []
        for stream in _streams(dbapi, dialect):
            pending.extend(claim_rows(stream))
            if len(pending) >= _CHUNK:
                _apply(cur, dialect, Plan(pending, []))
                count += len(pending)
                pending = []
        _apply(cur, dialect, Plan(pending, []))
        return count + len(pending)
    finally:
        cur.close()


def _streams(dbapi: Any, dialect: str) -> Iterator[list[LogRow]]:
    # A second cursor reads while the first writes; on PostgreSQL a named (server-side)
    # cursor streams instead of fetching the whole log at once.
    reader = dbapi.cursor() if dialect == "sqlite" else dbapi.cursor(name="search_rebuild")
    try:
        reader.execute(_ALL)
        stream: list[LogRow] = []
        while rows := reader.fetchmany(_CHUNK):
            for raw in rows:
                row = _log_row(raw)
                if stream and stream[-1].claim_id != row.claim_id:
                    yield stream
                    stream = []
                stream.append(row)
        if stream:
            yield stream
    finally:
        reader.close()


# -- asking ----------------------------------------------------------------------------------


def _fts5(query: Query) -> str:
    """FTS5 MATCH text: every word quoted (tokens are letters and digits only)."""

    def term(t: Any) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    return " OR ".join("(" + " AND ".join(term(t) for t in alt) + ")" for alt in query)


def _tsquery(query: Query, params: dict[str, Any]) -> str:
    """A tsquery expression from constant fragments; the words travel as parameters."""
    alternatives = []
    for alt in query:
        parts = []
        for t in alt:
            n = len(params)
            words = t.words[:-1] if t.prefix else t.words
            pieces = []
            if words:
                params[f"w{n}"] = " ".join(words)
                pieces.append(f"phraseto_tsquery('english', %(w{n})s)")
            if t.prefix:
                # Stemmed like a word, as FTS5 does with a prefix, then matched against the
                # beginning of the stored stems.
                params[f"p{n}"] = t.words[-1] + ":*"
                pieces.append(f"to_tsquery('english', %(p{n})s)")
            parts.append("(" + " <-> ".join(pieces) + ")")
        alternatives.append("(" + " && ".join(parts) + ")")
    return "(" + " || ".join(alternatives) + ")"


def search_index(
    dbapi: Any,
    dialect: str,
    query: Query,
    *,
    position: int,
    as_of: int | None,
    certain: bool,
    claim_id: str | None,
    type: str | None,
    limit: int | None,
    offset: int,
) -> list[dict[str, Any]]:
    """The hits visible at (position, as_of), best first: claim_id, event_id, position, type,
    field, snippet, rank."""
    sqlite = dialect == "sqlite"

    def mark(name: str) -> str:
        return "?" if sqlite else f"%({name})s"

    params: dict[str, Any] = {}
    where = [f"coalesce(r.valid_from, r.id >> {SEQ_BITS}) <= {mark('p')}",
             f"(r.valid_to IS NULL OR r.valid_to > {mark('p')})"]
    order: list[Any] = []
    if sqlite:
        match = _fts5(query)
        head = ("SELECT r.id, -bm25(search_fts) AS rank FROM search_fts "
                "JOIN search_rows r ON r.id = search_fts.rowid ")
        where.insert(0, "search_fts MATCH ?")
        order.append(match)
    else:
        tsq = _tsquery(query, params)
        head = f"SELECT r.id, ts_rank_cd(r.tsv, {tsq}) AS rank FROM search_rows r "
        where.insert(0, f"r.tsv @@ {tsq}")
    order += [position, position]
    params["p"] = position
    if claim_id is not None or type is not None or as_of is not None:
        head += f"JOIN events e ON e.position = (r.id >> {SEQ_BITS}) "
    if as_of is not None:
        # Errata and actor events are never cut by as_of; a moved row has its own interval.
        where.append(f"(e.type IN {_TIMELESS} OR "
                     f"coalesce(r.occurred_from, e.occurred_from) < {mark('e')})")
        order.append(as_of)
        if certain:
            where.append(f"(e.type IN {_TIMELESS} OR "
                         f"coalesce(r.occurred_to, e.occurred_to) <= {mark('e')})")
            order.append(as_of)
        params["e"] = as_of
    if claim_id is not None:
        where.append(f"e.claim_id = {mark('c')}")
        order.append(claim_id)
        params["c"] = claim_id
    if type is not None:
        where.append(f"e.type = {mark('t')}")
        order.append(type)
        params["t"] = type
    sql = head + "WHERE " + " AND ".join(where) + " ORDER BY rank DESC, r.id "
    sql += f"LIMIT {mark('l')} OFFSET {mark('o')}"
    params["l"], params["o"] = (-1 if sqlite else None) if limit is None else limit, offset
    order += [params["l"], offset]
    cur = dbapi.cursor()
    try:
        found = _run(cur, sql, tuple(order) if sqlite else params)
        if not found:
            return []
        ids = [i for i, _ in found]
        details = _details(cur, dialect, query, ids)
    finally:
        cur.close()
    return [{**details[i], "rank": round(float(rank), 6)} for i, rank in found]


def _run(cur: Any, sql: str, params: Any) -> list[Any]:
    try:
        cur.execute(sql, params)
    except Exception as exc:
        # The query text is built from letters and digits only, so this is not expected;
        # should an engine still refuse it, the user sees why, not the SQL.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "fts5" in message or "tsquery" in message or "syntax" in message:
            raise InvalidInput(f"the search engine cannot parse this query: {message}",
                               field="text") from None
        raise
    return cur.fetchall()  # type: ignore[no-any-return]


_SQLITE_DETAILS = (
    "SELECT r.id, e.event_id, e.claim_id, e.type, r.field FROM search_rows r "
    f"JOIN events e ON e.position = (r.id >> {SEQ_BITS}) "
    "WHERE r.id IN (SELECT value FROM json_each(?))"
)
_SQLITE_SNIPPETS = (
    "SELECT rowid, snippet(search_fts, 0, '[', ']', '…', 24) FROM search_fts "
    "WHERE search_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))"
)
_PG_DETAILS = (
    "SELECT r.id, e.event_id, e.claim_id, e.type, r.field, "
    "ts_headline('english', s.data #>> ({path}), {{q}}, "
    "'StartSel=[, StopSel=], MinWords=20, MaxWords=40') "
    "FROM search_rows r JOIN events e ON e.position = (r.id >> {bits}) "
    "JOIN events s ON s.position = {source} WHERE r.id = ANY(%(ids)s)"
).format(path=_path_pg(), bits=SEQ_BITS, source=_TEXT_SOURCE)


def _details(cur: Any, dialect: str, query: Query, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Event ids, claims, types and marked snippets of one page of hits only."""
    if dialect == "sqlite":
        cur.execute(_SQLITE_DETAILS, (orjson.dumps(ids).decode(),))
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute(_SQLITE_SNIPPETS, (_fts5(query), orjson.dumps(ids).decode()))
        snippets = dict(cur.fetchall())
    else:
        params: dict[str, Any] = {"ids": ids}
        cur.execute(_PG_DETAILS.format(q=_tsquery(query, params)), params)
        found = cur.fetchall()
        rows = {r[0]: r[1:5] for r in found}
        snippets = {r[0]: r[5] for r in found}
    return {
        i: {
            "claim_id": rows[i][1],
            "event_id": rows[i][0],
            "position": i >> SEQ_BITS,
            "type": rows[i][2],
            "field": FIELD_NAMES[rows[i][3]],
            "snippet": snippets.get(i),
        }
        for i in ids
    }


# -- on an engine (the full SQL store) ----------------------------------------------------


def search_engine(engine: Any, query: Query, **wanted: Any) -> list[dict[str, Any]]:
    """`search_index` on a pooled connection of the store's engine."""
    from ledger.store.sql.engine import driver_connection

    with driver_connection(engine, single_reads=True) as dbapi:
        return search_index(dbapi, engine.dialect.name, query, **wanted)


def rebuild_engine(engine: Any) -> int:
    """`rebuild_index` under the ledger's write lock, so no append interleaves."""
    from ledger.store.sql.engine import driver_write_transaction

    with driver_write_transaction(engine) as dbapi:
        return rebuild_index(dbapi, engine.dialect.name)
