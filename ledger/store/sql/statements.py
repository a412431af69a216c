"""The store's hot statements as constant driver SQL, one text per dialect.

Why not Core here: for a one-event append or a one-claim question, SQLAlchemy's per-execution
work (parameter processing, expanding IN lists compiled per call, result proxies) cost more than
SQLite itself. These statements run on the DBAPI connection of a SQLAlchemy transaction, so they
share its lock and snapshot. Every text is a module constant: values always travel as parameters, and
a list of ids is one parameter, so the text never depends on how many ids there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.domain.model import EMPTY_HEAD, Head, Prepared, StoredEvent

COLUMNS = (
    "position, event_id, type, claim_id, version, schema_version, occurred_from, occurred_to, "
    "recorded_at, data, metadata, salt, prev_hash, hash"
)
_SELECT = "SELECT " + COLUMNS + " FROM events "


@dataclass(frozen=True)
class Dialect:
    """The statement texts of one engine (its placeholder and id-list idioms)."""

    name: str
    head: str
    head_at: str
    by_ids: str
    last_versions: str
    voids: str
    claim: str
    claim_up_to: str
    position_before: str
    head_before: str
    linking: str
    insert: str
    state: str
    json_text: bool  # True: JSON columns come back as text (SQLite); False: decoded (psycopg)

    def ids(self, values: Iterable[str]) -> Any:
        """One parameter carrying a list of ids."""
        items = sorted(set(values))
        return orjson.dumps(items).decode() if self.name == "sqlite" else items


# Each text is spelled out per engine (placeholders `?` / `%s`; an id list is one parameter,
# `IN (SELECT value FROM json_each(?))` / `= ANY(%s)`), so every statement is a constant.
_IDS_SQLITE = "IN (SELECT value FROM json_each(?))"
_IDS_PG = "= ANY(%s)"
_HEAD = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
_HEAD_AT = "SELECT position, hash, recorded_at FROM events WHERE position = "
_LAST_VERSIONS = "SELECT claim_id, max(version) FROM events WHERE claim_id "
_VOIDS = "SELECT data FROM events WHERE type = 'RecordVoided' AND claim_id "
# Positions grow with recorded_at, so the newest row before T holds the largest position:
# one probe of the (recorded_at, position) index instead of a range scan.
# An append's reads in one statement (one round trip): the head (kind 0), the last version of
# each named claim (kind 1), and which named event ids are stored (kind 2; their rows are read
# only when there are any, which only a repeated import meets).
_STATE_HEAD = "SELECT 0, position, hash, recorded_at FROM (" + _HEAD + ") h"
_STATE_VERSIONS = " UNION ALL SELECT 1, max(version), claim_id, NULL FROM events WHERE claim_id "
_STATE_IDS = " UNION ALL SELECT 2, position, event_id, NULL FROM events WHERE event_id "
_BEFORE = "SELECT position FROM events WHERE recorded_at < "
_HEAD_BEFORE = "SELECT position, hash, recorded_at FROM events WHERE recorded_at < "
_BEFORE_ORDER = " ORDER BY recorded_at DESC, position DESC LIMIT 1"
_INSERT = "INSERT INTO events (" + COLUMNS + ") VALUES "
# The claims whose links may point at a claim by P: a link naming it, or a correction that
# re-aimed a link at it (the answers at the basis decide). Both probe partial indexes (0008).
_LINKING_SQLITE = (
    "SELECT claim_id FROM events WHERE type = 'ClaimLinked' "
    "AND json_extract(data, '$.other_claim_id') = ? AND position <= ? "
    "UNION SELECT claim_id FROM events WHERE type = 'RecordCorrected' "
    "AND json_extract(data, '$.changes.other_claim_id') = ? AND position <= ?"
)
_LINKING_PG = (
    "SELECT claim_id FROM events WHERE type = 'ClaimLinked' "
    "AND data ->> 'other_claim_id' = %s AND position <= %s "
    "UNION SELECT claim_id FROM events WHERE type = 'RecordCorrected' "
    "AND data -> 'changes' ->> 'other_claim_id' = %s AND position <= %s"
)
#: The rows of every actor stream (`actor:<id>`). Where claim ids sort by code point (SQLite;
#: PostgreSQL in the C collations) a range of the (claim_id, version) index; a linguistic
#: collation ignores ':' when it sorts, so there a LIKE, which reads more but is right.
ACTOR_RANGE = "claim_id >= 'actor:' AND claim_id < 'actor;'"
ACTOR_LIKE = "claim_id LIKE 'actor:%'"
_CODE_POINT_ORDER = (
    "SELECT datcollate, 'actor:zz' < 'actor;' AND 'actor-' < 'actor:' "
    "FROM pg_database WHERE datname = current_database()"
)
_ORDERED: dict[tuple[Any, ...], bool] = {}


def actor_streams_by_range(dbapi_conn: Any, dialect_name: str) -> bool:
    """Whether the actor streams are an index range on this database (see ACTOR_RANGE)."""
    if dialect_name == "sqlite":
        return True  # claim_id has SQLite's BINARY collation
    info = dbapi_conn.info
    key = (info.host, info.port, info.dbname)
    if key not in _ORDERED:
        cur = dbapi_conn.cursor()
        try:
            cur.execute(_CODE_POINT_ORDER)
            collate, ordered = cur.fetchone()
        finally:
            cur.close()
        _ORDERED[key] = bool(ordered) and str(collate).split(".")[0] in ("C", "POSIX")
    return _ORDERED[key]


#: The fold's columns for the driver-cursor reads of the projection (JSON `data` follows).
FOLD_LIST = (
    "position, event_id, type, claim_id, version, schema_version, occurred_from, occurred_to, "
    "recorded_at"
)
#: The actor streams' rows as the projection folds them, per engine and actor condition.
ACTOR_ROWS_SQLITE = (
    "SELECT " + FOLD_LIST + ", data FROM events WHERE " + ACTOR_RANGE + " ORDER BY position"
)
ACTOR_ROWS_PG_RANGE = (
    "SELECT " + FOLD_LIST + ", data::text FROM events WHERE " + ACTOR_RANGE
    + " ORDER BY position"
)
ACTOR_ROWS_PG_LIKE = (
    "SELECT " + FOLD_LIST + ", data::text FROM events WHERE " + ACTOR_LIKE
    + " ORDER BY position"
)


#: One claim's rows up to a position, as the projection folds them (named parameters).
CLAIM_ROWS_SQLITE = (
    "SELECT " + FOLD_LIST + ", data FROM events "
    "WHERE claim_id = :claim_id AND position <= :position ORDER BY version"
)
CLAIM_ROWS_PG = (
    "SELECT " + FOLD_LIST + ", data::text FROM events "
    "WHERE claim_id = %(claim_id)s AND position <= %(position)s ORDER BY version"
)


_ACTOR_EVENTS_BY_RANGE = _SELECT + "WHERE " + ACTOR_RANGE + " ORDER BY position"
_ACTOR_EVENTS_BY_LIKE = _SELECT + "WHERE " + ACTOR_LIKE + " ORDER BY position"


SQLITE = Dialect(
    name="sqlite",
    head=_HEAD,
    head_at=_HEAD_AT + "?",
    by_ids=_SELECT + "WHERE event_id " + _IDS_SQLITE,
    last_versions=_LAST_VERSIONS + _IDS_SQLITE + " GROUP BY claim_id",
    voids=_VOIDS + _IDS_SQLITE,
    claim=_SELECT + "WHERE claim_id = ? ORDER BY version",
    claim_up_to=_SELECT + "WHERE claim_id = ? AND position <= ? ORDER BY version",
    position_before=_BEFORE + "?" + _BEFORE_ORDER,
    head_before=_HEAD_BEFORE + "?" + _BEFORE_ORDER,
    linking=_LINKING_SQLITE,
    insert=_INSERT + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    state=_STATE_HEAD + _STATE_VERSIONS + _IDS_SQLITE + " GROUP BY claim_id" + _STATE_IDS
    + _IDS_SQLITE,
    json_text=True,
)
POSTGRESQL = Dialect(
    name="postgresql",
    head=_HEAD,
    head_at=_HEAD_AT + "%s",
    by_ids=_SELECT + "WHERE event_id " + _IDS_PG,
    last_versions=_LAST_VERSIONS + _IDS_PG + " GROUP BY claim_id",
    voids=_VOIDS + _IDS_PG,
    claim=_SELECT + "WHERE claim_id = %s ORDER BY version",
    claim_up_to=_SELECT + "WHERE claim_id = %s AND position <= %s ORDER BY version",
    position_before=_BEFORE + "%s" + _BEFORE_ORDER,
    head_before=_HEAD_BEFORE + "%s" + _BEFORE_ORDER,
    linking=_LINKING_PG,
    insert=_INSERT + "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    state=_STATE_HEAD + _STATE_VERSIONS + _IDS_PG + " GROUP BY claim_id" + _STATE_IDS + _IDS_PG,
    json_text=False,
)
#: PostgreSQL's bulk path (bulk.py).
PG_COPY = "COPY events (" + COLUMNS + ") FROM STDIN"
#: The read-only SQLite reader's scan (sqlite_reader.py): a NULL parameter switches its
#: condition off, so the optional filters need no text of their own.
SQLITE_READ_AFTER = (
    _SELECT + "WHERE position > ? AND (? IS NULL OR position <= ?) "
    "AND (? IS NULL OR claim_id = ?) AND (? IS NULL OR type = ?) ORDER BY position LIMIT ?"
)


def dialect_of(name: str) -> Dialect:
    return SQLITE if name == "sqlite" else POSTGRESQL


def to_event(row: Sequence[Any], json_text: bool) -> StoredEvent:
    if json_text:
        loads = orjson.loads
        return StoredEvent(*row[:9], loads(row[9]), loads(row[10]), *row[11:])
    return StoredEvent(*row)


def to_row(e: StoredEvent, prepared: Prepared | None = None) -> tuple[Any, ...]:
    """The insert parameters; JSON as compact text, which both engines accept (the data's
    text as an import's worker wrote it, when it did)."""
    data = metadata = None
    if prepared is not None:
        data, metadata = prepared.data_json, prepared.metadata_json
    if metadata is None:
        metadata = "{}" if not e.metadata else orjson.dumps(e.metadata).decode()
    return (
        e.position, e.event_id, e.type, e.claim_id, e.version, e.schema_version,
        e.occurred_from, e.occurred_to, e.recorded_at,
        orjson.dumps(e.data).decode() if data is None else data, metadata, e.salt, e.prev_hash,
        e.hash,
    )  # fmt: skip


def to_rows(
    rows: Sequence[StoredEvent], prepared: Sequence[Prepared | None]
) -> list[tuple[Any, ...]]:
    if not prepared:
        return [to_row(e) for e in rows]
    return [to_row(e, p) for e, p in zip(rows, prepared, strict=True)]


class DriverReads:
    """The reads of the store on one DBAPI connection."""

    def __init__(self, dbapi_conn: Any, dialect: Dialect) -> None:
        self.conn = dbapi_conn
        self.d = dialect
        # psycopg prepares a statement on the server after five runs, and PostgreSQL may then
        # keep a generic plan, which made one-event appends slow down steadily as the log
        # grew; planned for their values each time, they hold their rate.
        self._options: dict[str, Any] = {"prepare": False} if dialect.name == "postgresql" else {}

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params, **self._options)
            return cur.fetchall()
        finally:
            cur.close()

    def head(self, position: int | None = None) -> Head:
        if position is None:
            rows = self._all(self.d.head, ())
        else:
            rows = self._all(self.d.head_at, (position,))
        if not rows:
            return EMPTY_HEAD
        pos, digest, recorded = rows[0]
        return Head(position=pos, hash=digest, recorded_at=recorded)

    def state(
        self, event_ids: Iterable[str], claim_ids: Iterable[str]
    ) -> tuple[Head, dict[str, StoredEvent], dict[str, int]]:
        """What an append decides from: the head, the stored events among `event_ids`, and
        the last version of each of `claim_ids`, in one statement (Dialect.state).

        (Sending three statements in one psycopg pipeline was tried and measured slower:
        245-267 one-event appends/s against 376-532 one statement at a time.)
        """
        head = EMPTY_HEAD
        versions: dict[str, int] = {}
        stored: list[str] = []
        rows = self._all(self.d.state, (self.d.ids(claim_ids), self.d.ids(event_ids)))
        for kind, number, text, recorded in rows:
            if kind == 0:
                head = Head(position=number, hash=text, recorded_at=recorded)
            elif kind == 1:
                versions[text] = number
            else:
                stored.append(text)
        return head, self.by_ids(stored) if stored else {}, versions

    def by_ids(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        ids = set(event_ids)
        if not ids:
            return {}
        text = self.d.json_text
        return {
            e.event_id: e
            for e in (to_event(r, text) for r in self._all(self.d.by_ids, (self.d.ids(ids),)))
        }

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]:
        ids = set(claim_ids)
        if not ids:
            return {}
        return dict(self._all(self.d.last_versions, (self.d.ids(ids),)))

    def void_targets(self, claim_ids: Iterable[str]) -> set[str]:
        ids = set(claim_ids)
        if not ids:
            return set()
        rows = self._all(self.d.voids, (self.d.ids(ids),))
        loads = orjson.loads if self.d.json_text else None
        return {
            str((loads(d) if loads else d).get("target_event_id")) for (d,) in rows
        }

    def claim(self, claim_id: str, up_to: int | None = None) -> list[StoredEvent]:
        if up_to is None:
            rows = self._all(self.d.claim, (claim_id,))
        else:
            rows = self._all(self.d.claim_up_to, (claim_id, up_to))
        text = self.d.json_text
        return [to_event(r, text) for r in rows]

    def actor_events(self, up_to: int | None = None) -> list[StoredEvent]:
        text = self.d.json_text
        by_range = actor_streams_by_range(self.conn, self.d.name)
        sql = _ACTOR_EVENTS_BY_RANGE if by_range else _ACTOR_EVENTS_BY_LIKE
        cur = self.conn.cursor()
        try:
            cur.execute(sql)  # no parameters: the LIKE's '%' is not a placeholder
            found = [to_event(r, text) for r in cur.fetchall()]
        finally:
            cur.close()
        return found if up_to is None else [e for e in found if e.position <= up_to]

    def linking_claims(self, claim_id: str, up_to: int) -> set[str]:
        """The claims whose links may point at `claim_id` at position `up_to`."""
        return {r[0] for r in self._all(self.d.linking, (claim_id, up_to, claim_id, up_to))}

    def position_before(self, instant: int) -> int:
        rows = self._all(self.d.position_before, (instant,))
        return int(rows[0][0]) if rows else 0

    def head_before(self, instant: int) -> Head:
        rows = self._all(self.d.head_before, (instant,))
        if not rows:
            return EMPTY_HEAD
        pos, digest, recorded = rows[0]
        return Head(position=pos, hash=digest, recorded_at=recorded)

    def insert(self, rows: Sequence[StoredEvent], prepared: Sequence[Prepared | None] = ()) -> None:
        cur = self.conn.cursor()
        params = to_rows(rows, prepared)
        try:
            if len(params) == 1:  # psycopg's executemany enters and syncs a pipeline: 3 waits
                cur.execute(self.d.insert, params[0], **self._options)
            else:
                cur.executemany(self.d.insert, params)
        finally:
            cur.close()
