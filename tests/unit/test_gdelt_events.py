"""The fast path of a GDELT events import gives exactly the reference path's events.

The reference is the mapping to an NDJSON line (`event_line`) validated as any input line
(`validate_event`); the fast path (`new_event`) builds the `NewEvent` directly, or declines
(None) and leaves the row to the reference. Whatever the row, a fast answer must equal the
reference's, and a row the reference refuses must never get a fast answer.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import ledger.ingest.gdelt_events as gdelt_events
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.ingest.cameo import cameo_codes
from ledger.ingest.gdelt import (
    EVENT_COLUMNS,
    GDELT_NAMESPACE,
    event_line,
    is_url,
    read_gdelt_event_values,
    read_gdelt_events,
    recorded_at,
    source_domain,
)
from ledger.ingest.gdelt_events import FIELDS, new_event
from ledger.service.gdelt_stream import event_of

SAMPLE = Path(
    os.environ.get("LEDGER_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
) / "gdelt2_events_sample.csv"


def reference(values: list[str], line: int) -> NewEvent | InvalidInput | ValueError:
    """What the import did before the fast path: the NDJSON line, validated."""
    row = dict(zip(FIELDS, values))
    try:
        obj = event_line(row)
        obj["recorded_at"] = recorded_at(row)
        return validate_event(obj, line=line, keep_recorded_at=True)
    except (InvalidInput, ValueError) as exc:
        return exc


def _text(specials: list[str]) -> st.SearchStrategy[str]:
    # U+0000 and lone surrogates come only from the specials, so most text is storable.
    clean = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    pieces = st.one_of(st.sampled_from(specials), st.text(clean, max_size=6))
    return st.lists(pieces, max_size=3).map(lambda parts: "".join(parts).strip())


_DIGITS = ["", "0", "7", "١", "²", "x", "\x00", " "]
valid_gids = st.one_of(
    st.integers(0, 10**18 - 1).map(str),
    st.text(st.sampled_from("0123456789"), min_size=1, max_size=18),
)
valid_sqldates = st.dates().map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}")
valid_addeds = st.datetimes().map(lambda t: f"{t.year:04d}{t:%m%d%H%M%S}")
known_codes = st.sampled_from(sorted(cameo_codes()))
gids = st.one_of(valid_gids, _text(_DIGITS + ["669667041", "0669667041", "1" * 19]))
sqldates = st.one_of(
    valid_sqldates, _text(_DIGITS + ["20170701", "20170230", "2017070", "٢٠١٧٠٧٠١", "00000101"])
)
addeds = st.one_of(
    valid_addeds,
    _text(_DIGITS + ["20170701234500", "20170701246000", "2017070123450", "٢٠١٧٠٧٠١٢٣٤٥٠٠"]),
)
codes = st.one_of(known_codes, _text(["016", "9999", "0", "\x00", "é", "1312"]))
urls = st.one_of(
    st.sampled_from([
        "https://www.Example-News.com/story/1", "http://news.example.org:8080/a?b=c",
        "BBC Monitoring", "http://./x", "http://www./", "http://www.", "ftp://WWW.Foo.ORG./",
        "http://[::1/x", "http://[::1]/x", "mailto:a@b.c", "https://例え.jp/パス",
        "HTTPS://www.x.com", "http://a\x00b.com/", "http://\ud800.com/", "//example.com/x",
        "http://user:pw@Host.COM:99/p", "gopher://x.org/", "http:///path",
    ]),
    _text(["http://", "https://www.", "a.com", "/", ".", "[", ":", "@", "\x00", "\udfff", "é"]),
)
names = _text(["RUSSIA", "UNITED STATES", "É", "\x00", "\ud800", " ", "\t", "\u3000"])
quads = _text(["1", "2", "4", "\x00", "", "é"])


# Rows whose id, times and code are valid, so that the text columns decide; and any rows.
plain_rows = st.tuples(
    valid_gids, valid_sqldates, valid_addeds, known_codes, urls, names, names, names, names, quads
)
any_rows = st.tuples(gids, sqldates, addeds, codes, urls, names, names, names, names, quads)


@settings(max_examples=800, deadline=None)
@given(st.one_of(plain_rows, any_rows), st.integers(1, 10**6))
@example(
    ("669667041", "20170701", "20170701234500", "016", "https://www.Example-News.com/story/1",
     "RUSSIA", "UNITED STATES", "RUSGOV", "USA", "1"),
    2,
)
def test_a_fast_answer_is_the_reference_answer(values: tuple[str, ...], line: int) -> None:
    expected = reference(list(values), line)
    fast = new_event(list(values), line)
    if fast is not None:
        assert isinstance(expected, NewEvent), expected
        assert fast == expected
        assert list(fast.data) == list(expected.data)  # the same key order, as stored
    if isinstance(expected, NewEvent):
        assert event_of(list(values), line) == expected
    else:
        with pytest.raises(LedgerError):
            event_of(list(values), line)


def test_the_fast_path_takes_plain_rows() -> None:
    values = ["0669667041", "20170701", "20170701234500", "016",
              "https://www.Example-News.com/story/1", "RUSSIA", "", "RUSGOV", "", ""]
    event = new_event(values, 7)
    assert event is not None and event == reference(values, 7)
    assert event.claim_id == "gdelt-669667041" and "proposition" not in event.data


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"no GDELT sample at {SAMPLE}")
def test_every_row_of_the_real_sample_takes_the_fast_path() -> None:
    for number, values in read_gdelt_event_values(SAMPLE, FIELDS):
        event = new_event(values, number)
        assert event is not None, (number, values)
        assert event == reference(values, number)


def test_worked_out_values_stay_right_when_the_caches_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gdelt_events, "_KEPT", 2)
    for day in range(1, 29):
        for hour in (0, 23):
            values = ["1", f"201702{day:02d}", f"201703{day:02d}{hour:02d}1500", f"0{day % 9 + 1}",
                      "http://x.org/", "A", "B", "", "", ""]
            assert new_event(values, 1) == reference(values, 1)
    assert len(gdelt_events._OCCURRED) <= 2 and len(gdelt_events._RECORDED) <= 2


url_pieces = st.sampled_from([
    "http://", "https://", "HTTP://", "ftp://", "http:", "//", "www.", "WWW.", "Example", "a.b",
    ".", "/", "?", "#", "@", ":", "80", "[", "]", "::1", "%", "eth0", " ", "\t", "\n", "\x01",
    "\x7f", "é", "例", "\ud800", "-", "_", "x",
])


@settings(max_examples=1000)
@given(st.lists(url_pieces, min_size=1, max_size=8).map("".join))
@example("https://www.Example-News.com/story/1")
@example("http://./x")
@example("http://www./")
def test_the_outlet_is_source_domain_and_is_url(url: str) -> None:
    url = url.strip()  # as the readers give it
    assert gdelt_events._outlet(url) == (source_domain(url), is_url(url))


@given(st.integers(0, 10**18 - 1))
def test_event_ids_are_rfc_4122_uuid5(gid: int) -> None:
    expected = uuid.uuid5(GDELT_NAMESPACE, f"gdelt-event:{gid}")
    assert gdelt_events._event_id(str(gid)) == str(expected)


# --- the reader of the wanted columns --------------------------------------------------------


def _rows_text(rows: list[dict[str, str]], header: list[str] | None, delimiter: str) -> str:
    out = io.StringIO()
    if header is None:
        for row in rows:
            out.write("\t".join(row[c] for c in EVENT_COLUMNS) + "\n")
    else:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(c, "extra, value") for c in header])
    return out.getvalue().replace("\n", "\n\n", 2)  # blank lines: skipped, still counted


def _row(i: int) -> dict[str, str]:
    row = {c: f" {c[:3]}{i} " for c in EVENT_COLUMNS}
    row.update(GLOBALEVENTID=str(100 + i), SOURCEURL=f'http://a.org/{i}, "quoted"')
    return row


@pytest.mark.parametrize(
    "header, delimiter",
    [
        (None, "\t"),
        (list(EVENT_COLUMNS), ","),
        ([*EVENT_COLUMNS[:27], "CAMEOCodeDescription", *EVENT_COLUMNS[27:]], "\t"),
        ([c.lower() for c in EVENT_COLUMNS if c not in ("Actor1Code", "QuadClass")], ","),
    ],
    ids=["raw", "header", "extra-column", "missing-columns"],
)
def test_the_wanted_columns_are_the_full_rows_values(
    header: list[str] | None, delimiter: str
) -> None:
    text = _rows_text([_row(i) for i in range(6)], header, delimiter)
    full = list(read_gdelt_events(io.StringIO(text)))
    picked = list(read_gdelt_event_values(io.StringIO(text), FIELDS))
    assert picked == [(n, [row[c] for c in FIELDS]) for n, row in full]
    assert len(picked) == 6 and picked[-1][0] == (8 if header is None else 9)


@pytest.mark.parametrize(
    "text",
    [
        "1\t20170701\n",
        "GLOBALEVENTID,SQLDATE\n1,20170701\n",
        ",".join(EVENT_COLUMNS) + "\n" + ",".join(["1"] * 60) + "\n",
    ],
)
def test_the_wanted_columns_reader_refuses_what_the_full_one_does(text: str) -> None:
    with pytest.raises(ValueError) as full:
        list(read_gdelt_events(io.StringIO(text)))
    with pytest.raises(ValueError) as picked:
        list(read_gdelt_event_values(io.StringIO(text), FIELDS))
    assert str(picked.value) == str(full.value)
