"""`ledger import --from gdelt|gdelt-mentions` through the CLI, on both engines (issue 6).

Small fixtures are written here in both GDELT layouts; the shared GDELT sample, when present, is
imported once per engine and its bitemporal answers are checked against counts computed from the
CSV itself, so the ledger's time model is tested against data nobody here wrote.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.app import app
from ledger.ingest.gdelt import EVENT_COLUMNS, MENTION_COLUMNS

runner = CliRunner()


def _shared_data() -> Path:
    env = os.environ.get("LEDGER_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


SHARED = _shared_data()
EVENTS_SAMPLE = SHARED / "gdelt2_events_sample.csv"
MENTIONS_SAMPLE = SHARED / "gdelt2_mentions_sample.csv"
needs_sample = pytest.mark.skipif(
    not EVENTS_SAMPLE.is_file(), reason=f"no GDELT sample in {SHARED}"
)


def run(*args: str, input: bytes | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def ok(*args: str, input: bytes | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def export(db: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ok("export", "--db", db).stdout.splitlines()]


def claim_ids(db: str, *basis: str) -> set[str]:
    answers = json.loads(ok("claim", "list", "--db", db, "-f", "json", *basis).stdout)
    return {a["claim_id"] for a in answers}


def iso(stamp14: str) -> str:
    s = stamp14
    return f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[8:10]}:{s[10:12]}:{s[12:]}.000000Z"


# --- small fixtures ------------------------------------------------------------------------------

def event_row(gid: str, sqldate: str, dateadded: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(
        GLOBALEVENTID=gid, SQLDATE=sqldate, Actor1Code="RUSGOV", Actor1Name="RUSSIA",
        Actor2Code="USA", Actor2Name="UNITED STATES", EventCode="016", EventBaseCode="016",
        EventRootCode="01", QuadClass="1", DATEADDED=dateadded,
        SOURCEURL=f"https://www.example-news.com/story/{gid}",
    )
    row.update(extra)
    return row


# Deliberately not in DATEADDED order: the import must order them. 1003 happened in 2007 and was
# recorded in 2017, the case the issue is about.
EVENTS = [
    event_row("1005", "20170701", "20170701234500", Actor1Name="ISRAEL, THE STATE"),
    event_row("1001", "20170420", "20170501234500"),
    event_row("1003", "20070704", "20170601234500", EventCode="0332", EventBaseCode="033"),
    event_row("1002", "20170501", "20170501234500"),
    event_row("1004", "20170601", "20170601234500", SOURCEURL="BBC Monitoring"),
]


def write_events(path: Path, rows: list[dict[str, str]], layout: str) -> Path:
    if layout == "raw":  # GDELT's own files: tab-separated, no header, 61 columns
        path.write_text("".join("\t".join(r[c] for c in EVENT_COLUMNS) + "\n" for r in rows))
        return path
    # gdeltPyR's layout: a header row, commas, an extra column after EventCode
    columns = list(EVENT_COLUMNS)
    columns.insert(columns.index("EventCode") + 1, "CAMEOCodeDescription")
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([r.get(c, "Deny, reject") for c in columns])
    return path


def mention_row(
    gid: str, outlet: str, url: str, sentence: str = "1", **extra: str
) -> dict[str, str]:
    row = dict.fromkeys(MENTION_COLUMNS, "")
    row.update(
        GLOBALEVENTID=gid, EventTimeDate="20170501234500", MentionTimeDate="20170701234500",
        MentionType="1", MentionSourceName=outlet, MentionIdentifier=url, SentenceID=sentence,
        Confidence="80",
    )
    row.update(extra)
    return row


MENTIONS = [
    mention_row("1001", "tass.ru", "https://tass.ru/a/1"),
    mention_row("1001", "rt.com", "https://www.rt.com/news/2", sentence="3"),
    mention_row("1001", "rt.com", "https://www.rt.com/news/2", sentence="3", Actor1CharOffset="7"),
    mention_row("1001", "example-news.com", "https://www.example-news.com/story/1001"),
    mention_row("1003", "bbc.co.uk", "https://www.bbc.co.uk/x"),
    mention_row("9999", "cnn.com", "https://cnn.com/unknown"),
]


def write_mentions(path: Path, rows: list[dict[str, str]], layout: str) -> Path:
    if layout == "raw":
        path.write_text("".join("\t".join(r[c] for c in MENTION_COLUMNS) + "\n" for r in rows))
        return path
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.lower() for c in MENTION_COLUMNS])  # the sample's lowercase header
        writer.writerows([r[c] for c in MENTION_COLUMNS] for r in rows)
    return path


@pytest.mark.parametrize("layout", ["raw", "header"])
def test_events_become_claims_recorded_at_dateadded(
    db_url: str, tmp_path: Path, layout: str
) -> None:
    path = write_events(tmp_path / f"events.{layout}", EVENTS, layout)
    result = ok("import", "--from", "gdelt", str(path), "--db", db_url)
    assert "imported: 5 added at positions 1..5, 0 skipped (already stored)" in result.stderr
    stored = export(db_url)
    assert [e["claim_id"] for e in stored] == [
        "gdelt-1001", "gdelt-1002", "gdelt-1003", "gdelt-1004", "gdelt-1005"
    ]  # DATEADDED order, file order within one DATEADDED
    by_id = {r["GLOBALEVENTID"]: r for r in EVENTS}
    for e in stored:
        row = by_id[e["claim_id"].removeprefix("gdelt-")]
        assert e["recorded_at"] == iso(row["DATEADDED"])
        assert e["occurred_from"] == iso(row["SQLDATE"] + "000000")
        assert e["type"] == "ClaimMade" and e["version"] == 1
    first = stored[0]["data"]
    assert first["claimant"] == "example-news.com"
    assert first["statement"] == "RUSSIA Deny responsibility UNITED STATES"
    assert first["proposition"] == {"subject": "RUSGOV", "predicate": "016", "object": "USA"}
    assert stored[2]["data"]["proposition"]["predicate"] == "0332"  # a string, zeros kept
    assert stored[3]["data"]["source"] == {"name": "BBC Monitoring"}
    assert stored[4]["data"]["statement"].startswith("ISRAEL, THE STATE ")
    ok("verify", "--db", db_url)


@pytest.mark.parametrize("layout", ["raw", "header"])
def test_importing_the_same_file_twice_adds_nothing(
    db_url: str, tmp_path: Path, layout: str
) -> None:
    path = write_events(tmp_path / "events", EVENTS, layout)
    ok("import", "--from", "gdelt", str(path), "--db", db_url)
    again = ok("import", "--from", "gdelt", str(path), "--db", db_url)
    assert "imported: 0 added, 5 skipped (already stored)" in again.stderr
    assert len(export(db_url)) == 5


def test_known_at_sees_what_gdelt_had_recorded(sqlite_url: str, tmp_path: Path) -> None:
    path = write_events(tmp_path / "events.tsv", EVENTS, "raw")
    ok("import", "--from", "gdelt", str(path), "--db", sqlite_url)
    first_batch = {"gdelt-1001", "gdelt-1002"}
    assert claim_ids(sqlite_url, "--known-at", "2017-05-01T23:45:00Z") == first_batch
    assert claim_ids(sqlite_url, "--known-at", "2017-06-01T23:44:59Z", "--as-of", "2017-04-30") == {
        "gdelt-1001"
    }
    # happened in 2007, unknown to the ledger until GDELT recorded it in June 2017
    assert claim_ids(sqlite_url, "--as-of", "2010", "--known-at", "2017-05-31") == set()
    assert claim_ids(sqlite_url, "--as-of", "2010", "--known-at", "2017-06-02") == {"gdelt-1003"}


def test_stdin_dry_run_and_bad_rows(sqlite_url: str, tmp_path: Path) -> None:
    data = write_events(tmp_path / "e.tsv", EVENTS, "raw").read_bytes()
    dry = ok("import", "--from", "gdelt", "-", "--db", sqlite_url, "--dry-run", input=data)
    assert "dry run: 5 rows valid; would add 5" in dry.stderr
    assert export(sqlite_url) == []
    bad = EVENTS[:2] + [event_row("1006", "2017-07-01", "20170701234500")]
    result = run("import", "--from", "gdelt", str(write_events(tmp_path / "b.tsv", bad, "raw")),
                 "--db", sqlite_url)
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "SQLDATE" in result.stderr
    assert "Traceback" not in result.output
    assert export(sqlite_url) == []
    unknown = run("import", "--from", "gdelt-events", "x", "--db", sqlite_url)
    assert unknown.exit_code == 2 and "gdelt-mentions" in unknown.stderr  # a usage error


def test_a_repeated_row_is_kept_once_and_a_conflicting_one_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    repeated = write_events(tmp_path / "r.tsv", EVENTS[:2] + EVENTS[:1], "raw")
    result = ok("import", "--from", "gdelt", str(repeated), "--db", sqlite_url)
    assert "imported: 2 added" in result.stderr
    clash = EVENTS[:2] + [event_row("1005", "20170702", "20170701234500")]
    result = run("import", "--from", "gdelt", str(write_events(tmp_path / "c.tsv", clash, "raw")),
                 "--db", sqlite_url)
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "also on line 1" in result.stderr


def test_gdelt_times_cannot_go_before_the_ledgers_latest(db_url: str, tmp_path: Path) -> None:
    later = write_events(tmp_path / "july.tsv", EVENTS[:1], "raw")
    earlier = write_events(tmp_path / "may.tsv", EVENTS[1:2], "raw")
    ok("import", "--from", "gdelt", str(later), "--db", db_url)
    result = run("import", "--from", "gdelt", str(earlier), "--db", db_url)
    assert result.exit_code == 1, result.output
    assert "line 1" in result.stderr and "DATEADDED" in result.stderr
    assert "oldest first" in result.stderr and "Nothing was stored" in result.stderr
    assert len(export(db_url)) == 1


@pytest.mark.parametrize("layout", ["raw", "header"])
def test_mentions_add_claims_by_the_mentioning_outlets(
    db_url: str, tmp_path: Path, layout: str
) -> None:
    events = write_events(tmp_path / "e", EVENTS, "raw")
    ok("import", "--from", "gdelt", str(events), "--db", db_url)
    path = write_mentions(tmp_path / "m", MENTIONS, layout)
    result = ok("import", "--from", "gdelt-mentions", str(path), "--db", db_url)
    assert "imported: 3 added at positions 6..8, 0 skipped (already stored)" in result.stderr
    assert "1 mentions of unknown events skipped" in result.stderr
    assert "1 mentions that are the event's own source skipped" in result.stderr
    assert "1 repeated mention rows merged" in result.stderr
    answer = json.loads(ok("claim", "show", "gdelt-1001", "--db", db_url, "-f", "json").stdout)
    assert [c["actor"] for c in answer["claimants"]] == ["example-news.com", "tass.ru", "rt.com"]
    statements = {c["statement"] for c in answer["claimants"]}
    assert statements == {"RUSSIA Deny responsibility UNITED STATES"}
    assert answer["status"] == "corroborated"  # three outlets, three origins
    before = ok("claim", "show", "gdelt-1001", "--db", db_url, "-f", "json",
                "--known-at", "2017-07-01T23:44:59Z")
    assert len(json.loads(before.stdout)["claimants"]) == 1
    mention = export(db_url)[-1]
    assert mention["claim_id"] == "gdelt-1003" and mention["recorded_at"] == iso("20170701234500")
    again = ok("import", "--from", "gdelt-mentions", str(path), "--db", db_url)
    assert "imported: 0 added, 3 skipped (already stored)" in again.stderr


# --- the shared GDELT sample ---------------------------------------------------------------------

def sample_rows() -> list[dict[str, str]]:
    with EVENTS_SAMPLE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sample_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The sample imported once per engine and module (the import is the slow part)."""
    if not EVENTS_SAMPLE.is_file():
        pytest.skip(f"no GDELT sample in {SHARED}")
    schema = None
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("gdelt") / "sample.db")
    else:
        from tests.conftest import PgSchema, postgres_base_url

        schema = PgSchema(postgres_base_url() or "")
        url = schema.url
    try:
        result = ok("import", "--from", "gdelt", str(EVENTS_SAMPLE), "--db", url)
        assert f"imported: {len(sample_rows())} added" in result.stderr
        yield url
    finally:
        if schema is not None:
            schema.drop()


