"""The memory store's full-text index: the same bitemporal rows, matched in Python.

The words are compared after a light suffix stemmer (`denied`, `denies` and `deny` share the
stem `deni`), close to what the engines' stemmers do for everyday English, without their
dictionaries; ranks are simple term counts. It is the fast fake for tests of the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ledger.store.search_index import SEQ_BITS, Query, Row, Term, fold, plan_index, tokens

_WORD = re.compile(r"[^\W_]+")


def stem(word: str) -> str:
    """A light English stemmer: plural, past and -ing forms, and a final e or y."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 2 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def _matches(term: Term, stems: Sequence[str]) -> set[int]:
    """The indexes of the words of `stems` that this term matches (empty: no match)."""
    wanted = [stem(w) for w in term.words]
    n = len(wanted)
    found: set[int] = set()
    for i in range(len(stems) - n + 1):
        head_ok = all(stems[i + k] == wanted[k] for k in range(n - 1))
        last = stems[i + n - 1]
        last_ok = last.startswith(wanted[-1]) if term.prefix else last == wanted[-1]
        if head_ok and last_ok:
            found.update(range(i, i + n))
    return found


class MemorySearch:
    """Rows by id, updated by each append (and taken back by a rolled-back stream)."""

    def __init__(
        self, claim_events: Callable[[str], Sequence[Any]], event_at: Callable[[int], Any]
    ) -> None:
        self._claim_events = claim_events
        self._event_at = event_at
        self._rows: dict[int, Row] = {}

    def add(self, added: Sequence[Any]) -> None:
        plan = plan_index(added, self._claim_events)
        for row in plan.inserts:
            self._rows[row.id] = row
        for id_, valid_to in plan.closes:
            self._rows[id_] = self._rows[id_]._replace(valid_to=valid_to)

    def truncate(self, length: int) -> None:
        """Forget what the events after position `length` did to the index."""
        for id_, row in list(self._rows.items()):
            if row.position > length or row.valid_from > length:
                del self._rows[id_]
            elif row.valid_to is not None and row.valid_to > length:
                self._rows[id_] = row._replace(valid_to=None)

    def search(
        self,
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
        event_at = self._event_at
        hits: list[tuple[float, int, set[int]]] = []
        for row in self._rows.values():
            if not (row.valid_from <= position and (row.valid_to is None or row.valid_to > position)):
                continue
            timed = as_of is not None and row.occurred_from is not None
            if timed and (row.occurred_from >= as_of or (certain and row.occurred_to > as_of)):  # type: ignore[operator]
                continue
            event = event_at(row.position)
            if claim_id is not None and event.claim_id != claim_id:
                continue
            if type is not None and event.type != type:
                continue
            stems = [stem(w) for w in tokens(row.text)]
            marked = _match_query(query, stems)
            if marked:
                hits.append((len(marked) / (1 + len(stems)), row.id, marked))
        hits.sort(key=lambda h: (-h[0], h[1]))
        page = hits[offset:] if limit is None else hits[offset : offset + limit]
        out = []
        for rank, id_, marked in page:
            row, event = self._rows[id_], event_at(id_ >> SEQ_BITS)
            out.append({
                "claim_id": event.claim_id, "event_id": event.event_id, "position": row.position,
                "type": event.type, "field": row.field, "snippet": _snippet(row.text, marked),
                "rank": round(rank, 6),
            })
        return out


def _match_query(query: Query, stems: Sequence[str]) -> set[int]:
    for alternative in query:
        marked: set[int] = set()
        for term in alternative:
            found = _matches(term, stems)
            if not found:
                break
            marked |= found
        else:
            return marked
    return set()


def _snippet(text: str, marked: set[int]) -> str:
    """The text with the matched words between [ and ]."""
    out, last, index = [], 0, 0
    for m in _WORD.finditer(text):
        # A word of the original text may fold into several (or none); count what it became.
        n = len(tokens(m.group()))
        if any(i in marked for i in range(index, index + n)):
            out.append(text[last : m.start()] + "[" + m.group() + "]")
            last = m.end()
        index += n
    out.append(text[last:])
    return "".join(out)


__all__ = ["MemorySearch", "fold", "stem"]
