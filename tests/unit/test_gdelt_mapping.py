"""GDELT 2.0 events/mentions -> NDJSON event lines: readers, mapping, CAMEO lookup."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from ledger.ingest.cameo import cameo_codes, describe, short_description
from ledger.ingest.gdelt import (
    EVENT_COLUMNS,
    GDELT_NAMESPACE,
    MENTION_COLUMNS,
    event_line,
    mention_line,
    mention_recorded_at,
    read_gdelt_events,
    read_gdelt_mentions,
    recorded_at,
    source_domain,
)


def _shared_data() -> Path:
    env = os.environ.get("LEDGER_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


SHARED = _shared_data()
needs_shared = pytest.mark.skipif(
    not (SHARED / "gdelt2_events_sample.csv").is_file(), reason=f"no GDELT sample in {SHARED}"
)

CLAIM_MADE_FIELDS = {
    "claimant", "statement", "attributed_to", "on_record", "origin", "modality", "quote",
    "source", "proposition", "tags",
}


def _validate(line: dict[str, object]) -> None:
    """The ledger's own input check (docs/events.md), when the domain validator is present."""
    events = pytest.importorskip("ledger.domain.events")
    events.validate_event(json.loads(json.dumps(line)))


def _event(**values: str) -> dict[str, str]:
    row = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(values)
    return row


ROWS = [
    _event(
        GLOBALEVENTID="669667041", SQLDATE="20170701", MonthYear="201707", Year="2017",
        FractionDate="2017.4959", Actor1Code="RUSGOV", Actor1Name="RUSSIA",
        Actor1CountryCode="RUS", Actor1Type1Code="GOV", Actor2Code="USA",
        Actor2Name="UNITED STATES", Actor2CountryCode="USA", IsRootEvent="1", EventCode="016",
        EventBaseCode="016", EventRootCode="01", QuadClass="1", GoldsteinScale="3.4",
        NumMentions="2", NumSources="1", NumArticles="2", AvgTone="-1.5",
        DATEADDED="20170701234500", SOURCEURL="https://www.Example-News.com/story/1",
    ),
    _event(
        GLOBALEVENTID="669666350", SQLDATE="20070704", Actor2Code="CVL",
        Actor2Name="NEIGHBORHOOD", EventCode="0332", EventBaseCode="033", EventRootCode="03",
        QuadClass="1", DATEADDED="20170701234500", SOURCEURL="BBC Monitoring",
    ),
    _event(
        GLOBALEVENTID="669670000", SQLDATE="20170630", Actor1Code="USA",
        Actor1Name="UNITED STATES", EventCode="1312", EventBaseCode="131", EventRootCode="13",
        QuadClass="3", DATEADDED="20170701234500",
        SOURCEURL="http://news.example.org:8080/a?b=c",
    ),
]


def _raw_events() -> str:
    return "".join("\t".join(row[c] for c in EVENT_COLUMNS) + "\n" for row in ROWS)


def _csv_events() -> str:
    """gdeltPyR's layout: comma-separated, a header, CAMEOCodeDescription after EventCode."""
    columns = list(EVENT_COLUMNS)
    columns.insert(columns.index("EventCode") + 1, "CAMEOCodeDescription")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in ROWS:
        writer.writerow([row.get(c, " some description, quoted") for c in columns])
    return out.getvalue()


