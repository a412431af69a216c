"""The claims for other tools: TimelineJS3 JSON and schema.org ClaimReview JSON-LD.

Both are built from the claim answers (docs/answers.md) at one basis, so an export says exactly
what `claim list` says at that basis. An imprecise time (a month, an interval of days) keeps
its written precision: TimelineJS gets only the date parts it knows plus a `display_date` in
the ledger's own notation, never an invented day or hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ledger.domain.errors import InvalidInput
from ledger.domain.time import describe_interval, from_us, parse_instant

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

KINDS = ("timelinejs", "claimreview")

# (answer list, what the actor did, the field that says what was said)
_ITEMS = (
    ("claimants", "asserted", "statement"),
    ("denials", "denied", "statement"),
    ("corroborations", "corroborated", "evidence"),
    ("retractions", "retracted", "reason"),
    ("sanctions", "threatened or imposed sanctions", "condition"),
)
_RATING = {"confirmed": 5, "refuted": 1}


def export_as(
    ledger: Ledger,
    kind: str,
    *,
    as_of: str | None,
    known_at: str | None,
    certain: bool,
    tz: Any = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    """The export of `kind` at one basis (every claim, in claim-id order)."""
    if kind not in KINDS:
        raise InvalidInput(f"'{kind}' is not an export kind: use {' or '.join(KINDS)}", field="as")
    answers = ledger.list(as_of=as_of, known_at=known_at, certain=certain, tz=tz)
    basis = answers.basis.to_json()
    if kind == "timelinejs":
        return timelinejs(list(answers), basis)
    return claimreview(list(answers))


# -- TimelineJS3 ----------------------------------------------------------------------------


def _date(us: int) -> dict[str, int]:
    moment = from_us(us)
    parts = {"year": moment.year, "month": moment.month, "day": moment.day}
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        parts.update(hour=moment.hour, minute=moment.minute, second=moment.second)
        if moment.microsecond:
            parts["millisecond"] = moment.microsecond // 1000
    return parts


def timeline_dates(start: int, end: int) -> dict[str, Any]:
    """TimelineJS `start_date` (and `end_date` for an interval) for `[start, end)`.

    A year or a month is given as just its year (and month); a span of whole days ends on its
    last day (inclusive, as TimelineJS reads it); `display_date` says it as written.
    """
    written = describe_interval(start, end)
    first, after = from_us(start), from_us(end)
    year_start = first == datetime(first.year, 1, 1, tzinfo=UTC)
    if year_start and after == datetime(first.year + 1, 1, 1, tzinfo=UTC):
        return {"start_date": {"year": first.year, "display_date": written}}
    month_after = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC)
    if first.day == 1 and _midnight(first) and after == month_after:
        return {"start_date": {"year": first.year, "month": first.month, "display_date": written}}
    dates: dict[str, Any] = {"start_date": {**_date(start), "display_date": written}}
    day = 86_400_000_000
    if _midnight(first) and _midnight(after):
        if end - start > day:
            dates["end_date"] = _date(end - day)
    elif end - start > 1_000_000:
        dates["end_date"] = _date(end)
    return dates


def _midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _events_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    rows = [(key, verb, field, item) for key, verb, field in _ITEMS for item in answer[key]]
    if answer.get("resolution"):
        rows.append(("resolution", "resolved it", "evidence", answer["resolution"]))
    for key, verb, field, item in rows:
        if key == "sanctions":
            verb = f"{item.get('kind', 'threatened')} sanctions against {item.get('target')}"
        if key == "resolution":
            verb = f"resolved it: {item.get('outcome')}"
        said = item.get("quote") or item.get(field) or ""
        text = str(said)
        if item.get("tentative"):
            text = (text + " " if text else "") + "(tentative: may not have happened yet)"
        event: dict[str, Any] = {
            **timeline_dates(
                parse_instant(item["occurred_from"]), parse_instant(item["occurred_to"])
            ),
            "text": {"headline": f"{item['actor']} {verb}", "text": text},
            "group": answer["claim_id"],
            "unique_id": item["event_id"],
        }
        source = item.get("source")
        if isinstance(source, dict) and source.get("url"):
            event["media"] = {"url": source["url"], "caption": source.get("name", "")}
        found.append(event)
    return found


def timelinejs(answers: list[dict[str, Any]], basis: dict[str, Any]) -> dict[str, Any]:
    """A TimelineJS3 document: one group per claim, one slide per event of its answer."""
    events = [event for answer in answers for event in _events_of(answer)]
    told = (
        f"position {basis['position']}"
        + (f", as of {basis['as_of']}" if basis["as_of"] else "")
        + (", certain only" if basis["certain"] else "")
    )
    return {
        "title": {
            "text": {
                "headline": "Claims in the ledger",
                "text": f"{len(answers)} claims at {told} (head hash {basis['head_hash']})",
            }
        },
        "events": events,
    }


# -- schema.org ClaimReview -------------------------------------------------------------------


def _day(text: str) -> str:
    return text[:10]


def _party(name: str) -> dict[str, str]:
    return {"@type": "Organization", "name": name}


def claimreview(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ClaimReview per resolved claim (confirmed or refuted): what the ledger settled."""
    reviews = []
    for answer in answers:
        resolution = answer.get("resolution")
        if answer["status"] not in _RATING or not resolution:
            continue
        first = answer["claimants"][0] if answer["claimants"] else None
        reviewed: dict[str, Any] = {"@type": "Claim"}
        if first is not None:
            reviewed["author"] = _party(first.get("attributed_to") or first["actor"])
            reviewed["datePublished"] = _day(first["occurred_from"])
            source = first.get("source")
            if isinstance(source, dict):
                appearance = {"@type": "CreativeWork", "name": source.get("name")}
                if source.get("url"):
                    appearance["url"] = source["url"]
                reviewed["appearance"] = appearance
        reviews.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "identifier": answer["claim_id"],
                "claimReviewed": answer["statement"],
                "datePublished": _day(resolution["occurred_from"]),
                "author": _party(resolution["actor"]),
                "itemReviewed": reviewed,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": _RATING[answer["status"]],
                    "bestRating": 5,
                    "worstRating": 1,
                    "alternateName": answer["status"],
                },
            }
        )
    return reviews
