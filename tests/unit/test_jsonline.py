"""One NDJSON line, strictly: exactly one object, nothing two JSON readers could read differently."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import InvalidInput
from ledger.domain.jsonline import (
    MAX_SAFE_INTEGER,
    _fast,
    _reference,
    check_json_value,
    parse_json_line,
)


def refusal(text: str | bytes, line: int = 7) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_json_line(text, line)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)
    return info.value


def test_parses_one_object_from_str_and_bytes() -> None:
    text = '{"type": "ClaimMade", "data": {"claimant": "Kirby: NSC", "n": 1.5}}'
    expected = {"type": "ClaimMade", "data": {"claimant": "Kirby: NSC", "n": 1.5}}
    assert parse_json_line(text) == expected
    assert parse_json_line(text.encode()) == expected
    assert parse_json_line(bytearray(text.encode())) == expected


@pytest.mark.parametrize("ending", ["\n", "\r\n", "  \t"])
def test_json_whitespace_around_the_object_is_accepted(ending: str) -> None:
    assert parse_json_line(' {"a": 1}' + ending) == {"a": 1}


@pytest.mark.parametrize("text", ["", "   ", "\n", b""])
def test_empty_line_is_refused(text: str | bytes) -> None:
    assert "empty" in refusal(text).reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("[1, 2]", "an array"),
        ('"text"', "a string"),
        ("3", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ],
)
def test_a_line_that_is_not_an_object_is_refused(text: str, kind: str) -> None:
    assert f"expected one JSON object, got {kind}" in refusal(text).reason


@pytest.mark.parametrize(
    "text", ['{"a": 1} {"b": 2}', '{"a": 1}\n{"b": 2}', '{"a": 1},', '{"a": 1}x']
)
def test_two_objects_or_trailing_data_are_refused(text: str) -> None:
    assert "exactly one object" in refusal(text).reason


def test_invalid_json_is_refused_with_its_column() -> None:
    assert "not valid JSON" in refusal('{"a": 1,}').reason
    assert "column" in refusal("{'a': 1}").reason


@pytest.mark.parametrize(
    "raw", [b'{"a": "\xff"}', b'{"a": "\xc3"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xc0\xaf"}']
)
def test_invalid_utf8_is_refused(raw: bytes) -> None:
    assert "not valid UTF-8" in refusal(raw).reason


@pytest.mark.parametrize("text", ['\ufeff{"a": 1}', b'\xef\xbb\xbf{"a": 1}'])
def test_a_byte_order_mark_is_refused(text: str | bytes) -> None:
    assert "byte-order mark" in refusal(text).reason


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"type": "A", "type": "B"}', "type"),
        ('{"data": {"quote": "x", "quote": "y"}}', "data.quote"),
        ('{"data": {"quote": "x", "quote": "x"}}', "data.quote"),
        ('{"data": {"source": {"name": "a", "url": "u", "name": "b"}}}', "data.source.name"),
        ('{"metadata": {"list": [{"k": 1, "k": 2}]}}', "metadata.list[0].k"),
        ('{"a": "x:y", "a": "x:y"}', "a"),
    ],
)
def test_a_repeated_key_is_refused_at_any_depth(text: str, field: str) -> None:
    error = refusal(text)
    assert error.field == field
    assert f"field '{field}'" in str(error)
    assert "repeated" in error.reason


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    error = refusal('{"metadata": {"score": ' + constant + "}}")
    assert error.field == "metadata.score"
    assert constant in error.reason


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.7976931348623159e308"])
def test_a_float_overflowing_to_infinity_is_refused(number: str) -> None:
    error = refusal('{"metadata": {"x": [1, ' + number + "]}}")
    assert error.field == "metadata.x[1]"
    assert "infinity" in error.reason


@pytest.mark.parametrize(
    "number", [str(2**53), str(-(2**53)), "18446744073709551616", "9" * 5000, "-" + "9" * 40]
)
def test_an_integer_beyond_2_53_is_refused(number: str) -> None:
    error = refusal('{"expected_version": ' + number + "}")
    assert error.field == "expected_version"
    assert "2^53" in error.reason
    assert len(str(error)) < 300  # a huge number is not echoed whole


def test_the_safe_integer_bounds_are_accepted() -> None:
    text = f'{{"a": {MAX_SAFE_INTEGER}, "b": {-MAX_SAFE_INTEGER}}}'
    assert parse_json_line(text) == {"a": MAX_SAFE_INTEGER, "b": -MAX_SAFE_INTEGER}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"data": {"quote": "a\\u0000b"}}', "data.quote"),
        ('{"tags": ["ok", "\\u0000"]}', "tags[1]"),
    ],
)
def test_a_string_holding_nul_is_refused(text: str, field: str) -> None:
    error = refusal(text)
    assert error.field == field
    assert "U+0000" in error.reason


def test_a_key_holding_nul_is_refused_and_shown_escaped() -> None:
    error = refusal('{"data": {"a\\u0000": 1}}')
    assert error.field == "data.a\\u0000"
    assert "\x00" not in str(error)


@pytest.mark.parametrize(
    "escaped", ["\\ud800", "\\udfff", "x\\ud83d", "\\ude00\\ud83d", "\\ud83d\\u0041"]
)
def test_a_lone_surrogate_is_refused(escaped: str) -> None:
    error = refusal('{"data": {"quote": "' + escaped + '"}}')
    assert error.field == "data.quote"
    assert "surrogate" in error.reason


def test_a_raw_lone_surrogate_in_a_python_str_is_refused() -> None:
    error = refusal('{"data": {"quote": "\ud800"}}')
    assert error.field == "data.quote"


def test_a_surrogate_pair_is_one_character() -> None:
    assert parse_json_line('{"q": "\\ud83d\\ude00"}') == {"q": "\U0001f600"}


def test_escaped_colons_and_long_digit_runs_are_read_exactly() -> None:
    text = '{"a\\u003a": "b\\u003Ac", "id": "12345678901234567890", "f": 0.12345678901234567}'
    assert parse_json_line(text) == {
        "a:": "b:c",
        "id": "12345678901234567890",
        "f": 0.12345678901234567,
    }


def test_deep_nesting_is_refused_not_crashed() -> None:
    assert "nested too deeply" in refusal('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}").reason


# Laws ------------------------------------------------------------------------------------------

safe_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(safe_text, children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(safe_text, json_values, max_size=6)


@settings(max_examples=300)
@given(json_objects, st.booleans(), st.booleans(), st.sampled_from([None, 2]))
def test_whatever_json_dumps_writes_of_a_safe_object_is_read_back(
    obj: dict[str, Any], ascii_only: bool, as_bytes: bool, indent: int | None
) -> None:
    text = json.dumps(obj, ensure_ascii=ascii_only, indent=indent)
    parsed = parse_json_line(text.encode() if as_bytes else text)
    assert parsed == obj
    assert json.dumps(parsed) == json.dumps(obj)  # same types: 1 stays int, 1.0 stays float


# Texts built to hit the fast path's blind spots: repeated keys, colons, escapes, big numbers.
_keys = st.sampled_from(["a", "b", "a:b", ":", "\\u003a", "\\u0000", "\\ud800", "é"])
_scalars = st.sampled_from(
    [
        "1",
        "-0",
        "1.0",
        "1e400",
        "9007199254740991",
        "9007199254740992",
        "18446744073709551616",
        '"x:y"',
        '"\\u003a"',
        '"\\u0000"',
        '"\\ud83d\\ude00"',
        '"\\udc00"',
        "NaN",
        "true",
        "null",
        '"\u00e9:"',
        "0.1234567890123456789",
    ]
)


def _texts() -> st.SearchStrategy[str]:
    def obj(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pairs = st.lists(st.tuples(_keys, children), max_size=4)
        return pairs.map(lambda ps: "{" + ",".join(f'"{k}":{v}' for k, v in ps) + "}")

    values = st.recursive(
        _scalars,
        lambda c: obj(c) | st.lists(c, max_size=3).map(lambda vs: "[" + ",".join(vs) + "]"),
        max_leaves=12,
    )
    return obj(values)


def _outcome(fn: Any, arg: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(arg)
    except InvalidInput as exc:
        return "refused", str(exc)


@settings(max_examples=500)
@given(_texts())
def test_the_fast_path_agrees_with_the_reference_decoder(text: str) -> None:
    fast = _fast(text.encode())
    reference = _outcome(lambda t: _reference(t, None), text)
    if fast is not None:
        assert reference == ("ok", fast)
        assert json.dumps(fast) == json.dumps(reference[1])
    assert _outcome(parse_json_line, text) == reference
    assert _outcome(parse_json_line, text.encode()) == reference


@settings(max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 16))
def test_floats_read_by_either_path_are_the_nearest_double(x: float, digits: int) -> None:
    for written in (repr(x), f"{x:.{digits}e}", f"{x:.{digits}E}".replace("E+", "E")):
        if math.isinf(float(written)):
            continue
        parsed = parse_json_line(b'{"x": ' + written.encode() + b"}")["x"]
        assert parsed == float(written) and type(parsed) is float


# check_json_value --------------------------------------------------------------------------------


def test_check_json_value_accepts_json_values() -> None:
    check_json_value({"a": [1, 2.5, "x", None, True, {"b": -MAX_SAFE_INTEGER}]}, "metadata")


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({"x": [1, math.nan]}, "opt.x[1]", "NaN"),
        ({"x": math.inf}, "opt.x", "Infinity"),
        ({"x": 2**53}, "opt.x", "2^53"),
        ({"x": "a\x00"}, "opt.x", "U+0000"),
        ({"x": ["\udcff"]}, "opt.x[0]", "surrogate"),
        ({"x\x00": 1}, "opt.x\\u0000", "U+0000"),
        ({1: "x"}, "opt", "not a string"),
        ({"x": (1, 2)}, "opt.x", "tuple"),
        ("\ud800", "opt", "surrogate"),
    ],
)
def test_check_json_value_refuses_what_a_line_would(value: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_json_value(value, "opt")
    assert info.value.field == field
    assert words in info.value.reason
