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
from ledger.domain.model import Prepared
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
    own_texts,
    rewritten_streams,
    tokens,
)

# PostgreSQL keeps the folded words (what to_tsvector sees) so both engines split text alike;
# a chunk of rows is one statement, its columns as arrays (one round trip, not one a row).
_PG_INSERT_ROWS = (
    "INSERT INTO search_rows (id, source, field, item, valid_from, valid_to, occurred_from, "
    "occurred_to, tsv) SELECT a, b, c, d, e, f, g, h, to_tsvector('english', w) FROM "
    "unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::integer[], %s::bigint[], "
    "%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]) AS u(a, b, c, d, e, f, g, h, w)"
)
_SQLITE_INSERT = (
    "INSERT INTO search_rows (id, source, field, item, valid_from, valid_to, occurred_from, "
    "occurred_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_FTS_INSERT = "INSERT INTO search_fts (rowid, text) VALUES (?, ?)"
# Most rows are their event's own text, current: the id, the field and its array index; the
# rest NULL (the event's own position and interval).
_SQLITE_INSERT_PLAIN = "INSERT INTO search_rows (id, field, item) VALUES (?, ?, ?)"
# PostgreSQL: one statement per chunk, its columns as arrays: one round trip, not one a row.
_PG_INSERT_PLAIN = (
    "INSERT INTO search_rows (id, field, item, tsv) SELECT i, f, n, to_tsvector('english', w) "
    "FROM unnest(%s::bigint[], %s::smallint[], %s::integer[], %s::text[]) AS u(i, f, n, w)"
)
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


def index_events(
    dbapi: Any, dialect: str, events: Sequence[Any], prepared: Sequence[Prepared | None] = ()
) -> None:
    """Index newly stored events inside the caller's (append) transaction (`prepared`: beside
    each event, its own texts as an import's worker found them, when it did)."""
    if not events:
        return
    rewritten = rewritten_streams(events)
    cur = dbapi.cursor()
    try:

        def claim_events(claim_id: str) -> list[LogRow]:
            cur.execute(_CLAIM[dialect], (claim_id,))
            return [_log_row(r) for r in cur.fetchall()]

        # Nearly every event only adds its own texts: their parameters are written straight
        # from its data (what `plan_index` would derive, without a Row per text).
        ready = prepared or [None] * len(events)
        own = list(zip(events, ready, strict=True))
        if rewritten:
            own = [(e, p) for e, p in own if e.claim_id not in rewritten]
        for i in range(0, len(own), _CHUNK):
            _insert_own(cur, dialect, own[i : i + _CHUNK])
        if rewritten:
            changed = [e for e in events if e.claim_id in rewritten]
            _apply(cur, dialect, plan_index(changed, claim_events))
    finally:
        cur.close()


def _insert_own(cur: Any, dialect: str, events: Sequence[tuple[Any, Prepared | None]]) -> None:
    rows: list[tuple[int, int, int | None]] = []
    texts: list[tuple[int, str]] = []
    for e, ready in events:
        base = e.position << SEQ_BITS
        own = ready.texts if ready is not None else None
        if own is None:
            own = own_texts(e.type, e.data)
        for seq, (code, item, text) in enumerate(own):
            rows.append((base | seq, code, item))
            texts.append((base | seq, text))
    if not rows:
        return
    if dialect == "sqlite":
        cur.executemany(_SQLITE_INSERT_PLAIN, rows)
        cur.executemany(_SQLITE_FTS_INSERT, texts)
    else:
        ids, fields, items = (list(column) for column in zip(*rows))
        words = [" ".join(tokens(text)) for _, text in texts]
        cur.execute(_PG_INSERT_PLAIN, (ids, fields, items, words), prepare=False)


def _apply(cur: Any, dialect: str, plan: Plan) -> None:
    for i in range(0, len(plan.inserts), _CHUNK):
        chunk = plan.inserts[i : i + _CHUNK]
        if dialect == "sqlite":
            plain = [r for r in chunk if _plain(r)]
            if plain:
                cur.executemany(
                    _SQLITE_INSERT_PLAIN, [(r.id, FIELD_CODES[r.field], r.item) for r in plain]
                )
            if len(plain) < len(chunk):
                cur.executemany(_SQLITE_INSERT, [stored_columns(r) for r in chunk if not _plain(r)])
            cur.executemany(_SQLITE_FTS_INSERT, [(r.id, r.text) for r in chunk])
        else:
            columns = [list(c) for c in zip(*(stored_columns(r) for r in chunk))]
            words = [" ".join(tokens(r.text)) for r in chunk]
            cur.execute(_PG_INSERT_ROWS, (*columns, words), prepare=False)
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


# The statements below are spelled out as constants (no SQL is built at run time). The JSON
# path of a row's text follows search_index.FIELD_NAMES; a test holds each path equal to the
# one `_path_sqlite` / `_path_pg` derive from it, and SEQ_BITS (20) is written in as `>> 20`.
_PATH_SQLITE = (
    "(CASE WHEN r.source IS NULL THEN '$.' ELSE '$.changes.' END) || (CASE r.field WHEN 0 "
    "THEN 'statement' WHEN 1 THEN 'quote' WHEN 2 THEN 'reason' WHEN 3 THEN 'note' WHEN 4 THEN "
    "'evidence' WHEN 5 THEN 'claimant' WHEN 6 THEN 'denier' WHEN 7 THEN 'corroborator' WHEN 8 "
    "THEN 'retractor' WHEN 9 THEN 'resolver' WHEN 10 THEN 'threatened_by' WHEN 11 THEN "
    "'imposed_by' WHEN 12 THEN 'target' WHEN 13 THEN 'attributed_to' WHEN 14 THEN 'origin' "
    "WHEN 15 THEN 'authority' WHEN 16 THEN 'condition' WHEN 17 THEN 'measures' WHEN 18 THEN "
    "'name' WHEN 19 THEN 'alias' WHEN 20 THEN 'affiliation' WHEN 21 THEN 'aliases[' || r.item "
    "|| ']' WHEN 22 THEN 'source.name' END)"
)
_PATH_PG = (
    "(CASE WHEN r.source IS NULL THEN ARRAY[]::text[] ELSE ARRAY['changes'] END) || (CASE "
    "r.field WHEN 0 THEN ARRAY['statement'] WHEN 1 THEN ARRAY['quote'] WHEN 2 THEN "
    "ARRAY['reason'] WHEN 3 THEN ARRAY['note'] WHEN 4 THEN ARRAY['evidence'] WHEN 5 THEN "
    "ARRAY['claimant'] WHEN 6 THEN ARRAY['denier'] WHEN 7 THEN ARRAY['corroborator'] WHEN 8 "
    "THEN ARRAY['retractor'] WHEN 9 THEN ARRAY['resolver'] WHEN 10 THEN "
    "ARRAY['threatened_by'] WHEN 11 THEN ARRAY['imposed_by'] WHEN 12 THEN ARRAY['target'] "
    "WHEN 13 THEN ARRAY['attributed_to'] WHEN 14 THEN ARRAY['origin'] WHEN 15 THEN "
    "ARRAY['authority'] WHEN 16 THEN ARRAY['condition'] WHEN 17 THEN ARRAY['measures'] WHEN "
    "18 THEN ARRAY['name'] WHEN 19 THEN ARRAY['alias'] WHEN 20 THEN ARRAY['affiliation'] WHEN "
    "21 THEN ARRAY['aliases', r.item::text] WHEN 22 THEN ARRAY['source', 'name'] END)"
)
_TIMELESS = (
    "('ActorAliased', 'ActorRegistered', 'ActorUnaliased', 'RecordCorrected', 'RecordVoided')"
)
#: The view FTS5 reads each row's text from (the migration creates it).
SQLITE_CONTENT_VIEW = (
    "CREATE VIEW search_content AS SELECT r.id AS id, json_extract(e.data, " + _PATH_SQLITE
    + ") AS text FROM search_rows r JOIN events e ON e.position = coalesce(r.source, r.id >> 20)"
)
# One statement per engine: a filter that is not asked for gets NULL (or 0) and switches its
# condition off. The events join is always made: the page is ranked over every hit anyway.
_SQLITE_SEARCH = (
    "SELECT r.id, -bm25(search_fts) AS rank FROM search_fts "
    "JOIN search_rows r ON r.id = search_fts.rowid JOIN events e ON e.position = (r.id >> 20) "
    "WHERE search_fts MATCH :q AND "
    "coalesce(r.valid_from, r.id >> 20) <= :p AND (r.valid_to IS NULL OR r.valid_to > :p) "
    "AND (:e IS NULL OR e.type IN " + _TIMELESS + " OR coalesce(r.occurred_from, "
    "e.occurred_from) < :e) AND (:certain = 0 OR :e IS NULL OR e.type IN " + _TIMELESS
    + " OR coalesce(r.occurred_to, e.occurred_to) <= :e) AND (:c IS NULL OR e.claim_id = :c) "
    "AND (:t IS NULL OR e.type = :t) ORDER BY rank DESC, r.id LIMIT :l OFFSET :o"
)
_PG_SEARCH = (
    "SELECT r.id, ts_rank_cd(r.tsv, to_tsquery('english', %(q)s)) AS rank FROM search_rows r "
    "JOIN events e ON e.position = (r.id >> 20) "
    "WHERE r.tsv @@ to_tsquery('english', %(q)s) AND "
    "coalesce(r.valid_from, r.id >> 20) <= %(p)s "
    "AND (r.valid_to IS NULL OR r.valid_to > %(p)s) "
    "AND (%(e)s::bigint IS NULL OR e.type IN " + _TIMELESS + " OR coalesce(r.occurred_from, "
    "e.occurred_from) < %(e)s) AND (%(certain)s = 0 OR %(e)s::bigint IS NULL OR e.type IN "
    + _TIMELESS + " OR coalesce(r.occurred_to, e.occurred_to) <= %(e)s) "
    "AND (%(c)s::text IS NULL OR e.claim_id = %(c)s) "
    "AND (%(t)s::text IS NULL OR e.type = %(t)s) "
    "ORDER BY rank DESC, r.id LIMIT %(l)s OFFSET %(o)s"
)


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


def _tsquery(query: Query) -> str:
    """The tsquery text of a query: words quoted (tokens are letters and digits only),
    phrases joined by `<->`, a prefix as `:*`, terms by `&`, alternatives by `|`.

    `to_tsquery('english', ...)` stems each word as `phraseto_tsquery` would, and drops stop
    words from a phrase keeping the distance, so one parameter carries the whole query.
    """
    def term(t: Any) -> str:
        words = [f"'{w}'" for w in t.words]
        if t.prefix:
            words[-1] += ":*"
        return "(" + " <-> ".join(words) + ")"

    return " | ".join("(" + " & ".join(term(t) for t in alt) + ")" for alt in query)


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
    params: dict[str, Any] = {
        "q": _fts5(query) if sqlite else _tsquery(query),
        "p": position, "e": as_of, "certain": 1 if certain else 0, "c": claim_id, "t": type,
        "l": (-1 if sqlite else None) if limit is None else limit, "o": offset,
    }
    sql = _SQLITE_SEARCH if sqlite else _PG_SEARCH
    cur = dbapi.cursor()
    try:
        found = _run(cur, sql, params)
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
    "JOIN events e ON e.position = (r.id >> 20) "
    "WHERE r.id IN (SELECT value FROM json_each(?))"
)
_SQLITE_SNIPPETS = (
    "SELECT rowid, snippet(search_fts, 0, '[', ']', '…', 24) FROM search_fts "
    "WHERE search_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))"
)
_PG_DETAILS = (
    "SELECT r.id, e.event_id, e.claim_id, e.type, r.field, "
    "ts_headline('english', s.data #>> (" + _PATH_PG + "), to_tsquery('english', %(q)s), "
    "'StartSel=[, StopSel=], MinWords=20, MaxWords=40') "
    "FROM search_rows r JOIN events e ON e.position = (r.id >> 20) "
    "JOIN events s ON s.position = coalesce(r.source, r.id >> 20) WHERE r.id = ANY(%(ids)s)"
)


def _details(cur: Any, dialect: str, query: Query, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Event ids, claims, types and marked snippets of one page of hits only."""
    if dialect == "sqlite":
        cur.execute(_SQLITE_DETAILS, (orjson.dumps(ids).decode(),))
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute(_SQLITE_SNIPPETS, (_fts5(query), orjson.dumps(ids).decode()))
        snippets = dict(cur.fetchall())
    else:
        cur.execute(_PG_DETAILS, {"ids": ids, "q": _tsquery(query)})
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
