"""What the full-text index holds, derived from the log alone (pure: no database, no clock).

The index is bitemporal: one row per (event, field, text version). A row is the record's from
`valid_from` (the position of the event, or of the correction that gave the text) until
`valid_to` (the correction or void that replaced it; None while current), and carries the
event's occurred interval for that version, so a question at (P, E) keeps the rows with
`valid_from <= P < valid_to` and applies the as_of rule to the row's own interval. Errata and
actor events are facts about the record: their rows have no interval (never cut by as_of).

Row ids are `position << SEQ_BITS | seq`, `seq` counting the rows of one event in the order
they are created. Rows derive deterministically from a claim's events, so incremental indexing,
a rebuild and the memory store all produce the same ids, and the rows of a longer log extend
those of its prefix (rows are only added or closed, never changed otherwise).

Also here: the documented query syntax (words, "phrases", prefix*, OR) parsed into terms
that each engine translates into its own query language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ledger.domain.errata import apply_correction
from ledger.domain.errors import InvalidInput
from ledger.domain.model import ERRATA_TYPES, Interval

SEQ_BITS = 20

#: Data fields indexed as text, in the order an event's rows are created.
TEXT_FIELDS = (
    "statement", "quote", "reason", "note", "evidence", "claimant", "denier", "corroborator",
    "retractor", "resolver", "threatened_by", "imposed_by", "target", "attributed_to", "origin",
    "authority", "condition", "measures", "name", "alias", "affiliation",
)
ARRAY_FIELDS = ("aliases",)
SOURCE_FIELD = "source"  # indexed: the source's name
#: The number each field is stored as; append new fields at the end (stored rows keep theirs).
FIELD_NAMES = TEXT_FIELDS + ARRAY_FIELDS + (SOURCE_FIELD,)
FIELD_CODES = {name: code for code, name in enumerate(FIELD_NAMES)}

#: Event types whose rows are not subject to as_of (they happen when recorded).
ACTOR_TYPES = frozenset({"ActorRegistered", "ActorAliased", "ActorUnaliased"})
TIMELESS_TYPES = ERRATA_TYPES | ACTOR_TYPES

Key = tuple[str, int | None]  # (field, array index)


class Row(NamedTuple):
    """One indexed text of one event, valid over positions [valid_from, valid_to).

    A tuple, not a dataclass: a bulk import builds several per event, and a frozen dataclass
    costs several times as much to construct.
    """

    id: int
    source: int  # the position whose data holds the text (the event or a correction)
    field: str
    item: int | None
    valid_from: int
    valid_to: int | None
    occurred_from: int | None
    occurred_to: int | None
    text: str
    moved: bool = False  # a correction moved the event: the interval differs from the stored one

    @property
    def position(self) -> int:
        return self.id >> SEQ_BITS


def texts_of(event_type: str, data: Mapping[str, Any]) -> dict[Key, str]:
    """The indexed texts of an event's data, in creation order."""
    out: dict[Key, str] = {}
    get = data.get
    for name in TEXT_FIELDS:
        value = get(name)
        if isinstance(value, str) and value.strip():
            out[(name, None)] = value
    for name in ARRAY_FIELDS:
        values = get(name)
        if isinstance(values, list):
            for i, value in enumerate(values):
                if isinstance(value, str) and value.strip():
                    out[(name, i)] = value
    source = get(SOURCE_FIELD)
    if isinstance(source, dict):
        value = source.get("name")
        if isinstance(value, str) and value.strip():
            out[(SOURCE_FIELD, None)] = value
    return out


def own_texts(event_type: str, data: Mapping[str, Any]) -> tuple[tuple[int, int | None, str], ...]:
    """An event's own rows as (field code, array index, text), in creation (sequence) order."""
    return tuple(
        (FIELD_CODES[name], item, text) for (name, item), text in texts_of(event_type, data).items()
    )


