"""GDELT 2.0 event and mention exports -> NDJSON event lines (docs/events.md). Pure and streaming.

Two layouts are read, told apart by the first line:

- raw GDELT: tab-separated, no header, the codebook's columns in codebook order (61 for events,
  16 for mentions);
- a table with a header row naming those columns (comma- or tab-separated, names matched
  case-insensitively, extra columns such as gdeltPyR's `CAMEOCodeDescription` ignored).

Each row comes back as `(line number, {canonical column name: string})`. A row the reader cannot
split into the expected columns raises `ValueError` naming the line (and ends the iteration);
`event_line` and `mention_line` raise `ValueError` naming the column and value of a bad row, which
the caller maps to a line error. Valid time is the event date (`SQLDATE`) or the mention time;
transaction time is GDELT's own ingest time (`DATEADDED`, `MentionTimeDate`), for
`--keep-recorded-at`.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from ledger.ingest.cameo import short_description

_ACTOR = (
    "Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
    "Religion2Code", "Type1Code", "Type2Code", "Type3Code",
)
_GEO = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")

#: The GDELT 2.0 Event table, in codebook order (61 columns).
EVENT_COLUMNS: tuple[str, ...] = (
    ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    + tuple(f"Actor1{f}" for f in _ACTOR)
    + tuple(f"Actor2{f}" for f in _ACTOR)
    + ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
       "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")
    + tuple(f"{who}Geo_{f}" for who in ("Actor1", "Actor2", "Action") for f in _GEO)
    + ("DATEADDED", "SOURCEURL")
)

#: The GDELT 2.0 Mentions table, in codebook order (16 columns).
MENTION_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "EventTimeDate", "MentionTimeDate", "MentionType", "MentionSourceName",
    "MentionIdentifier", "SentenceID", "Actor1CharOffset", "Actor2CharOffset",
    "ActionCharOffset", "InRawText", "Confidence", "MentionDocLen", "MentionDocTone",
    "MentionDocTranslationInfo", "Extras",
)

_EVENT_REQUIRED = ("GLOBALEVENTID", "SQLDATE", "EventCode", "DATEADDED", "SOURCEURL")
_MENTION_REQUIRED = ("GLOBALEVENTID", "MentionTimeDate", "MentionSourceName", "MentionIdentifier")

#: Namespace of every GDELT-derived event id: uuid5(NAMESPACE_URL, "https://www.gdeltproject.org/").
GDELT_NAMESPACE = uuid.UUID("b67edd91-037a-53b0-8306-a88ddf485129")

_DIGITS8 = re.compile(r"\d{8}")
_DIGITS14 = re.compile(r"\d{14}")
_ID = re.compile(r"\d{1,18}")

Source = str | os.PathLike[str] | IO[str] | IO[bytes]


# --- reading -------------------------------------------------------------------------------------

def read_gdelt_events(path_or_file: Source) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of a GDELT 2.0 events export (raw or with a header row)."""
    return _read_table(path_or_file, EVENT_COLUMNS, _EVENT_REQUIRED, pad_last=False)


def read_gdelt_event_values(
    path_or_file: Source, wanted: tuple[str, ...]
) -> Iterator[tuple[int, list[str]]]:
    """The rows of `read_gdelt_events`, as the `wanted` columns' values in `wanted` order.

    A mapper needs 10 of the 61 columns: a list of those, not a dict of all 61, per row. The
    same rows, the same values ("" for a column the header lacks) and the same refusals.
    """
    return _read_table(path_or_file, EVENT_COLUMNS, _EVENT_REQUIRED, pad_last=False, wanted=wanted)


