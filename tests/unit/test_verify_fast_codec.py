"""The fast event hash is the hash rule byte for byte: envelope built in JCS order, cached instants.

The reference below is the hash as the code computed it before the fast path: the whole
envelope object through `canonical_json` (itself proven equal to RFC 8785 in
tests/integration/test_hash_vector.py), instants through `format_instant`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger import codec
from ledger.codec import canonical_json, chained_hash, event_hash, hash_of
from ledger.domain.model import StoredEvent
from ledger.domain.time import END_OF_TIME, MAX_US, MIN_US, format_instant
from tests.integration.test_hash_vector import json_values

MAX_SAFE = 2**53 - 1


def reference_hash(**f: Any) -> str:
    data_hash = hashlib.sha256(bytes.fromhex(f["salt"]) + canonical_json(f["data"])).hexdigest()
    envelope = canonical_json(
        {
            "event_id": f["event_id"],
            "type": f["type"],
            "claim_id": f["claim_id"],
            "version": f["version"],
            "position": f["position"],
            "schema_version": f["schema_version"],
            "occurred_from": format_instant(f["occurred_from"]),
            "occurred_to": format_instant(f["occurred_to"]),
            "recorded_at": format_instant(f["recorded_at"]),
            "data_hash": data_hash,
            "metadata": f["metadata"],
        }
    )
    prefix = b"ledger/v1\x00" + bytes.fromhex(f["prev_hash"])
    return hashlib.sha256(prefix + envelope).hexdigest()


_text = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["", "\x00\x1f\x7f", "\u2028", "\U0001f600", '"\\/', "é", "claim-1"]),
)
_integer = st.one_of(
    st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE),
    st.sampled_from([0, 1, MAX_SAFE, -MAX_SAFE, MAX_SAFE + 1, -(MAX_SAFE + 1), 2**63 - 1]),
)
_instant = st.one_of(
    st.integers(min_value=MIN_US, max_value=END_OF_TIME),
    st.sampled_from([MIN_US, 0, -1, 1, MAX_US, END_OF_TIME, 1_700_000_000_000_000]),
)
_hex32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
_hex16 = st.binary(min_size=16, max_size=16).map(bytes.hex)
_object = st.dictionaries(_text, json_values, max_size=4)

fields = st.fixed_dictionaries(
    {
        "prev_hash": _hex32,
        "event_id": _text,
        "type": _text,
        "claim_id": _text,
        "version": _integer,
        "position": _integer,
        "schema_version": _integer,
        "occurred_from": _instant,
        "occurred_to": _instant,
        "recorded_at": _instant,
        "salt": _hex16,
        "data": _object,
        "metadata": st.one_of(st.just({}), _object),
    }
)


@settings(max_examples=400, deadline=None)
@given(fields)
def test_event_hash_is_the_reference_hash(f: dict[str, Any]) -> None:
    expected = reference_hash(**f)
    assert event_hash(**f) == expected
    assert hash_of(StoredEvent(hash="", **f)) == expected


@settings(max_examples=100, deadline=None)
@given(fields, st.sampled_from(["version", "position", "event_id", "metadata"]),
       st.sampled_from([True, 1.5, None, "7", ["a"], 2**80]))
def test_unusual_field_types_take_the_reference_path(
    f: dict[str, Any], name: str, value: Any
) -> None:
    """Values a forged row can hold (SQLite keeps what it is given): hashed as before."""
    f = {**f, name: value}
    try:
        expected = reference_hash(**f)
    except Exception as exc:  # noqa: BLE001 - the fast path must fail the same way
        kind: type[BaseException] | None = type(exc)
    else:
        kind = None
    if kind is None:
        assert chained_hash(*[f[k] for k in _ORDER]) == expected
    else:
        try:
            chained_hash(*[f[k] for k in _ORDER])
        except Exception as exc:  # noqa: BLE001
            assert isinstance(exc, kind)
        else:
            raise AssertionError(f"the reference raised {kind}, the fast path did not")


_ORDER = (
    "prev_hash", "event_id", "type", "claim_id", "version", "position", "schema_version",
    "occurred_from", "occurred_to", "recorded_at", "salt", "data", "metadata",
)  # fmt: skip


def _model_instant(us: int) -> str:
    """The format written out with datetime: what every formatted instant must equal."""
    from datetime import datetime, timedelta, timezone

    if us == END_OF_TIME:
        return "10000-01-01T00:00:00.000000Z"
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond:06d}Z"


@settings(max_examples=2_000, deadline=None)
@given(_instant)
@example(END_OF_TIME - 1)
@example(END_OF_TIME)
@example(MIN_US)
@example(MIN_US + 1)
@example(86_400_000_000 - 1)
def test_format_instant_writes_the_one_time_format(us: int) -> None:
    assert format_instant(us) == _model_instant(us)
    assert format_instant(us) == _model_instant(us)  # the second time from the cache


def test_the_instant_cache_starts_afresh_when_full(monkeypatch: Any) -> None:
    from ledger.domain import time as time_module

    monkeypatch.setattr(time_module, "_KEPT", 3)
    monkeypatch.setattr(time_module, "_SECONDS", {})
    base = 1_700_000_000_000_000
    for i in range(10):
        us = base + i * 86_401_000_001
        assert format_instant(us) == _model_instant(us)
    assert len(time_module._SECONDS) <= 3


@settings(max_examples=300, deadline=None)
@given(fields, st.booleans())
def test_a_prepared_event_hashes_to_the_reference_hash(f: dict[str, Any], timeless: bool) -> None:
    # What the import's worker works out ahead (salt, data_hash, occurred texts), chained by
    # the writer, gives the hash the rule gives.
    from ledger.codec import prepared_hash
    from ledger.store.prepare import prepare
    from ledger.domain.model import Interval, NewEvent

    occurred = None if timeless else Interval(f["occurred_from"], f["occurred_to"])
    event = prepare(NewEvent(f["event_id"], f["type"], f["claim_id"], occurred, f["data"],
                             f["metadata"], f["schema_version"], salt=f["salt"]))
    p = event.prepared
    assert p is not None and p.salt == f["salt"]
    recorded = format_instant(f["recorded_at"])
    start, end = p.occurred_texts or (recorded, recorded)
    if timeless:  # errata and actor events take their recorded_at as occurred time
        f = {**f, "occurred_from": f["recorded_at"], "occurred_to": f["recorded_at"]}
    expected = reference_hash(**f)
    for metadata_jcs in (None, p.metadata_jcs):  # worked out by the writer, or ahead
        assert prepared_hash(
            f["prev_hash"], f["event_id"], f["type"], f["claim_id"], f["version"], f["position"],
            f["schema_version"], start, end, recorded, p.data_hash, f["metadata"], metadata_jcs,
        ) == expected  # fmt: skip


def test_salts_drawn_from_the_pool_are_fresh_and_well_formed() -> None:
    salts = [codec.new_salt() for _ in range(10_000)]  # beyond one pool of 4,096
    assert len(set(salts)) == len(salts)
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in salts)
