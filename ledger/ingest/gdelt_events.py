"""GDELT event rows straight to validated `NewEvent`s: the fast path of an events import.

The reference path maps a row to an NDJSON line (`event_line`) and validates that line as any
input line (`validate_event`): two dict trees per row and every field checked again, most of an
import's mapping time. For a row whose values are plain text (no U+0000, no lone surrogate) and
whose id and times are ASCII digits, every one of those checks is known to pass, so
`new_event` builds the same `NewEvent` directly. For any other row it answers None and the
caller runs the reference path, which builds the event or words the refusal. The times, dates
and CAMEO descriptions a file repeats are worked out once, by the reference functions.
tests/unit/test_gdelt_events.py holds the two paths equal.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from ledger.domain.errors import InvalidInput
from ledger.domain.events import spec_of
from ledger.domain.model import Interval, NewEvent
from ledger.domain.time import parse_instant, parse_occurred
from ledger.ingest.cameo import short_description
from ledger.ingest.gdelt import GDELT_NAMESPACE, _iso, _sqldate, _timestamp

#: The columns `new_event` reads, in the order of its `values`.
FIELDS = (
    "GLOBALEVENTID", "SQLDATE", "DATEADDED", "EventCode", "SOURCEURL",
    "Actor1Name", "Actor2Name", "Actor1Code", "Actor2Code", "QuadClass",
)

_SCHEMES = frozenset({"http", "https", "ftp"})
_SCHEMA_VERSION = spec_of("ClaimMade").schema_version
# uuid5(GDELT_NAMESPACE, "gdelt-event:<id>") is sha1(namespace bytes + name): the common
# prefix is hashed once, each id only copies the state and adds its digits.
_EVENT_ID_PREFIX = hashlib.sha1(GDELT_NAMESPACE.bytes + b"gdelt-event:")
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_PLAIN_HTTP = re.compile(r"https?://([^/?#@\[\]:%]*)(?:[/?#]|\Z)")

# Text -> its worked-out value, for the values a file repeats (an update shares one DATEADDED,
# news its days, the codebook has some 300 codes). Emptied when full, so memory stays bounded.
_KEPT = 65_536
_OCCURRED: dict[str, Interval] = {}
_RECORDED: dict[str, int] = {}
_DESCRIPTIONS: dict[str, str] = {}


def new_event(values: list[str], line: int) -> NewEvent | None:
    """The event `validate_event(event_line(row))` gives, or None when that is not certain.

    `values` are the row's `FIELDS`, stripped (as the readers give them).
    """
    gid, sqldate, added, code, url, actor1, actor2, code1, code2, quad = values
    if not (gid.isascii() and gid.isdigit() and len(gid) <= 18 and code and url):
        return None
    occurred = _OCCURRED.get(sqldate) or _occurred(sqldate)
    recorded = _RECORDED.get(added)
    if recorded is None:
        recorded = _recorded(added)
    description = _DESCRIPTIONS.get(code) or _description(code)
    if occurred is None or recorded is None or description is None:
        return None
    text = url + actor1 + actor2 + code1 + code2 + quad + code
    if "\x00" in text or not (text.isascii() or _encodable(text)):
        return None
    outlet, link = _outlet(url)
    if not outlet.strip():
        return None

    gid = str(int(gid))
    statement = " ".join(part for part in (actor1, description, actor2) if part)
    subject = code1 or actor1
    target = code2 or actor2
    tags = [f"cameo:{code}", f"quad:{quad}"] if quad else [f"cameo:{code}"]
    source = {"name": outlet, "url": url} if link else {"name": outlet}
    if subject and target:
        data = {
            "claimant": outlet,
            "statement": statement,
            "proposition": {"subject": subject, "predicate": code, "object": target},
            "tags": tags,
            "source": source,
        }
    else:
        data = {"claimant": outlet, "statement": statement, "tags": tags, "source": source}
    # Positional (a third cheaper than keywords): event_id, type, claim_id, occurred, data,
    # metadata, schema_version, expected_version, salt, recorded_at, line.
    return NewEvent(
        _event_id(gid), "ClaimMade", f"gdelt-{gid}", occurred, data,
        {"gdelt_event_id": gid, "dateadded": added}, _SCHEMA_VERSION, None, None, recorded, line,
    )


def _event_id(gid: str) -> str:
    digest = _EVENT_ID_PREFIX.copy()
    digest.update(gid.encode("ascii"))
    h = digest.hexdigest()
    # RFC 4122: version 5 in the 13th hex digit, the variant (10xx) in the 17th.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _outlet(url: str) -> tuple[str, bool]:
    """(`source_domain(url)`, `is_url(url)`) from one look at the URL."""
    # The common shape, http(s)://host/..., printable ASCII with no user, port, IPv6 bracket or
    # zone in the host: urlsplit's host is the text up to the first / ? or #, lowercased.
    plain = _PLAIN_HTTP.match(url) if url.isascii() and url.isprintable() else None
    if plain is not None:
        host = plain[1].lower()
    else:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            if parts.scheme.lower() not in _SCHEMES:
                host = ""
        except ValueError:
            host = ""
    if not host:
        return url, False
    host = host.rstrip(".")
    return (host[4:] if host.startswith("www.") and len(host) > 4 else host), True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")  # refuses lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _occurred(sqldate: str) -> Interval | None:
    if not sqldate.isascii():
        return None
    try:
        interval = parse_occurred(_sqldate({"SQLDATE": sqldate}), None, field="occurred_at")
    except (ValueError, InvalidInput):
        return None
    if len(_OCCURRED) >= _KEPT:
        _OCCURRED.clear()
    _OCCURRED[sqldate] = interval
    return interval


def _recorded(added: str) -> int | None:
    if not added.isascii():
        return None
    try:
        value = parse_instant(
            _iso(_timestamp({"DATEADDED": added}, "DATEADDED")) + ".000000Z", field="recorded_at"
        )
    except (ValueError, InvalidInput):
        return None
    if len(_RECORDED) >= _KEPT:
        _RECORDED.clear()
    _RECORDED[added] = value
    return value


def _description(code: str) -> str | None:
    description = short_description(code) or f"CAMEO event {code}"
    if not description.strip() or "\x00" in description or not _encodable(description):
        return None
    if len(_DESCRIPTIONS) >= _KEPT:
        _DESCRIPTIONS.clear()
    _DESCRIPTIONS[code] = description
    return description