def read_gdelt_mentions(path_or_file: Source) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of a GDELT 2.0 mentions export (raw or with a header row).

    A raw line of 15 columns is taken to have lost its empty trailing `Extras` column.
    """
    return _read_table(path_or_file, MENTION_COLUMNS, _MENTION_REQUIRED, pad_last=True)


def _read_table(
    source: Source,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    *,
    pad_last: bool,
    wanted: tuple[str, ...] | None = None,
) -> Iterator[tuple[int, Any]]:
    # Only LF ends a line (newline="\n"): a stray CR inside a raw field cannot split a row.
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8-sig", newline="\n") as text:
            yield from _read_lines(text, columns, required, pad_last=pad_last, wanted=wanted)
        return
    stream: Any = source
    if isinstance(stream.read(0), bytes):
        stream = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="\n")
    yield from _read_lines(stream, columns, required, pad_last=pad_last, wanted=wanted)


def _read_lines(
    lines: Iterable[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    *,
    pad_last: bool,
    wanted: tuple[str, ...] | None,
) -> Iterator[tuple[int, Any]]:
    it = iter(lines)
    first = next(it, None)
    if first is None:
        return
    first = first.lstrip("\ufeff")
    if _first_cell(first).casefold() == columns[0].casefold():
        yield from _read_with_header(
            itertools.chain([first], it), first, columns, required, wanted
        )
        return
    picked = None if wanted is None else [columns.index(name) for name in wanted]
    for number, line in enumerate(itertools.chain([first], it), start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        values = text.split("\t")
        if pad_last and len(values) == len(columns) - 1:
            values.append("")
        if len(values) != len(columns):
            raise ValueError(
                f"line {number}: expected {len(columns)} tab-separated GDELT columns"
                f" (or a header row), got {len(values)}"
            )
        if picked is not None:
            yield number, [values[i].strip() for i in picked]
        else:
            yield number, {name: value.strip() for name, value in zip(columns, values)}


def _first_cell(line: str) -> str:
    cell = re.split(r"[\t,]", line, maxsplit=1)[0]
    return cell.strip().strip('"').strip()


def _read_with_header(
    lines: Iterable[str],
    first: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    wanted: tuple[str, ...] | None,
) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(lines, delimiter="\t" if "\t" in first else ",")
    header = next(reader)
    canonical = {name.casefold(): name for name in columns}
    index: dict[str, int] = {}
    for position, raw_name in enumerate(header):
        name = canonical.get(raw_name.strip().casefold())
        if name is None:
            continue  # an extra column, e.g. CAMEOCodeDescription
        if name in index:
            raise ValueError(f"line 1: column {name!r} appears twice in the header")
        index[name] = position
    missing = [name for name in required if name not in index]
    if missing:
        raise ValueError(f"line 1: header lacks the column(s) {', '.join(missing)}")
    # A column the header lacks reads as "": its position is one past the record's end, where
    # a "" is appended only when some wanted column is missing.
    picked = None if wanted is None else [index.get(name, len(header)) for name in wanted]
    pad = picked is not None and len(header) in picked
    previous_end = reader.line_num
    for record in reader:
        number, previous_end = previous_end + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != len(header):
            raise ValueError(
                f"line {number}: expected {len(header)} columns as in the header, got {len(record)}"
            )
        if picked is not None:
            if pad:
                record.append("")
            yield number, [record[i].strip() for i in picked]
        else:
            yield number, {
                name: (record[index[name]].strip() if name in index else "") for name in columns
            }


# --- mapping -------------------------------------------------------------------------------------

def event_line(row: dict[str, str]) -> dict[str, Any]:
    """The NDJSON input line of one GDELT event: a `ClaimMade` by the source outlet."""
    gid = _event_id(row)
    occurred = _sqldate(row)
    _timestamp(row, "DATEADDED")  # validated here, so a bad row fails as a whole
    code = _required(row, "EventCode")
    url = _required(row, "SOURCEURL")
    outlet = source_domain(url)
    actor1, actor2 = row.get("Actor1Name", "").strip(), row.get("Actor2Name", "").strip()
    description = short_description(code) or f"CAMEO event {code}"
    statement = " ".join(part for part in (actor1, description, actor2) if part)
    subject = row.get("Actor1Code", "").strip() or actor1
    target = row.get("Actor2Code", "").strip() or actor2
    tags = [f"cameo:{code}"]
    quad = row.get("QuadClass", "").strip()
    if quad:
        tags.append(f"quad:{quad}")
    source: dict[str, str] = {"name": outlet}
    if is_url(url):
        source["url"] = url
    data: dict[str, Any] = {"claimant": outlet, "statement": statement}
    if subject and target:  # a proposition needs subject, predicate and object
        data["proposition"] = {"subject": subject, "predicate": code, "object": target}
    data["tags"] = tags
    data["source"] = source
    return {
        "event_id": str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt-event:{gid}")),
        "type": "ClaimMade",
        "claim_id": f"gdelt-{gid}",
        "occurred_at": occurred,
        "data": data,
        "metadata": {"gdelt_event_id": gid, "dateadded": row["DATEADDED"].strip()},
    }


def recorded_at(row: dict[str, str]) -> str:
    """When GDELT recorded the event (`DATEADDED`, UTC) as `YYYY-MM-DDTHH:MM:SS.000000Z`."""
    return _iso(_timestamp(row, "DATEADDED")) + ".000000Z"


def mention_line(row: dict[str, str], statement: str) -> dict[str, Any]:
    """A further `ClaimMade` on the mentioned event's claim, by the mentioning outlet.

    `statement` is the claim's statement (the mapped event's); the mention row does not carry it.
    """
    gid = _event_id(row)
    when = _timestamp(row, "MentionTimeDate")
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("statement: missing (the mentioned event's statement is needed)")
    identifier = row.get("MentionIdentifier", "").strip()
    outlet = row.get("MentionSourceName", "").strip()
    if not outlet:
        if not is_url(identifier):
            raise ValueError(f"MentionSourceName: missing (MentionIdentifier {identifier!r})")
        outlet = source_domain(identifier)
    sentence = row.get("SentenceID", "").strip()
    source: dict[str, str] = {"name": outlet}
    if is_url(identifier):
        source["url"] = identifier
    metadata = {
        "gdelt_event_id": gid,
        "mention_time": row["MentionTimeDate"].strip(),
        "mention_type": row.get("MentionType", "").strip(),
        "sentence_id": sentence,
        "confidence": row.get("Confidence", "").strip(),
        "translation": row.get("MentionDocTranslationInfo", "").strip(),
    }
    return {
        "event_id": str(
            uuid.uuid5(GDELT_NAMESPACE, f"gdelt-mention:{gid}:{identifier}:{sentence}")
        ),
        "type": "ClaimMade",
        "claim_id": f"gdelt-{gid}",
        "occurred_at": _iso(when) + "Z",
        "data": {"claimant": outlet, "statement": statement.strip(), "source": source},
        "metadata": {key: value for key, value in metadata.items() if value},
    }


def mention_recorded_at(row: dict[str, str]) -> str:
    """When GDELT recorded the mention (`MentionTimeDate`, UTC), in the export time format."""
    return _iso(_timestamp(row, "MentionTimeDate")) + ".000000Z"


def is_url(text: str) -> bool:
    """True for an absolute http(s)/ftp URL with a host."""
    try:
        parts = urlsplit(text.strip())
        return parts.scheme.lower() in {"http", "https", "ftp"} and bool(parts.hostname)
    except ValueError:
        return False


def source_domain(url: str) -> str:
    """The outlet of a source URL: its lowercased host without `www.`; a non-URL as it is."""
    text = url.strip()
    if not is_url(text):
        return text
    host = (urlsplit(text).hostname or "").rstrip(".")
    return host[4:] if host.startswith("www.") and len(host) > 4 else host


# --- field checks --------------------------------------------------------------------------------

def _required(row: dict[str, str], column: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise ValueError(f"{column}: missing")
    return value


def _event_id(row: dict[str, str]) -> str:
    value = _required(row, "GLOBALEVENTID")
    if not _ID.fullmatch(value):
        raise ValueError(f"GLOBALEVENTID: {value!r} is not a GDELT event id (digits)")
    return str(int(value))


def _sqldate(row: dict[str, str]) -> str:
    value = _required(row, "SQLDATE")
    try:
        if not _DIGITS8.fullmatch(value):
            raise ValueError
        day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"SQLDATE: {value!r} is not a date YYYYMMDD") from None
    return day.isoformat()


def _timestamp(row: dict[str, str], column: str) -> datetime:
    value = _required(row, column)
    try:
        if not _DIGITS14.fullmatch(value):
            raise ValueError
        return datetime(
            int(value[:4]), int(value[4:6]), int(value[6:8]),
            int(value[8:10]), int(value[10:12]), int(value[12:14]),
        )
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a UTC time YYYYMMDDHHMMSS") from None


def _iso(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS`, years zero-padded (strftime does not pad years below 1000)."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.time():%H:%M:%S}"
