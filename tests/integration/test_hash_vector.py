"""Fixed test vectors for the hash chain (README, "Hash test vector"), computed independently of the code.

Every input is fixed:

    event_id        0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d
    type            ClaimDenied
    claim_id        wagner-pantsir-s1-to-hezbollah
    schema_version  1
    occurred        2023-11-02T00:00:00.000000Z .. 2023-11-21T00:00:00.000000Z
    recorded_at     2023-11-22T09:00:00.000000Z
    salt            000102030405060708090a0b0c0d0e0f
    data            {"denier": "Dmitry Peskov (Kremlin)",
                     "quote": "All of these musings are as a rule based on nothing"}
    metadata        {"recorded_by": "analyst-1"}

    data_hash = sha256(salt_bytes || JCS(data))
              = d945b85d34e5799d635fa88f1bb6e47c7ad1df462210edd57c65b580558b62aa

Vector A: position 2, version 2, prev_hash = "11" * 32
    hash = 8c0ac5f91be268163b2c373f3ff725393d56e702b4f41e39988b9caca43d1fef

Vector B: position 1, version 1, prev_hash = 32 zero bytes (the first event of a ledger)
    hash = fccdf2aef248d17d17b723e3a534540a26a120a9ca136de022284fdce6f168d5

The expected values are recomputed here with only `rfc8785` and `hashlib`, compared with the
code's `ledger.codec.event_hash`, and also pinned as constants: a change on either side fails.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.codec import canonical_json, event_hash
from ledger.domain.events import validate_event
from ledger.domain.time import parse_instant
from ledger.service import export_events, open_ledger, verify_ledger

EVENT_ID = "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d"
TYPE = "ClaimDenied"
CLAIM_ID = "wagner-pantsir-s1-to-hezbollah"
SCHEMA_VERSION = 1
OCCURRED_FROM = "2023-11-02T00:00:00.000000Z"
OCCURRED_TO = "2023-11-21T00:00:00.000000Z"
RECORDED_AT = "2023-11-22T09:00:00.000000Z"
SALT = "000102030405060708090a0b0c0d0e0f"
DATA = {
    "denier": "Dmitry Peskov (Kremlin)",
    "quote": "All of these musings are as a rule based on nothing",
}
METADATA = {"recorded_by": "analyst-1"}

# Pinned results (see the module docstring).
DATA_HASH = "d945b85d34e5799d635fa88f1bb6e47c7ad1df462210edd57c65b580558b62aa"
HASH_POSITION_2 = "8c0ac5f91be268163b2c373f3ff725393d56e702b4f41e39988b9caca43d1fef"
HASH_POSITION_1 = "fccdf2aef248d17d17b723e3a534540a26a120a9ca136de022284fdce6f168d5"

PREV_POSITION_2 = "11" * 32
PREV_POSITION_1 = "00" * 32


def reference_data_hash() -> str:
    return hashlib.sha256(bytes.fromhex(SALT) + rfc8785.dumps(DATA)).hexdigest()


def reference_hash(*, prev_hash: str, position: int, version: int) -> str:
    """the hash rule written out by hand: no code under test involved."""
    envelope = rfc8785.dumps(
        {
            "event_id": EVENT_ID,
            "type": TYPE,
            "claim_id": CLAIM_ID,
            "version": version,
            "position": position,
            "schema_version": SCHEMA_VERSION,
            "occurred_from": OCCURRED_FROM,
            "occurred_to": OCCURRED_TO,
            "recorded_at": RECORDED_AT,
            "data_hash": reference_data_hash(),
            "metadata": METADATA,
        }
    )
    return hashlib.sha256(b"ledger/v1\x00" + bytes.fromhex(prev_hash) + envelope).hexdigest()


def code_hash(*, prev_hash: str, position: int, version: int) -> str:
    return event_hash(
        prev_hash=prev_hash,
        event_id=EVENT_ID,
        type=TYPE,
        claim_id=CLAIM_ID,
        version=version,
        position=position,
        schema_version=SCHEMA_VERSION,
        occurred_from=parse_instant(OCCURRED_FROM),
        occurred_to=parse_instant(OCCURRED_TO),
        recorded_at=parse_instant(RECORDED_AT),
        salt=SALT,
        data=DATA,
        metadata=METADATA,
    )


def test_reference_envelope_bytes_are_the_documented_canonical_form() -> None:
    # Pins the JCS bytes the vector hashes, so a reader can check them by eye.
    envelope = rfc8785.dumps(
        {
            "event_id": EVENT_ID, "type": TYPE, "claim_id": CLAIM_ID, "version": 2,
            "position": 2, "schema_version": 1, "occurred_from": OCCURRED_FROM,
            "occurred_to": OCCURRED_TO, "recorded_at": RECORDED_AT,
            "data_hash": DATA_HASH, "metadata": METADATA,
        }
    )
    assert envelope == (
        b'{"claim_id":"wagner-pantsir-s1-to-hezbollah",'
        b'"data_hash":"d945b85d34e5799d635fa88f1bb6e47c7ad1df462210edd57c65b580558b62aa",'
        b'"event_id":"0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d",'
        b'"metadata":{"recorded_by":"analyst-1"},'
        b'"occurred_from":"2023-11-02T00:00:00.000000Z",'
        b'"occurred_to":"2023-11-21T00:00:00.000000Z",'
        b'"position":2,'
        b'"recorded_at":"2023-11-22T09:00:00.000000Z",'
        b'"schema_version":1,"type":"ClaimDenied","version":2}'
    )


def test_data_hash_vector() -> None:
    assert reference_data_hash() == DATA_HASH
    from ledger.codec import data_hash

    assert data_hash(SALT, DATA) == DATA_HASH


@pytest.mark.parametrize(
    ("prev_hash", "position", "version", "pinned"),
    [
        pytest.param(PREV_POSITION_2, 2, 2, HASH_POSITION_2, id="position-2"),
        pytest.param(PREV_POSITION_1, 1, 1, HASH_POSITION_1, id="position-1-zero-prev"),
    ],
)
def test_event_hash_vector(prev_hash: str, position: int, version: int, pinned: str) -> None:
    reference = reference_hash(prev_hash=prev_hash, position=position, version=version)
    assert reference == pinned, "the independent computation of the hash rule changed"
    assert code_hash(prev_hash=prev_hash, position=position, version=version) == pinned


def test_every_input_moves_the_hash() -> None:
    # A vector that ignored a field would still "match"; each field must change the result.
    base: dict[str, Any] = {
        "prev_hash": PREV_POSITION_2, "event_id": EVENT_ID, "type": TYPE, "claim_id": CLAIM_ID,
        "version": 2, "position": 2, "schema_version": 1,
        "occurred_from": parse_instant(OCCURRED_FROM), "occurred_to": parse_instant(OCCURRED_TO),
        "recorded_at": parse_instant(RECORDED_AT), "salt": SALT, "data": DATA,
        "metadata": METADATA,
    }
    assert event_hash(**base) == HASH_POSITION_2
    changes: dict[str, Any] = {
        "prev_hash": "12" + "11" * 31,
        "event_id": "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0e",
        "type": "ClaimMade",
        "claim_id": "wagner-pantsir-s1-to-hezbollaj",
        "version": 3,
        "position": 3,
        "schema_version": 2,
        "occurred_from": parse_instant(OCCURRED_FROM) + 1,
        "occurred_to": parse_instant(OCCURRED_TO) + 1,
        "recorded_at": parse_instant(RECORDED_AT) + 1,
        "salt": "010102030405060708090a0b0c0d0e0f",
        "data": {**DATA, "quote": DATA["quote"] + "."},
        "metadata": {"recorded_by": "analyst-2"},
    }
    for name, value in changes.items():
        changed = {**base, name: value}
        assert event_hash(**changed) != HASH_POSITION_2, name


def test_the_store_reproduces_vector_b_end_to_end(db_url: str) -> None:
    """Import the vector's event with its salt and recorded_at into an empty ledger."""
    line = {
        "event_id": EVENT_ID,
        "type": TYPE,
        "claim_id": CLAIM_ID,
        "occurred_at": "2023-11-02/2023-11-20",
        "recorded_at": RECORDED_AT,
        "salt": SALT,
        "data": DATA,
        "metadata": METADATA,
    }
    event = validate_event(line, keep_recorded_at=True)
    ledger = open_ledger(db_url)
    try:
        (stored,) = ledger.store.append([event], keep_recorded_at=True).added
        assert (stored.position, stored.version, stored.prev_hash) == (1, 1, PREV_POSITION_1)
        assert stored.hash == HASH_POSITION_1
        (read,) = ledger.store.read_after(0)
        assert read.hash == HASH_POSITION_1 and read.data == DATA
        out = io.BytesIO()
        export_events(ledger, out)
    finally:
        ledger.close()
    exported = json.loads(out.getvalue())
    assert exported["hash"] == HASH_POSITION_1
    assert exported["occurred_from"] == OCCURRED_FROM
    assert exported["occurred_to"] == OCCURRED_TO
    assert exported["recorded_at"] == RECORDED_AT