def test_column_lists_follow_the_codebook() -> None:
    assert len(EVENT_COLUMNS) == 61 and len(set(EVENT_COLUMNS)) == 61
    assert EVENT_COLUMNS[:5] == ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    assert EVENT_COLUMNS[25:30] == (
        "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    )
    assert EVENT_COLUMNS[-2:] == ("DATEADDED", "SOURCEURL")
    assert EVENT_COLUMNS[35] == "Actor1Geo_Type" and EVENT_COLUMNS[58] == "ActionGeo_FeatureID"
    assert len(MENTION_COLUMNS) == 16 and MENTION_COLUMNS[-1] == "Extras"


def test_both_layouts_read_the_same_rows(tmp_path: Path) -> None:
    raw = list(read_gdelt_events(io.StringIO(_raw_events())))
    path = tmp_path / "events.csv"
    path.write_text(_csv_events(), encoding="utf-8")
    with_header = list(read_gdelt_events(path))
    assert [n for n, _ in raw] == [1, 2, 3]
    assert [n for n, _ in with_header] == [2, 3, 4]
    assert [r for _, r in raw] == [r for _, r in with_header] == ROWS
    assert "CAMEOCodeDescription" not in with_header[0][1]
    assert with_header[0][1]["EventCode"] == "016"  # leading zero kept
    binary = list(read_gdelt_events(io.BytesIO(_raw_events().encode())))
    assert binary == raw


def test_event_line_maps_a_denial_with_leading_zero_code() -> None:
    line = event_line(ROWS[0])
    assert line == {
        "event_id": str(uuid.uuid5(GDELT_NAMESPACE, "gdelt-event:669667041")),
        "type": "ClaimMade",
        "claim_id": "gdelt-669667041",
        "occurred_at": "2017-07-01",
        "data": {
            "claimant": "example-news.com",
            "statement": "RUSSIA Deny responsibility UNITED STATES",
            "proposition": {"subject": "RUSGOV", "predicate": "016", "object": "USA"},
            "tags": ["cameo:016", "quad:1"],
            "source": {"name": "example-news.com", "url": "https://www.Example-News.com/story/1"},
        },
        "metadata": {"gdelt_event_id": "669667041", "dateadded": "20170701234500"},
    }
    assert set(line["data"]) <= CLAIM_MADE_FIELDS
    assert json.loads(json.dumps(line)) == line
    for row in ROWS:
        _validate(event_line(row))
    assert recorded_at(ROWS[0]) == "2017-07-01T23:45:00.000000Z"


def test_event_ids_are_stable_forever() -> None:
    assert GDELT_NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL, "https://www.gdeltproject.org/")
    assert event_line(ROWS[0])["event_id"] == "7e28efac-049c-5cbc-a544-fcd4db053bfc"
    assert event_line(dict(ROWS[0]))["event_id"] == event_line(ROWS[0])["event_id"]


def test_missing_actor_and_non_url_source() -> None:
    line = event_line(ROWS[1])
    assert line["data"]["claimant"] == "BBC Monitoring"
    assert line["data"]["source"] == {"name": "BBC Monitoring"}
    assert line["data"]["statement"] == "Express intent to provide military aid NEIGHBORHOOD"
    assert "proposition" not in line["data"]  # it needs a subject and an object
    assert line["occurred_at"] == "2007-07-04"  # ten years before GDELT recorded it
    third = event_line(ROWS[2])
    assert third["data"]["claimant"] == "news.example.org"
    assert third["data"]["statement"] == "UNITED STATES Threaten to boycott, embargo, or sanction"
    assert "proposition" not in third["data"]
    assert third["data"]["tags"] == ["cameo:1312", "quad:3"]


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("http://www.cvilletomorrow.org/news/x", "cvilletomorrow.org"),
        ("https://WWW.Example.COM:8443/x", "example.com"),
        ("https://arabic.china.org.cn/a", "arabic.china.org.cn"),
        ("BBC Monitoring", "BBC Monitoring"),
        ("www.example.com/no-scheme", "www.example.com/no-scheme"),
    ],
)
def test_source_domain(url: str, domain: str) -> None:
    assert source_domain(url) == domain


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("SQLDATE", "20170230"),
        ("SQLDATE", "2017071"),
        ("SQLDATE", ""),
        ("DATEADDED", "20170701246000"),
        ("DATEADDED", "2017-07-01"),
        ("GLOBALEVENTID", ""),
        ("GLOBALEVENTID", "12a"),
        ("EventCode", ""),
    ],
)
def test_bad_rows_name_the_column_and_value(column: str, value: str) -> None:
    row = dict(ROWS[0], **{column: value})
    with pytest.raises(ValueError) as info:
        event_line(row)
    assert column in str(info.value)
    assert (value or "missing") in str(info.value)


def test_a_row_with_the_wrong_column_count_names_its_line() -> None:
    text = _raw_events() + "1\t20170701\n"
    with pytest.raises(ValueError, match="line 4: expected 61"):
        list(read_gdelt_events(io.StringIO(text)))
    with pytest.raises(ValueError, match="header lacks the column"):
        list(read_gdelt_events(io.StringIO("GLOBALEVENTID,SQLDATE\n1,20170701\n")))


MENTION = {
    "GLOBALEVENTID": "669667041", "EventTimeDate": "20170701234500",
    "MentionTimeDate": "20170702013000", "MentionType": "1",
    "MentionSourceName": "china.org.cn",
    "MentionIdentifier": "http://arabic.china.org.cn/txt/2017-07/02/content_41135804.htm",
    "SentenceID": "4", "Actor1CharOffset": "-1", "Actor2CharOffset": "996",
    "ActionCharOffset": "988", "InRawText": "1", "Confidence": "100", "MentionDocLen": "2579",
    "MentionDocTone": "0.83", "MentionDocTranslationInfo": "srclc:ara;eng:GT-ARA 1.0",
    "Extras": "",
}


