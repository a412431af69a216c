"""What a page of the web view shows, asked at one basis: resolve P once, answer all at `@P`.

A claim page shows several answers (the claim, why, its timelines, its history); asking each
with the reader's `known_at` text would let an append between two of them mix two bases, so
the position is resolved first and every answer is asked at `@P`. An answer whose question is
not part of this build (its module is missing) is reported as unavailable instead of failing
the whole page.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger


def _optional(ask: Callable[[], Any]) -> dict[str, Any]:
    """{"value": ...} or {"unavailable": reason} when the question is not in this build."""
    try:
        return {"value": ask()}
    except (ImportError, AttributeError) as exc:
        return {"unavailable": f"not available in this build ({type(exc).__name__}: {exc})"}


# A picture at `known_at=@P` never changes (an answer at a past basis never does), and
# drawing it is by far the slowest part of a claim page: keep the last few per ledger.
_PICTURES_KEPT = 128
_pictures: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[str, int, str], str]] = (
    weakref.WeakKeyDictionary()
)
_pictures_lock = threading.Lock()
_drawing_lock = threading.Lock()


def _picture(ledger: Ledger, claim: str, basis: dict[str, Any]) -> dict[str, Any]:
    key = (claim, int(basis["position"]), str(basis["head_hash"]))
    with _pictures_lock:
        kept = _pictures.setdefault(ledger, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return {"value": kept[key]}

    def draw() -> str:
        # One drawing at a time: the picture sets matplotlib's process-wide rc parameters.
        with _drawing_lock:
            drawn = ledger.timeline_picture(claim, known_at=f"@{key[1]}", fmt="svg")
        return drawn.decode("utf-8") if isinstance(drawn, bytes) else str(drawn)

    found = _optional(draw)
    if "value" in found:
        with _pictures_lock:
            kept[key] = found["value"]
            while len(kept) > _PICTURES_KEPT:
                kept.popitem(last=False)
    return found


def claim_page(
    ledger: Ledger,
    claim: str,
    *,
    as_of: str | None,
    known_at: str | None,
    certain: bool,
    tz: Any = None,
) -> dict[str, Any]:
    """The claim answer, why, its timeline (data and picture) and history, all at one P."""
    basis = ledger.basis(as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    pinned = f"@{basis['position']}"
    answer = ledger.show(claim, as_of=as_of, known_at=pinned, certain=certain, tz=tz)
    history = [row for row in ledger.history(claim, tz=tz) if row["position"] <= basis["position"]]
    return {
        "basis": basis,
        "claim": answer,
        "why": _optional(
            lambda: ledger.why(claim, as_of=as_of, known_at=pinned, certain=certain, tz=tz)
        ),
        "timeline": _optional(lambda: ledger.timeline(claim, known_at=pinned, tz=tz)),
        "picture": _picture(ledger, claim, basis),
        "history": history,
    }


# How many hits a search page counts before it says "more than": counting every hit of a
# common word in a big ledger would cost more than ranking the page shown.
SEARCH_COUNTED = 1000


def search_page(
    ledger: Ledger,
    text: str,
    *,
    as_of: str | None,
    known_at: str | None,
    certain: bool,
    limit: int,
    offset: int,
    tz: Any = None,
) -> dict[str, Any]:
    """One page of ranked hits at one P, and how many in all (`total`; None: `more_than`)."""
    basis = ledger.basis(as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    pinned = f"@{basis['position']}"
    found: dict[str, Any] = {"basis": basis, "hits": [], "total": 0, "more_than": None}
    if not text.strip():
        return found
    wanted = max(SEARCH_COUNTED, offset + limit) + 1
    hits = _optional(
        lambda: ledger.search(
            text, as_of=as_of, known_at=pinned, certain=certain, limit=wanted, tz=tz
        )
    )
    if "unavailable" in hits:
        return {**found, "unavailable": hits["unavailable"]}
    counted = hits["value"]
    complete = len(counted) < wanted
    return {
        **found,
        "hits": counted[offset : offset + limit],
        "total": len(counted) if complete else None,
        "more_than": None if complete else wanted - 1,
    }


def actor_page(
    ledger: Ledger,
    actor_id: str,
    *,
    as_of: str | None,
    known_at: str | None,
    certain: bool,
    tz: Any = None,
) -> dict[str, Any]:
    """The actor and its claims by role, at one P."""
    basis = ledger.basis(as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    pinned = f"@{basis['position']}"
    found = _optional(
        lambda: ledger.actor(actor_id, as_of=as_of, known_at=pinned, certain=certain, tz=tz)
    )
    if "unavailable" in found:
        return {"basis": basis, "actor": {"actor_id": actor_id}, **found}
    return {"basis": basis, "actor": found["value"]}


def site(
    ledger: Ledger, *, as_of: str | None, known_at: str | None, certain: bool, tz: Any = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every page of a static site at one pinned basis, as (kind, page): list, claim, actor, verify.

    The position is resolved once; every later answer is asked at `@P`, so the site says what
    the ledger said at that one moment even while appends go on.
    """
    basis = ledger.basis(as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    pinned = f"@{basis['position']}"
    claims = ledger.list(as_of=as_of, known_at=pinned, certain=certain, tz=tz)
    yield "list", {"basis": basis, "claims": list(claims), "total": len(claims)}
    actor_ids: set[str] = set()
    for answer in claims:
        page = claim_page(
            ledger, answer["claim_id"], as_of=as_of, known_at=pinned, certain=certain, tz=tz
        )
        page["basis"] = basis
        actor_ids.update(_actor_ids(page["claim"]))
        yield "claim", page
    for actor_id in sorted(actor_ids):
        page = actor_page(ledger, actor_id, as_of=as_of, known_at=pinned, certain=certain, tz=tz)
        page["basis"] = basis
        yield "actor", page
    yield "verify", {"basis": basis, "verify": ledger.verify()}


def _actor_ids(answer: dict[str, Any]) -> set[str]:
    found = set()
    for value in answer.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and item.get("actor_id"):
                    found.add(str(item["actor_id"]))
    return found