def _changed(key: Key, changes: Mapping[str, Any]) -> bool:
    return key[0] in changes


@dataclass(slots=True)
class _Current:
    """One event's state while a claim's rows are derived."""

    position: int
    type: str
    data: dict[str, Any]
    occurred: Interval | None
    stored: Interval | None
    open: dict[Key, int] = field(default_factory=dict)  # key -> index in the rows list
    seq: int = 0


def event_rows(e: Any) -> list[Row]:
    """The rows one event opens by itself: `claim_rows([e])`, without the errata machinery
    (the path of nearly every appended event)."""
    position = e.position
    base = position << SEQ_BITS
    start, end = (None, None) if e.type in TIMELESS_TYPES else (e.occurred_from, e.occurred_to)
    return [
        Row(base | seq, position, key[0], key[1], position, None, start, end, text)
        for seq, (key, text) in enumerate(texts_of(e.type, e.data).items())
    ]


def claim_rows(events: Iterable[Any]) -> list[Row]:
    """Every row of one stream (claim or actor), from its events in position order."""
    rows: list[Row] = []
    live: dict[str, _Current] = {}

    def open_row(cur: _Current, key: Key, text: str, source: int, at: int) -> None:
        start, end = (None, None) if cur.occurred is None else (cur.occurred.start, cur.occurred.end)
        rows.append(
            Row((cur.position << SEQ_BITS) | cur.seq, source, key[0], key[1], at, None, start, end,
                text, cur.occurred != cur.stored)
        )
        cur.seq += 1
        cur.open[key] = len(rows) - 1

    def close_row(cur: _Current, key: Key, at: int) -> None:
        index = cur.open.pop(key)
        rows[index] = rows[index]._replace(valid_to=at)

    for e in sorted(events, key=lambda x: x.position):
        timeless = e.type in TIMELESS_TYPES
        occurred = None if timeless else Interval(e.occurred_from, e.occurred_to)
        cur = _Current(e.position, e.type, dict(e.data), occurred, occurred)
        for key, text in texts_of(e.type, e.data).items():
            open_row(cur, key, text, e.position, e.position)
        if e.type == "ActorUnaliased":  # before it joins `live`: its own text stays found
            _close_alias(live, str(e.data.get("alias", "")), e.position, close_row, rows)
        if e.type not in ERRATA_TYPES:
            live[e.event_id] = cur
            continue
        target = live.get(str(e.data.get("target_event_id")))
        if target is None:
            continue  # refused by the store; a derived index must not crash on it
        if e.type == "RecordVoided":
            for key in list(target.open):
                close_row(target, key, e.position)
            del live[e.data["target_event_id"]]
            continue
        changes = e.data.get("changes") or {}
        old_texts = {k: rows[i].text for k, i in target.open.items()}
        old_sources = {k: rows[i].source for k, i in target.open.items()}
        if target.occurred is None:
            data, occurred = apply_correction(target.data, Interval(0, 0), changes)[0], None
        else:
            data, occurred = apply_correction(target.data, target.occurred, changes)
        moved = occurred != target.occurred
        target.data, target.occurred = data, occurred
        new_texts = texts_of(target.type, data)
        for key in list(old_texts.keys() | new_texts.keys()):
            new: str | None = new_texts.get(key)
            if key in target.open and (moved or new != old_texts[key]):
                close_row(target, key, e.position)
            if new is not None and key not in target.open:
                same = new == old_texts.get(key) and not _changed(key, changes)
                source = old_sources[key] if same else e.position
                open_row(target, key, new, source, e.position)
    return rows