# (as_of day, known_at as written, the last DATEADDED it includes): known_at means
# recorded_at < the end of the period written, and DATEADDED has whole seconds.
BASES = [
    ("2017-07-01", "2017-05-01T23:44:59Z", "20170501234459"),  # before the first batch
    ("2017-04-30", "2017-05-01T23:45:00Z", "20170501234500"),  # the first batch, old events only
    ("2017-05-31", "2017-05-15", "20170515235959"),  # between the first and second batch
    ("2017-06-01", "2017-06-01T23:45:00Z", "20170601234500"),  # the second batch's own day
    ("2017-06-30", "2017-06-01T23:44:59Z", "20170601234459"),  # one second before the second
    ("2016-12-31", "2017-06-30", "20170630235959"),  # between the second and third batch
    ("2017-07-01", "2017-07-01T23:45:00Z", "20170701234500"),  # everything
    ("2010-01-01", "2017-07", "20170731235959"),  # after all batches, events long before
]


@needs_sample
@pytest.mark.parametrize(("as_of", "known_at", "last_added"), BASES)
def test_sample_bitemporal_counts_match_the_csv(
    sample_db: str, as_of: str, known_at: str, last_added: str
) -> None:
    day = as_of.replace("-", "")
    expected = {
        f"gdelt-{r['GLOBALEVENTID']}" for r in sample_rows()
        if r["SQLDATE"] <= day and r["DATEADDED"] <= last_added
    }
    assert claim_ids(sample_db, "--as-of", as_of, "--known-at", known_at) == expected