# -- canonical_json is RFC 8785 ---------------------------------------------------------------

MAX_SAFE = 2**53 - 1

# Any code point but the surrogates: astral planes, C0/C1 controls, DEL, U+2028/9, BOM ...
_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
_interesting_text = st.one_of(
    _text,
    st.sampled_from(
        ["", "\x00", "\x1f\x7f\x80\x9f", "\u2028\u2029", "\ufeff", "\U0001f600", "\U0010ffff",
         "\ud7ff\ue000", "é", "e\u0301", '"\\/', "\b\f\n\r\t"]
    ),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE),
    st.sampled_from([0, -MAX_SAFE, MAX_SAFE, 2**31, -(2**31), 2**32, 10**15]),
    st.floats(allow_nan=False, allow_infinity=False),
    _interesting_text,
)
json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(_interesting_text, children, max_size=5),
        # ASCII-keyed objects take the code's fast path: make sure it is exercised.
        st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children,
                        max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_json_is_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": 2, "A": 3, "_": 4, "~": 5},
        {"\U0001f600": 1, "\ufb01": 2, "é": 3, "z": 4},  # UTF-16 order differs from code points
        {"s": "\x00\x01\x1f\x7f\u2028\U0001f600"},
        [MAX_SAFE, -MAX_SAFE, 0, -1],
        {"f": [1.0, -0.0, 1e21, 1e-7, 0.1, 5e-324, 1.7976931348623157e308]},
        {"nested": {"ключ": {"x": [None, True, False, ""]}}},
    ],
)
def test_canonical_json_edge_cases(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


# -- hashing what is read back ------------------------------------------------------------------

# PostgreSQL JSONB stores the float 1e16 as the numeric 10000000000000000, read back as the
# int 10**16, beyond ±(2^53-1): rfc8785 refused it, and verify and export crashed (fixed in
# ledger.codec.canonical_json, which spells such integers as the doubles they were).
@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("number", [1e16, -1e18, 2.0**60])
def test_an_accepted_float_beyond_2_53_still_hashes_when_read_back(
    db_url: str, number: float
) -> None:
    """A float is accepted at the boundary (only integers beyond ±(2^53-1) are refused); once
    stored, the event must still verify and export, on every engine."""
    line = {
        "event_id": EVENT_ID,
        "type": TYPE,
        "claim_id": CLAIM_ID,
        "occurred_at": "2023-11-02/2023-11-20",
        "data": DATA,
        "metadata": {"recorded_by": "analyst-1", "count": number},
    }
    event = validate_event(line)  # accepted: a float, not an integer
    ledger = open_ledger(db_url)
    failure = None
    try:
        (stored,) = ledger.store.append([event]).added
        try:
            report = verify_ledger(ledger)
            out = io.BytesIO()
            exported = export_events(ledger, out)
        except Exception as exc:  # noqa: BLE001
            # Keep only the text: a held traceback would keep read_after's generator, and its
            # open read transaction, alive (and the schema's DROP would wait on it for ever).
            failure = f"{type(exc).__name__}: {exc}"
    finally:
        ledger.close()
    assert failure is None, failure
    assert report.ok and report.head_hash == stored.hash
    assert exported == 1
    assert json.loads(out.getvalue())["hash"] == stored.hash