def _close_alias(
    live: Mapping[str, _Current],
    alias: str,
    at: int,
    close_row: Callable[[_Current, Key, int], None],
    rows: Sequence[Row],
) -> None:
    """After an unalias, the alias no longer finds the registration that gave it."""
    wanted = fold(alias)
    for cur in live.values():
        for key, index in list(cur.open.items()):
            if key[0] in ("alias", "aliases") and fold(rows[index].text) == wanted:
                close_row(cur, key, at)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one append does to the index: rows to add, and (id, valid_to) of rows it closes."""

    inserts: list[Row]
    closes: list[tuple[int, int]]


def rewritten_streams(added: Iterable[Any]) -> set[str]:
    """The streams whose rows an append may change beyond adding its events' own texts."""
    return {e.claim_id for e in added if e.type in ERRATA_TYPES or e.type == "ActorUnaliased"}


def plan_index(
    added: Sequence[Any], claim_events: Callable[[str], Sequence[Any]]
) -> Plan:
    """The index changes for newly stored events (`claim_events`: a stream's events, all)."""
    rewritten = rewritten_streams(added)
    inserts: list[Row] = []
    closes: list[tuple[int, int]] = []
    for e in added:
        if e.claim_id not in rewritten:
            inserts.extend(event_rows(e))
    for claim_id in sorted(rewritten):
        events = claim_events(claim_id)
        first = min(e.position for e in added if e.claim_id == claim_id)
        before = {r.id: r for r in claim_rows(e for e in events if e.position < first)}
        for row in claim_rows(events):
            old = before.get(row.id)
            if old is None:
                inserts.append(row)
            elif old.valid_to != row.valid_to and row.valid_to is not None:
                closes.append((row.id, row.valid_to))
    return Plan(inserts, closes)


# -- text folding and the query syntax -----------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without diacritics, as both engines' indexes compare words."""
    if text.isascii():  # nothing to decompose: NFKD leaves ASCII as it is
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    """The words of a text: runs of letters and digits, folded."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear in this order (one word: anywhere); `prefix`: the last one
    matches any word it begins."""

    words: tuple[str, ...]
    prefix: bool = False


#: A query: any of the alternatives (OR), each requiring all of its terms.
Query = tuple[tuple[Term, ...], ...]

MAX_TERMS = 32
_PIECE = re.compile(r'"([^"]*)"(\*?)|(\S+)')


def parse_query(text: str) -> Query:
    """Words, "exact phrases", prefix* and OR into a Query; an error names what is wrong."""
    if text.count('"') % 2:
        raise InvalidInput(
            'the query has an unclosed quote ("); write "words in this order" with both quotes',
            field="text",
        )
    alternatives: list[list[Term]] = [[]]
    count = 0
    for match in _PIECE.finditer(text):
        quoted, star, bare = match.groups()
        if bare == "OR":
            if not alternatives[-1]:
                raise InvalidInput(
                    "OR needs a word or phrase on both sides, e.g. peskov OR kremlin",
                    field="text",
                )
            alternatives.append([])
            continue
        prefix = bool(star)
        if bare is not None:
            if '"' in bare:
                raise InvalidInput(
                    f"'{bare}': a quote may only start or end a phrase", field="text"
                )
            prefix = bare.endswith("*")
            bare = bare.rstrip("*")
            if "*" in bare:
                raise InvalidInput(
                    f"'{bare}*': * may only end a word (prefix search), e.g. pants*",
                    field="text",
                )
        words = tuple(tokens(quoted if quoted is not None else bare or ""))
        if not words:
            if prefix:
                raise InvalidInput("a prefix needs at least one letter or digit before *", field="text")
            continue
        count += 1
        alternatives[-1].append(Term(words, prefix))
    if len(alternatives) > 1 and not alternatives[-1]:
        raise InvalidInput(
            "OR needs a word or phrase on both sides, e.g. peskov OR kremlin", field="text"
        )
    if count == 0:
        raise InvalidInput(
            "nothing to search for: give a word, a \"phrase\" or a prefix*", field="text"
        )
    if count > MAX_TERMS:
        raise InvalidInput(f"the query has {count} terms; at most {MAX_TERMS}", field="text")
    return tuple(tuple(a) for a in alternatives)