@needs_sample
def test_sample_times_and_reimport(sample_db: str) -> None:
    stored = {e["claim_id"]: e for e in export(sample_db)}
    rows = sample_rows()
    assert len(stored) == len(rows)
    for r in rows:
        e = stored[f"gdelt-{r['GLOBALEVENTID']}"]
        assert e["recorded_at"] == iso(r["DATEADDED"])
        assert e["occurred_from"] == iso(r["SQLDATE"] + "000000")
    again = ok("import", "--from", "gdelt", str(EVENTS_SAMPLE), "--db", sample_db)
    assert f"imported: 0 added, {len(rows)} skipped (already stored)" in again.stderr
    ok("verify", "--db", sample_db)


@needs_sample
@pytest.mark.skipif(not MENTIONS_SAMPLE.is_file(), reason=f"no GDELT mentions sample in {SHARED}")
def test_sample_mentions(sample_db: str) -> None:
    events = {r["GLOBALEVENTID"] for r in sample_rows()}
    with MENTIONS_SAMPLE.open(newline="", encoding="utf-8") as f:
        mentions = list(csv.DictReader(f))
    unknown = sum(1 for m in mentions if m["globaleventid"] not in events)
    known = {(m["globaleventid"], m["mentionidentifier"], m["sentenceid"]) for m in mentions
             if m["globaleventid"] in events}
    result = ok("import", "--from", "gdelt-mentions", str(MENTIONS_SAMPLE), "--db", sample_db,
                "--dry-run")  # dry: the other tests share this ledger
    assert f"would add {len(known)}," in result.stderr
    assert f"{unknown} mentions of unknown events skipped" in result.stderr


def test_reader_layouts_agree(tmp_path: Path) -> None:
    """Both layouts of one fixture produce identical events (ids, data, times)."""
    from ledger.service.gdelt import load_gdelt_events

    raw = load_gdelt_events(write_events(tmp_path / "a", EVENTS, "raw"))
    header_file = write_events(tmp_path / "b", EVENTS, "header")
    header = load_gdelt_events(io.BytesIO(header_file.read_bytes()))
    assert [(e.event_id, e.data, e.recorded_at) for e in raw] == [
        (e.event_id, e.data, e.recorded_at) for e in header
    ]
