"""Canonical JSON, the hash chain (README, "Hash test vector"), and the NDJSON envelope of an export line.

    data_hash = sha256(salt_bytes || JCS(data))
    envelope  = JCS({event_id, type, claim_id, version, position, schema_version,
                     occurred_from, occurred_to, recorded_at, data_hash, metadata})
    hash      = sha256(b"ledger/v1\\x00" || prev_hash_bytes || envelope)
"""

from __future__ import annotations

import os
from hashlib import sha256
from typing import Any

import orjson
import rfc8785

from ledger.domain.model import StoredEvent
from ledger.domain.time import format_instant

HASH_DOMAIN = b"ledger/v1\x00"
_MAX_SAFE = 2**53 - 1


def new_salt() -> str:
    """16 random bytes, hex: the salt that keeps a future redaction possible."""
    if not _SALTS:
        # One call to the system's random source per 4,096 salts: drawn one by one they cost
        # a tenth of a bulk append. The bytes are the same os.urandom ones secrets.token_hex
        # would draw, only fetched ahead.
        pool = os.urandom(16 * _SALT_POOL).hex()
        _SALTS.extend(pool[i : i + 32] for i in range(0, len(pool), 32))
    return _SALTS.pop()


_SALT_POOL = 4_096
_SALTS: list[str] = []


def _fast_ok(value: Any) -> bool:
    """True when orjson's sorted compact output is byte-identical to RFC 8785 for `value`.

    They agree on strings (both escape only what JSON requires, lowercase \\u00XX), on safe
    integers, on booleans and null, and on key order when every key is ASCII (UTF-16 and code
    point order agree there). They differ on floats (ECMAScript number formatting) and on
    non-ASCII keys (RFC 8785 sorts by UTF-16 code units), so those take the reference path.
    A Hypothesis property holds the two outputs equal.
    """
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            if type(item) is not str and not _fast_ok(item):
                return False
        return True
    if t is list:
        return all(type(item) is str or _fast_ok(item) for item in value)
    if t is int:
        return -_MAX_SAFE <= value <= _MAX_SAFE
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value; a proven-equal fast path for the common shapes."""
    if _fast_ok(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        # A whole float beyond 2^53 (1e16) is accepted as input (only integers that large are
        # refused); PostgreSQL's JSONB gives it back as an integer spelled from the float's
        # shortest form, which parses back to the same double. JCS numbers are doubles, so
        # the double spells exactly the bytes that were hashed.
        return rfc8785.dumps(_as_doubles(value))


def _as_doubles(value: Any) -> Any:
    if type(value) is int and not -_MAX_SAFE <= value <= _MAX_SAFE:
        return float(value)
    if type(value) is dict:
        return {k: _as_doubles(v) for k, v in value.items()}
    if type(value) is list:
        return [_as_doubles(v) for v in value]
    return value


def data_hash(salt: str, data: dict[str, Any]) -> str:
    return sha256(bytes.fromhex(salt) + canonical_json(data)).hexdigest()


def event_hash(
    *,
    prev_hash: str,
    event_id: str,
    type: str,
    claim_id: str,
    version: int,
    position: int,
    schema_version: int,
    occurred_from: int,
    occurred_to: int,
    recorded_at: int,
    salt: str,
    data: dict[str, Any],
    metadata: dict[str, Any],
) -> str:
    """The chained hash of one event: sha256 over the previous hash and the envelope."""
    return chained_hash(
        prev_hash, event_id, type, claim_id, version, position, schema_version,
        occurred_from, occurred_to, recorded_at, salt, data, metadata,
    )  # fmt: skip


def chained_hash(
    prev_hash: str,
    event_id: str,
    type: str,
    claim_id: str,
    version: int,
    position: int,
    schema_version: int,
    occurred_from: int,
    occurred_to: int,
    recorded_at: int,
    salt: str,
    data: dict[str, Any],
    metadata: dict[str, Any],
) -> str:
    """`event_hash` with positional arguments, in the column order of the `events` table.

    Verify calls it once per event: keyword passing alone cost a tenth of the time.
    """
    envelope = None
    meta = _fast_meta(event_id, type, claim_id, version, position, schema_version, metadata)
    if meta is not None:
        envelope = _fast_envelope(
            event_id, type, claim_id, version, position, schema_version,
            format_instant(occurred_from), format_instant(occurred_to),
            format_instant(recorded_at),
            sha256(bytes.fromhex(salt) + canonical_json(data)).hexdigest(), meta,
        )  # fmt: skip
    if envelope is None:
        # A value orjson would not spell as JCS does (a float, a large or non-int number, a
        # non-ASCII key in metadata, a forged type): the envelope as the hash rule writes it.
        envelope = _reference_envelope(
            event_id, type, claim_id, version, position, schema_version,
            occurred_from, occurred_to, recorded_at, salt, data, metadata,
        )  # fmt: skip
    return sha256(HASH_DOMAIN + bytes.fromhex(prev_hash) + envelope).hexdigest()


def prepared_hash(
    prev_hash: str,
    event_id: str,
    type: str,
    claim_id: str,
    version: int,
    position: int,
    schema_version: int,
    occurred_from: str,
    occurred_to: str,
    recorded_at: str,
    data_hash: str,
    metadata: dict[str, Any],
    metadata_jcs: bytes | None = None,
) -> str:
    """`chained_hash` of an event whose data_hash and time texts were worked out before
    (`ledger.store.prepare`), and perhaps its metadata's JCS bytes (`metadata_bytes`): the
    same envelope, the same bytes, the same sha256."""
    envelope = None
    if metadata_jcs is not None and _fast_header(event_id, type, claim_id, version, position, schema_version):
        meta: Any = _EMPTY_OBJECT if metadata_jcs == b"{}" else orjson.Fragment(metadata_jcs)
    else:
        meta = _fast_meta(event_id, type, claim_id, version, position, schema_version, metadata)
    if meta is not None:
        envelope = _fast_envelope(
            event_id, type, claim_id, version, position, schema_version, occurred_from,
            occurred_to, recorded_at, data_hash, meta,
        )  # fmt: skip
    if envelope is None:
        envelope = _canonical_envelope(
            event_id, type, claim_id, version, position, schema_version, occurred_from,
            occurred_to, recorded_at, data_hash, metadata,
        )  # fmt: skip
    return sha256(HASH_DOMAIN + bytes.fromhex(prev_hash) + envelope).hexdigest()


def _fast_header(
    event_id: Any, type: Any, claim_id: Any, version: Any, position: Any, schema_version: Any
) -> bool:
    """Whether orjson writes the envelope's header fields exactly as JCS does."""
    return (
        _str is builtins_type(event_id)
        and _str is builtins_type(type)
        and _str is builtins_type(claim_id)
        and _int is builtins_type(version)
        and _int is builtins_type(position)
        and _int is builtins_type(schema_version)
        and -_MAX_SAFE <= version <= _MAX_SAFE
        and -_MAX_SAFE <= position <= _MAX_SAFE
        and -_MAX_SAFE <= schema_version <= _MAX_SAFE
    )


