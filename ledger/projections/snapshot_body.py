"""A snapshot's body: the head answer as JSON text, and where each of its parts lies in it.

A claim list writes tens of thousands of answers, most of them the head answer cut to a
prefix of each list (see snapshot.py for why a cut at a world time is a prefix). Decoding
the body into dicts and encoding the answer again cost most of `claim list -f jsonl`; with
the offsets of each item, the answer is slices of the stored text joined, and a csv or table
row reads only the index.

The body is one JSON array (orjson, compact) `[n, X, A, R, E]`:

- A, the head answer (docs/answers.md keys, `resolution` null and no `linked_from`/`basis`);
- R, every resolution item in fold order (the answer shows the last one kept);
- E, per slot, each item's occurred_to as an integer;
- X, the index (n is its length in bytes, so it is found without parsing A):
  `[head, statement_at, res_null, links_end, a_size, statement, first, slots, names]`.
  Offsets are in bytes from the start of A (R's from the start of R). `head`: the head
  answer's [status, event_count, first_occurred_at, last_occurred_at, tentative];
  `statement_at`: the first claimant carrying a statement (-1: none; -2: not the answer's
  statement, so a cut answer is built from the decoded body); `res_null`: where A's `null`
  resolution is; `links_end`: just after A's links list; `a_size`: A's length; `statement`
  and `first`: the spans of those values in A; `slots`: per slot, the offset of its list's
  `[` and the end of each item; `names`: the actors of claimants, denials and
  corroborations, then the origins of claimants and corroborations, as their items hold them.

A body written before this layout is `[A, R, E]` (it starts with `[{`): it is answered by
decoding it, as before.
"""

from __future__ import annotations

from typing import Any

import orjson

_dumps = orjson.dumps

#: The head answer's keys in render order: the layout is written only for exactly these.
ANSWER_KEYS = (
    "claim_id", "statement", "status", "claimants", "denials", "corroborations", "retractions",
    "resolution", "sanctions", "links", "event_count", "first_occurred_at", "last_occurred_at",
    "tentative",
)
#: The lists of A, by slot (slot 4, the resolution, is R).
LIST_KEYS = ("claimants", "denials", "corroborations", "retractions", None, "sanctions", "links")
RESOLUTION = 4
NOT_THE_STATEMENT = -2


class Layout:
    """A decoded index, with the body it indexes (a plain class: one is made per answer)."""

    __slots__ = ("body", "a", "r", "head", "statement_at", "res_null", "links_end", "statement",
                 "first", "slots", "names")

    def __init__(
        self, body: bytes, a: int, r: int, head: list[Any], statement_at: int, res_null: int,
        links_end: int, statement: list[int], first: list[int], slots: list[list[int]],
        names: list[list[Any]],
    ) -> None:
        self.body = body
        self.a = a  # where A starts in body
        self.r = r  # where R starts in body
        self.head = head
        self.statement_at = statement_at
        self.res_null = res_null
        self.links_end = links_end
        self.statement = statement
        self.first = first
        self.slots = slots
        self.names = names

    def items(self, slot: int, count: int | None = None) -> bytes:
        """The slot's list (its first `count` items) as JSON text."""
        offsets = self.slots[slot]
        kept = len(offsets) - 1
        if count is not None and count < kept:
            kept = count
        if kept == 0:
            return b"[]"
        base = self.r if slot == RESOLUTION else self.a
        return self.body[base + offsets[0] : base + offsets[kept]] + b"]"

    def item(self, slot: int, index: int) -> bytes:
        """One item of a slot as JSON text."""
        offsets = self.slots[slot]
        base = self.r if slot == RESOLUTION else self.a
        return self.body[base + offsets[index] + 1 : base + offsets[index + 1]]

    def span(self, where: list[int]) -> bytes:
        return self.body[self.a + where[0] : self.a + where[1]]


