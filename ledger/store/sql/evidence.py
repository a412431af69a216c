"""The evidence table on SQLite and PostgreSQL: copies stream in and out in pieces.

A copy of tens of MB is never built as one value on the client: on SQLite it is written into a
zero-filled blob and read back with incremental blob I/O; on PostgreSQL it is sent as one row
of a binary COPY whose bytes are written piece by piece, and read back in `substring` slices.
Every statement is constant text; values travel as parameters.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ledger.domain.errors import LedgerError
from ledger.domain.evidence import archives_named
from ledger.store.port import EvidenceCopy, EvidenceInfo

if TYPE_CHECKING:  # the read-only SQLite reader uses EvidenceRows without SQLAlchemy
    from sqlalchemy import Engine

CHUNK = 1 << 20  # bytes per blob read/write or slice

_INFO = "SELECT sha256, media_type, size, stored_at FROM evidence "
_SQLITE = {
    "stored": "SELECT sha256 FROM evidence WHERE sha256 IN (SELECT value FROM json_each(?))",
    "info": _INFO + "WHERE sha256 IN (SELECT value FROM json_each(?))",
    "list": _INFO + "ORDER BY sha256",
    "insert": "INSERT INTO evidence (sha256, media_type, bytes, size, stored_at) "
    "VALUES (?, ?, zeroblob(?), ?, ?)",
    "rowid": "SELECT rowid FROM evidence WHERE sha256 = ?",
    # A prefilter only (a JSON text holding the key "archive"); archives_named decides.
    "references": "SELECT position, data FROM events WHERE instr(data, '\"archive\"') > 0 "
    "ORDER BY position",
}
_PG = {
    "stored": "SELECT sha256 FROM evidence WHERE sha256 = ANY(%s)",
    "info": _INFO + "WHERE sha256 = ANY(%s)",
    "list": _INFO + "ORDER BY sha256",
    "copy": "COPY evidence (sha256, media_type, bytes, size, stored_at) FROM STDIN "
    "(FORMAT BINARY)",
    "slice": "SELECT substring(bytes FROM %s FOR %s) FROM evidence WHERE sha256 = %s",
    "references": "SELECT position, data FROM events WHERE data->'source' ? 'archive' "
    "OR data->'changes'->'source' ? 'archive' ORDER BY position",
}
# PostgreSQL's binary COPY framing: signature, flags, header extension; a 5-field tuple;
# each field is its byte length (int32) and its bytes; the trailer is -1 (int16).
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_PG_COPY_TRAILER = struct.pack("!h", -1)


class EvidenceRows:
    """The evidence statements on one DBAPI connection (inside the caller's transaction)."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.sqlite = dialect == "sqlite"
        self.sql = _SQLITE if self.sqlite else _PG
        self._options: dict[str, Any] = {} if self.sqlite else {"prepare": False}

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params, **self._options)
            return cur.fetchall()
        finally:
            cur.close()

    def _ids(self, digests: Iterable[str]) -> Any:
        items = sorted(set(digests))
        return orjson.dumps(items).decode() if self.sqlite else items

    def stored(self, digests: Iterable[str]) -> set[str]:
        wanted = set(digests)
        if not wanted:
            return set()
        return {row[0] for row in self._all(self.sql["stored"], (self._ids(wanted),))}

    def info(self, digests: Iterable[str]) -> dict[str, EvidenceInfo]:
        wanted = set(digests)
        if not wanted:
            return {}
        rows = self._all(self.sql["info"], (self._ids(wanted),))
        return {row[0]: EvidenceInfo(*row) for row in rows}

    def list(self) -> list[EvidenceInfo]:
        return [EvidenceInfo(*row) for row in self._all(self.sql["list"], ())]

    def put(self, copy: EvidenceCopy, stored_at: int) -> bool:
        """Store a copy unless its digest is stored; the caller holds the write lock."""
        if self.stored([copy.sha256]):
            return False
        if self.sqlite:
            self._put_sqlite(copy, stored_at)
        else:
            self._put_pg(copy, stored_at)
        return True

    def _put_sqlite(self, copy: EvidenceCopy, stored_at: int) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute(
                self.sql["insert"],
                (copy.sha256, copy.media_type, copy.size, copy.size, stored_at),
            )
            rowid = cur.lastrowid
        finally:
            cur.close()
        if copy.size == 0:
            return
        with contextlib.closing(self.conn.blobopen("evidence", "bytes", rowid)) as blob:
            written = 0
            for chunk in copy.chunks(CHUNK):
                if written + len(chunk) > copy.size:
                    raise LedgerError(f"evidence {copy.sha256}: the copy grew while stored")
                blob.write(chunk)
                written += len(chunk)

    def _put_pg(self, copy: EvidenceCopy, stored_at: int) -> None:
        sha, media = copy.sha256.encode(), copy.media_type.encode()
        cur = self.conn.cursor()
        try:
            with cur.copy(self.sql["copy"]) as out:
                out.write(
                    _PG_COPY_HEADER + struct.pack("!h", 5)
                    + struct.pack("!i", len(sha)) + sha
                    + struct.pack("!i", len(media)) + media
                    + struct.pack("!i", copy.size)
                )
                written = 0
                for chunk in copy.chunks(CHUNK):
                    written += len(chunk)
                    out.write(chunk)
                if written != copy.size:
                    raise LedgerError(f"evidence {copy.sha256}: the copy changed while stored")
                out.write(
                    struct.pack("!iq", 8, copy.size) + struct.pack("!iq", 8, stored_at)
                    + _PG_COPY_TRAILER
                )
        finally:
            cur.close()

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes as they are now (not trusting `size`), in pieces."""
        if self.sqlite:
            rows = self._all(self.sql["rowid"], (sha256,))
            if not rows:
                return
            blob = self.conn.blobopen("evidence", "bytes", rows[0][0], readonly=True)
            with contextlib.closing(blob):
                while chunk := blob.read(CHUNK):
                    yield chunk
            return
        offset = 1  # substring counts from 1
        while True:
            rows = self._all(self.sql["slice"], (offset, CHUNK, sha256))
            if not rows or not rows[0][0]:
                return
            chunk = bytes(rows[0][0])
            yield chunk
            if len(chunk) < CHUNK:
                return
            offset += len(chunk)

    def references(self) -> Iterator[tuple[int, str]]:
        for position, data in self._all(self.sql["references"], ()):
            value = orjson.loads(data) if isinstance(data, (str, bytes)) else data
            for _, digest in archives_named(value):
                yield position, digest


class SqlEvidence:
    """The evidence port over an engine: each call on a pooled connection of its own."""

    def __init__(self, engine: Engine, clock: Callable[[], int]) -> None:
        self.engine = engine
        self._clock = clock
        self._dialect = engine.dialect.name

    def put(self, copy: EvidenceCopy) -> bool:
        from ledger.store.sql.engine import driver_write_transaction

        with driver_write_transaction(self.engine) as conn:
            return EvidenceRows(conn, self._dialect).put(copy, self._clock())

    def info(self, digests: Iterable[str]) -> dict[str, EvidenceInfo]:
        from ledger.store.sql.engine import driver_connection

        with driver_connection(self.engine, single_reads=True) as conn:
            return EvidenceRows(conn, self._dialect).info(digests)

    def list(self) -> list[EvidenceInfo]:
        from ledger.store.sql.engine import driver_connection

        with driver_connection(self.engine, single_reads=True) as conn:
            return EvidenceRows(conn, self._dialect).list()

    def chunks(self, sha256: str) -> Iterator[bytes]:
        from ledger.store.sql.engine import driver_connection

        with driver_connection(self.engine) as conn:
            try:
                yield from EvidenceRows(conn, self._dialect).chunks(sha256)
            finally:
                with contextlib.suppress(Exception):
                    conn.rollback()  # end the read transaction before the connection is pooled

    def references(self) -> Iterator[tuple[int, str]]:
        from ledger.store.sql.engine import driver_connection

        with driver_connection(self.engine, single_reads=True) as conn:
            return iter(list(EvidenceRows(conn, self._dialect).references()))


class ReadOnlyEvidence(EvidenceRows):
    """The evidence of a ledger opened for reading only (the bare SQLite reader)."""

    def put(self, copy: EvidenceCopy, stored_at: int = 0) -> bool:
        raise LedgerError("this ledger was opened for reading only")