def test_mentions_in_both_layouts() -> None:
    raw = "\t".join(MENTION[c] for c in MENTION_COLUMNS) + "\n"
    header = ",".join(c.lower() for c in MENTION_COLUMNS) + "\n"
    body = ",".join(f'"{MENTION[c]}"' if ";" in MENTION[c] else MENTION[c] for c in MENTION_COLUMNS)
    assert list(read_gdelt_mentions(io.StringIO(raw))) == [(1, MENTION)]
    assert list(read_gdelt_mentions(io.StringIO(header + body + "\n"))) == [(2, MENTION)]


def test_mention_line_is_a_further_assertion_by_the_outlet() -> None:
    statement = event_line(ROWS[0])["data"]["statement"]
    line = mention_line(MENTION, statement)
    key = f"gdelt-mention:669667041:{MENTION['MentionIdentifier']}:4"
    assert line == {
        "event_id": str(uuid.uuid5(GDELT_NAMESPACE, key)),
        "type": "ClaimMade",
        "claim_id": "gdelt-669667041",
        "occurred_at": "2017-07-02T01:30:00Z",
        "data": {
            "claimant": "china.org.cn",
            "statement": "RUSSIA Deny responsibility UNITED STATES",
            "source": {"name": "china.org.cn", "url": MENTION["MentionIdentifier"]},
        },
        "metadata": {
            "gdelt_event_id": "669667041", "mention_time": "20170702013000",
            "mention_type": "1", "sentence_id": "4", "confidence": "100",
            "translation": "srclc:ara;eng:GT-ARA 1.0",
        },
    }
    assert mention_recorded_at(MENTION) == "2017-07-02T01:30:00.000000Z"
    _validate(line)
    offline = mention_line(dict(MENTION, MentionIdentifier="Print edition p. 3"), statement)
    assert offline["data"]["source"] == {"name": "china.org.cn"}
    with pytest.raises(ValueError, match="MentionTimeDate"):
        mention_line(dict(MENTION, MentionTimeDate="2017070201"), statement)


def test_cameo_codebook_is_complete_and_keeps_leading_zeros() -> None:
    codes = cameo_codes()
    text = (files("ledger") / "data" / "cameo_codes.tsv").read_text(encoding="utf-8")
    listed = [ln.split("\t")[0] for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(listed) == len(set(listed)) == len(codes) >= 300
    assert text.startswith("#") and "gdeltproject.org" in text.splitlines()[1]
    assert {c for c in codes if len(c) == 2} == {f"{i:02d}" for i in range(1, 21)}
    assert all(c.isdigit() and 2 <= len(c) <= 4 for c in codes)
    assert all(c[:2] in codes for c in codes)
    assert describe("016") == "Deny responsibility"
    assert describe("16") == "REDUCE RELATIONS"  # a root code, not "016"
    assert describe("999") is None
    assert describe("0332") == "Express intent to provide military aid"
    assert describe("1312") == "Threaten to boycott, embargo, or sanction"
    assert describe("163") == "Impose embargo, boycott, or sanctions"
    assert short_description("010") == "Make statement"
    assert cameo_codes() is codes  # cached


@needs_shared
def test_the_whole_events_sample() -> None:
    rows = list(read_gdelt_events(SHARED / "gdelt2_events_sample.csv"))
    assert len(rows) == 6090
    codes = Counter(row["EventCode"] for _, row in rows)
    assert not [code for code in codes if describe(code) is None]
    assert codes["016"] == 17 and codes["112"] == 138 and codes["072"] == 14
    lines = [event_line(row) for _, row in rows]
    assert len({line["event_id"] for line in lines}) == len({row["GLOBALEVENTID"] for _, row in rows})
    late = sum(1 for line in lines if line["occurred_at"] < "2017-06-01")
    assert late == 2232
    assert {recorded_at(row) for _, row in rows} == {
        "2017-05-01T23:45:00.000000Z", "2017-06-01T23:45:00.000000Z", "2017-07-01T23:45:00.000000Z",
    }
    assert all(set(line["data"]) <= CLAIM_MADE_FIELDS for line in lines)
    for line in lines:
        _validate(line)


@needs_shared
def test_the_whole_mentions_sample() -> None:
    rows = list(read_gdelt_mentions(SHARED / "gdelt2_mentions_sample.csv"))
    assert len(rows) == 1635
    lines = [mention_line(row, "a statement") for _, row in rows]
    assert {line["occurred_at"] for line in lines} == {"2017-07-01T23:45:00Z"}
    for line in lines:
        _validate(line)
    earlier = sum(1 for _, row in rows if row["EventTimeDate"] < row["MentionTimeDate"])
    assert earlier == 939