def metadata_bytes(metadata: Any) -> bytes | None:
    """The RFC 8785 bytes of an event's metadata where the fast path writes them exactly
    (what `prepared_hash` may be given ahead), else None."""
    fragment = _canonical_metadata(metadata)
    if fragment is None:
        return None
    return b"{}" if fragment is _EMPTY_OBJECT else orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS)


def _fast_meta(
    event_id: Any,
    type: Any,
    claim_id: Any,
    version: Any,
    position: Any,
    schema_version: Any,
    metadata: Any,
) -> Any:
    """The metadata ready to embed when orjson spells the envelope exactly as JCS does (the
    header's types and integers checked), else None: the reference path must write it."""
    if not _fast_header(event_id, type, claim_id, version, position, schema_version):
        return None
    # Most events carry no metadata: skip the call for `{}`.
    if not metadata and builtins_type(metadata) is dict:
        return _EMPTY_OBJECT
    return _canonical_metadata(metadata)


def _fast_envelope(
    event_id: str,
    type: str,
    claim_id: str,
    version: int,
    position: int,
    schema_version: int,
    occurred_from: str,
    occurred_to: str,
    recorded_at: str,
    data_hash: str,
    meta: Any,
) -> bytes:
    # The envelope's keys are written in JCS order (all ASCII: code point order is UTF-16
    # order), so orjson needs no sorting; its string escaping is JCS's, and the caller checked
    # the integers safe: the bytes of the reference envelope, faster.
    return _dumps(
        {
            "claim_id": claim_id,
            "data_hash": data_hash,
            "event_id": event_id,
            "metadata": meta,
            "occurred_from": occurred_from,
            "occurred_to": occurred_to,
            "position": position,
            "recorded_at": recorded_at,
            "schema_version": schema_version,
            "type": type,
            "version": version,
        }
    )


