"""Strict parsing of one NDJSON line into one JSON object.

The ledger hashes and compares what it stores, so a line must mean exactly one thing in every
JSON implementation: no repeated keys (parsers disagree on which one wins), no NaN or Infinity
(not JSON), no integers a double cannot hold exactly (JavaScript and JCS would change them), no
U+0000 or lone surrogates (PostgreSQL JSONB and UTF-8 cannot store them).

The stdlib decoder with strict hooks is the reference. orjson is tried first because it is faster
(about twice on a typical event line, more on non-ASCII text); its answer is used only when the
checks in `_fast` prove that the reference would have returned the same object. On any doubt the
reference decides and words the error.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from ledger.domain.errors import InvalidInput

MAX_SAFE_INTEGER = 2**53 - 1
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
_JSON_SPACE = " \t\r\n"
# A bytes.translate table and a substring test find a run of 16 digits faster than a regex.
_DIGITS_AS_0 = bytes.maketrans(b"123456789", b"000000000")
_SIXTEEN_DIGITS = b"0" * 16


class _Refused(Exception):
    """Raised by a strict hook: the line is refused, the diagnostic pass finds where and why."""


class _Marker:
    """Stands in for a refused value during the diagnostic pass, so the walk can name its path."""

    __slots__ = ("key", "reason")

    def __init__(self, reason: str, key: str | None = None) -> None:
        self.reason = reason
        self.key = key


def parse_json_line(text: str | bytes, line: int | None = None) -> dict[str, Any]:
    """Parse exactly one JSON object, refusing anything two JSON readers could read differently."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = text if isinstance(text, bytes) else bytes(text)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise _bom(line)
        fast = _fast(raw)
        if fast is not None:
            return fast
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"not valid UTF-8 (byte {exc.start + 1} of the line: {exc.reason}); "
                "save the file as UTF-8",
                line=line,
            ) from None
        return _reference(decoded, line)
    if not isinstance(text, str):
        raise TypeError(f"parse_json_line takes str or bytes, not {type(text).__name__}")
    if text.startswith("\ufeff"):
        raise _bom(line)
    try:
        fast = _fast(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: the reference words the refusal
        fast = None
    return fast if fast is not None else _reference(text, line)


def check_json_value(value: Any, field: str) -> None:
    """Apply the line's checks to a value built in Python (CLI options, programmatic input)."""
    problem = _problem(value, field)
    if problem is not None:
        raise InvalidInput(problem[1], field=problem[0] or None)


def _bom(line: int | None) -> InvalidInput:
    return InvalidInput(
        "starts with a byte-order mark (U+FEFF); save the file as UTF-8 without BOM", line=line
    )


def _fast(doc: bytes) -> dict[str, Any] | None:
    """orjson's answer when it provably equals the reference decoder's, else None."""
    # orjson itself refuses NaN/Infinity, overflow to infinity, lone surrogates, raw control
    # characters, invalid UTF-8, a BOM and trailing data. It lets through:
    # - an escaped U+0000: any such line holds the text \u0000;
    # - integers beyond 2^53 (turning those beyond 64 bits into floats): any such line holds
    #   a run of 16 digits;
    # - repeated keys, keeping the last: the colon count below catches them, unless an escaped
    #   colon (\u003a) upsets it.
    if b"\\u0000" in doc or b"\\u003" in doc or _SIXTEEN_DIGITS in doc.translate(_DIGITS_AS_0):
        return None
    try:
        value = orjson.loads(doc)
        # Every ':' of the line is a key separator or a literal ':' in a string; orjson writes
        # one ':' per key it kept and the same literal ones. A repeated key, collapsed into one,
        # makes the counts differ.
        if type(value) is not dict or orjson.dumps(value).count(b":") != doc.count(b":"):
            return None
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return value


def _refuse_constant(name: str) -> Any:
    raise _Refused


def _strict_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused
    return value


def _strict_int(text: str) -> int:
    # The length test keeps int() away from huge digit strings (and its 4300-digit limit).
    if len(text) > 17:
        raise _Refused
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _Refused
    return value


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused
    return result


def _marking_constant(name: str) -> Any:
    return _Marker(f"{name} is not a JSON number; the ledger refuses NaN and Infinity")


def _marking_float(text: str) -> Any:
    value = float(text)
    if math.isinf(value):
        return _Marker(f"number {_short(text)} overflows to infinity; the ledger refuses it")
    return value


def _marking_int(text: str) -> Any:
    if len(text) <= 17 and -MAX_SAFE_INTEGER <= int(text) <= MAX_SAFE_INTEGER:
        return int(text)
    return _Marker(
        f"integer {_short(text)} is beyond ±(2^53−1) and would lose precision; write it as a string"
    )


def _marking_pairs(pairs: list[tuple[str, Any]]) -> Any:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            return _Marker("the key is repeated in its object; give each key once", key)
        result[key] = value
    return result


_STRICT = json.JSONDecoder(
    object_pairs_hook=_strict_pairs,
    parse_float=_strict_float,
    parse_int=_strict_int,
    parse_constant=_refuse_constant,
)
_MARKING = json.JSONDecoder(
    object_pairs_hook=_marking_pairs,
    parse_float=_marking_float,
    parse_int=_marking_int,
    parse_constant=_marking_constant,
)


def _reference(text: str, line: int | None) -> dict[str, Any]:
    if not text.strip(_JSON_SPACE):
        raise InvalidInput("empty line: expected one JSON object", line=line)
    try:
        value = _STRICT.decode(text)
    except json.JSONDecodeError as exc:
        raise _syntax(exc, line) from None
    except (_Refused, RecursionError):
        raise _diagnose(text, line) from None
    if type(value) is not dict:
        raise InvalidInput(f"expected one JSON object, got {json_kind(value)}", line=line)
    # Only an escape or a raw surrogate in a str can smuggle U+0000 or a lone surrogate in.
    if not text.isascii() or "\\u" in text:
        problem = _problem(value, "")
        if problem is not None:
            raise InvalidInput(problem[1], field=problem[0] or None, line=line)
    return value


def _diagnose(text: str, line: int | None) -> InvalidInput:
    try:
        value = _MARKING.decode(text)
        problem = _problem(value, "")
    except RecursionError:
        return InvalidInput("JSON nested too deeply", line=line)
    if type(value) is not dict and not (type(value) is _Marker and value.key is not None):
        return InvalidInput(f"expected one JSON object, got {json_kind(value)}", line=line)
    if problem is None:  # pragma: no cover - the strict hooks and the markers agree
        return InvalidInput("not a valid JSON line", line=line)
    return InvalidInput(problem[1], field=problem[0] or None, line=line)


def _syntax(exc: json.JSONDecodeError, line: int | None) -> InvalidInput:
    if exc.msg == "Extra data":
        return InvalidInput(
            f"more than one JSON value on the line (trailing data at column {exc.colno}); "
            "a line holds exactly one object",
            line=line,
        )
    return InvalidInput(f"not valid JSON: {exc.msg} at column {exc.colno}", line=line)


def _problem(value: Any, path: str) -> tuple[str, str] | None:
    """The first (path, reason) that makes `value` unacceptable, in document order."""
    kind = type(value)
    if kind is str:
        return _string_problem(value, path, "string")
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return path, f"object key {key!r} is not a string"
            sub = f"{path}.{key}" if path else key
            found = _string_problem(key, path, "key") or _problem(item, sub)
            if found is not None:
                return found
        return None
    if kind is list:
        for index, item in enumerate(value):
            found = _problem(item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if kind is _Marker:
        if value.key is None:
            return path, value.reason
        return (f"{path}.{value.key}" if path else value.key), value.reason
    if value is None or kind is bool:
        return None
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return None
        return path, "integer is beyond ±(2^53−1) and would lose precision; write it as a string"
    if kind is float:
        return None if math.isfinite(value) else (path, "NaN and Infinity are not JSON numbers")
    return path, f"expected a JSON value, got a Python {kind.__name__}"


def _string_problem(text: str, path: str, what: str) -> tuple[str, str] | None:
    """For a key, `path` is its object's: the path named shows the key with the bad escape."""
    if "\x00" not in text:
        if text.isascii():
            return None
        try:
            text.encode("utf-8")  # refuses surrogates, and is much faster than the regex
            return None
        except UnicodeEncodeError:
            pass
    match = _BAD_CHAR.search(text)
    if match is None:  # pragma: no cover - encode() refused a surrogate the regex finds
        return None
    char = match.group()
    if what == "key":
        shown = _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        path = f"{path}.{shown}" if path else shown
    if char == "\x00":
        return path, f"the {what} holds U+0000 (NUL), which the ledger cannot store"
    return path, f"the {what} holds a lone surrogate U+{ord(char):04X}, which is not text"


def json_kind(value: object) -> str:
    """How a value reads in a message: `a string`, `an array`, `null`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, _Marker)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"