def encode(answer: dict[str, Any], resolutions: list[Any], ends: list[list[int]]) -> bytes:
    """The body of a head answer (its `resolution` None), its resolutions and items' ends."""
    if tuple(answer) != ANSWER_KEYS or answer["resolution"] is not None:
        return _dumps([answer, resolutions, ends])  # answered by decoding, like an old body
    # A compact orjson document is its parts' encodings joined: A is written piece by piece
    # and equals _dumps(answer), with the offsets noted on the way.
    a = bytearray(b'{"claim_id":')
    a += _dumps(answer["claim_id"])
    a += b',"statement":'
    statement = (len(a), len(a) + len(encoded := _dumps(answer["statement"])))
    a += encoded
    a += b',"status":'
    a += _dumps(answer["status"])
    slots: list[list[int]] = [[] for _ in LIST_KEYS]
    res_null = 0
    for slot, key in enumerate(LIST_KEYS):
        if key is None:
            a += b',"resolution":'
            res_null = len(a)
            a += b"null"
            continue
        a += b',"' + key.encode() + b'":'
        slots[slot] = _write_list(a, answer[key])
    links_end = len(a)
    a += b',"event_count":'
    a += _dumps(answer["event_count"])
    a += b',"first_occurred_at":'
    first = (len(a), len(a) + len(encoded := _dumps(answer["first_occurred_at"])))
    a += encoded
    a += b',"last_occurred_at":'
    a += _dumps(answer["last_occurred_at"])
    a += b',"tentative":'
    a += _dumps(answer["tentative"])
    a += b"}"
    r = bytearray()
    slots[RESOLUTION] = _write_list(r, resolutions)
    claimants = answer["claimants"]
    corroborations = answer["corroborations"]
    index = _dumps([
        [answer[k] for k in ("status", "event_count", "first_occurred_at", "last_occurred_at",
                             "tentative")],
        _statement_at(answer),
        res_null,
        links_end,
        len(a),
        statement,
        first,
        slots,
        [
            [i.get("actor") for i in claimants],
            [i.get("actor") for i in answer["denials"]],
            [i.get("actor") for i in corroborations],
            [i.get("origin") for i in claimants],
            [i.get("origin") for i in corroborations],
        ],
    ])
    return b"".join(
        (b"[", _dumps(len(index)), b",", index, b",", a, b",", r, b",", _dumps(ends), b"]")
    )


def _write_list(out: bytearray, items: list[Any]) -> list[int]:
    offsets = [len(out)]
    out += b"["
    for number, item in enumerate(items):
        if number:
            out += b","
        out += _dumps(item)
        offsets.append(len(out))
    out += b"]"
    return offsets


def _statement_at(answer: dict[str, Any]) -> int:
    """The first claimant carrying a statement: a prefix of the claimants shows its statement
    exactly when it holds that claimant (see snapshot._statement)."""
    for number, item in enumerate(answer["claimants"]):
        if isinstance(item.get("statement"), str):
            return number if item["statement"] == answer["statement"] else NOT_THE_STATEMENT
    return -1 if answer["statement"] is None else NOT_THE_STATEMENT


def decode(body: bytes) -> tuple[dict[str, Any], list[Any], list[list[int]]]:
    """The head answer, resolutions and ends, as dicts and lists of their own."""
    parts = orjson.loads(body)
    if len(parts) == 3:  # a body answered by decoding (see `encode`)
        return parts[0], parts[1], parts[2]
    return parts[2], parts[3], parts[4]


def layout(body: bytes) -> Layout | None:
    """The body's index, or None for a body without one."""
    if body[1:2] in (b"{", b"["):
        return None
    comma = body.index(b",", 1)
    start = comma + 1
    size = int(body[1:comma])
    head, statement_at, res_null, links_end, a_size, statement, first, slots, names = (
        orjson.loads(body[start : start + size])
    )
    a = start + size + 1
    return Layout(
        body, a, a + a_size + 1, head, statement_at, res_null, links_end, statement, first,
        slots, names,
    )