builtins_type = type  # `type` is a field name here: keep the builtin reachable
_str, _int = str, int
_dumps = orjson.dumps
_EMPTY_OBJECT = orjson.Fragment(b"{}")


def _canonical_metadata(metadata: Any) -> orjson.Fragment | None:
    """JCS bytes of `metadata` ready to embed, or None when only the reference path is exact."""
    if builtins_type(metadata) is not dict:
        return None
    if not metadata:
        return _EMPTY_OBJECT
    if not _fast_ok(metadata):
        return None
    return orjson.Fragment(orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS))


def _reference_envelope(
    event_id: Any,
    type: Any,
    claim_id: Any,
    version: Any,
    position: Any,
    schema_version: Any,
    occurred_from: Any,
    occurred_to: Any,
    recorded_at: Any,
    salt: str,
    data: Any,
    metadata: Any,
) -> bytes:
    """The hash rule as written: the envelope object through `canonical_json`, for any input."""
    return _canonical_envelope(
        event_id, type, claim_id, version, position, schema_version,
        format_instant(occurred_from), format_instant(occurred_to), format_instant(recorded_at),
        data_hash(salt, data), metadata,
    )  # fmt: skip


def _canonical_envelope(
    event_id: Any,
    type: Any,
    claim_id: Any,
    version: Any,
    position: Any,
    schema_version: Any,
    occurred_from: str,
    occurred_to: str,
    recorded_at: str,
    data_hash: str,
    metadata: Any,
) -> bytes:
    return canonical_json(
        {
            "event_id": event_id,
            "type": type,
            "claim_id": claim_id,
            "version": version,
            "position": position,
            "schema_version": schema_version,
            "occurred_from": occurred_from,
            "occurred_to": occurred_to,
            "recorded_at": recorded_at,
            "data_hash": data_hash,
            "metadata": metadata,
        }
    )


def hash_of(event: StoredEvent) -> str:
    """Recompute a stored event's hash from its fields as read back."""
    return chained_hash(
        event.prev_hash, event.event_id, event.type, event.claim_id, event.version,
        event.position, event.schema_version, event.occurred_from, event.occurred_to,
        event.recorded_at, event.salt, event.data, event.metadata,
    )  # fmt: skip


def envelope_dict(event: StoredEvent) -> dict[str, Any]:
    """The export envelope (docs/events.md), in its documented key order."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "claim_id": event.claim_id,
        "version": event.version,
        "position": event.position,
        "schema_version": event.schema_version,
        "occurred_from": format_instant(event.occurred_from),
        "occurred_to": format_instant(event.occurred_to),
        "recorded_at": format_instant(event.recorded_at),
        "data": event.data,
        "metadata": event.metadata,
        "salt": event.salt,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def export_line(event: StoredEvent) -> bytes:
    """One NDJSON line, byte-stable across engines.

    `data` and `metadata` are written canonically (RFC 8785) because PostgreSQL's JSONB does not
    keep key order or number spelling: the same event must export to the same bytes everywhere.
    """
    head = orjson.dumps(
        {
            "event_id": event.event_id,
            "type": event.type,
            "claim_id": event.claim_id,
            "version": event.version,
            "position": event.position,
            "schema_version": event.schema_version,
            "occurred_from": format_instant(event.occurred_from),
            "occurred_to": format_instant(event.occurred_to),
            "recorded_at": format_instant(event.recorded_at),
        }
    )
    tail = orjson.dumps({"salt": event.salt, "prev_hash": event.prev_hash, "hash": event.hash})
    return b"".join(
        (
            head[:-1],
            b',"data":',
            canonical_json(event.data),
            b',"metadata":',
            canonical_json(event.metadata),
            b",",
            tail[1:],
            b"\n",
        )
    )
