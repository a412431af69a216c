"""Times at the edges, through the CLI: impossible dates, 24:00, leap seconds, years 1 and 9999,
extreme offsets, DST gaps and overlaps in a default zone, and a clock that steps back."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from ledger.domain.events import validate_event
from ledger.service import open_ledger, verify_ledger
from ledger.store.clock import wall_clock
from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    clean_env,
    cli_in_process,
    export_lines,
    record_figures,
    run_ledger,
)

# value, what the one error line must say
REFUSED = [
    ("2023-02-30", "2023-02 has no day 30"),
    ("2023-02-29", "has no day 29"),
    ("2023-11-31", "has no day 31"),
    ("2023-13", "month 13"),
    ("2023-11-21T24:00Z", "hour 24"),
    ("2023-11-21T24:00:00Z", "hour 24"),
    ("2016-12-31T23:59:60Z", "leap second"),
    ("2016-12-31T23:59:60.5Z", "leap second"),
    ("2023-11-21T10:60Z", "minute 60"),
    ("0000", "year 0000"),
    ("0000-12-31", "year 0000"),
    ("10000-01-01", "not an ISO 8601 time"),
    ("-0001", "not an ISO 8601 time"),
    ("0001-01-01T00:30+01:00", "before 0001-01-01"),
    ("9999-12-31T23:30-01:00", "after 9999-12-31"),
    ("2023-11-21T10:00+24:00", "offset +24:00"),
    ("2023-11-21T10:00", "no UTC offset"),
    ("2023-11-21T10:00:00.1234567Z", "6 fractional digits"),
    ("2023-11-20/2023-11-02", "ends before it starts"),
    ("2023-11-21/", "not an interval"),
    (" 2023-11-21", "not an ISO 8601 time"),
    ("2023-W47", "not an ISO 8601 time"),
    ("21/11/2023", "not an interval"),
    ("yesterday", "not an ISO 8601 time"),
]

# value, stored occurred_from, occurred_to
ACCEPTED = [
    ("0001", "0001-01-01T00:00:00.000000Z", "0002-01-01T00:00:00.000000Z"),
    ("0001-01-01", "0001-01-01T00:00:00.000000Z", "0001-01-02T00:00:00.000000Z"),
    ("0001-01-01T00:00Z", "0001-01-01T00:00:00.000000Z", "0001-01-01T00:01:00.000000Z"),
    ("9999", "9999-01-01T00:00:00.000000Z", "10000-01-01T00:00:00.000000Z"),
    ("9999-12", "9999-12-01T00:00:00.000000Z", "10000-01-01T00:00:00.000000Z"),
    ("9999-12-31", "9999-12-31T00:00:00.000000Z", "10000-01-01T00:00:00.000000Z"),
    ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z",
     "10000-01-01T00:00:00.000000Z"),
    ("2024-02-29", "2024-02-29T00:00:00.000000Z", "2024-03-01T00:00:00.000000Z"),
    ("2023-11-21T10:00+14:00", "2023-11-20T20:00:00.000000Z", "2023-11-20T20:01:00.000000Z"),
    ("2023-11-21T10:00-12:00", "2023-11-21T22:00:00.000000Z", "2023-11-21T22:01:00.000000Z"),
    ("2023-11-21T10:00+05:45", "2023-11-21T04:15:00.000000Z", "2023-11-21T04:16:00.000000Z"),
    ("2023-11-21T10:00+0530", "2023-11-21T04:30:00.000000Z", "2023-11-21T04:31:00.000000Z"),
    ("2016-12-31T23:59:59.999999Z", "2016-12-31T23:59:59.999999Z",
     "2017-01-01T00:00:00.000000Z"),
    ("2023-11-21T15:30:00.5Z", "2023-11-21T15:30:00.500000Z", "2023-11-21T15:30:00.600000Z"),
    ("0001/9999", "0001-01-01T00:00:00.000000Z", "10000-01-01T00:00:00.000000Z"),
]

PARIS = "Europe/Paris"
# In a default zone: DST gaps and overlaps of wall-clock times are refused, naming the zone.
ZONE_REFUSED = [
    ("2024-03-31T02:30", "does not exist in Europe/Paris"),
    ("2024-03-31T02", "does not exist in Europe/Paris"),
    ("2024-03-31T02:00:00", "does not exist in Europe/Paris"),
    ("2024-10-27T02:30", "happened twice in Europe/Paris"),
    ("2024-10-27T02:59:59.999999", "happened twice in Europe/Paris"),
    ("2024-10-27T02", "happened twice in Europe/Paris"),
]
ZONE_ACCEPTED = [
    # A day in the zone: 23 hours on the spring-forward day, 25 on the fall-back day.
    ("2024-03-31", "2024-03-30T23:00:00.000000Z", "2024-03-31T22:00:00.000000Z"),
    ("2024-10-27", "2024-10-26T22:00:00.000000Z", "2024-10-27T23:00:00.000000Z"),
    ("2024-03-31T03:00", "2024-03-31T01:00:00.000000Z", "2024-03-31T01:01:00.000000Z"),
    ("2024-03-31T01:59", "2024-03-31T00:59:00.000000Z", "2024-03-31T01:00:00.000000Z"),
    # An explicit offset settles an overlap.
    ("2024-10-27T02:30+01:00", "2024-10-27T01:30:00.000000Z", "2024-10-27T01:31:00.000000Z"),
    ("2024-10-27T02:30+02:00", "2024-10-27T00:30:00.000000Z", "2024-10-27T00:31:00.000000Z"),
]


def _make(db: str, claim: str, occurred_at: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli_in_process(
        "claim", "make", claim, "--claimant", "Wire", "--statement", "s",
        "--occurred-at", occurred_at, "--db", db, *extra,
    )


@pytest.mark.timeout(180)
def test_impossible_times_are_refused_by_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "times.db")
    for value, reason in REFUSED:
        assert_one_error_line(_make(db, "edge", value), "occurred_at", reason)
    for value, reason in ZONE_REFUSED:
        assert_one_error_line(_make(db, "edge", value, "--tz", PARIS), value, reason)
    assert_one_error_line(_make(db, "edge", "2024-03-31T02:30", "--tz", "Mars/Olympus_Mons"),
                          "unknown time zone 'Mars/Olympus_Mons'")
    # The same refusals as cut-offs of a question.
    for option, value, reason in (
        ("--as-of", "2023-02-30", "has no day 30"),
        ("--as-of", "2023-11-21T24:00Z", "hour 24"),
        ("--known-at", "2016-12-31T23:59:60Z", "leap second"),
        ("--as-of", "2023-11-20/2023-11-21", "interval"),
    ):
        assert_one_error_line(cli_in_process("claim", "list", option, value, "--db", db), reason)
    # Through the real program once, with a zone from the environment.
    real = run_ledger("claim", "make", "edge", "--claimant", "Wire", "--statement", "s",
                      "--occurred-at", "2024-03-31T02:30", "--db", db,
                      env=clean_env(LEDGER_TIMEZONE=PARIS))
    assert_one_error_line(real, "does not exist in Europe/Paris", "add a UTC offset")
    export = assert_ok(cli_in_process("export", "--db", db))
    assert export.stdout == b""  # nothing was stored
    record_figures(
        "time edges refused",
        times_tried=len(REFUSED) + len(ZONE_REFUSED) + 6,
        times_refused=len(REFUSED) + len(ZONE_REFUSED) + 6,
    )


@pytest.mark.timeout(180)
def test_edge_times_that_exist_are_stored_exactly(tmp_path: Path) -> None:
    db = str(tmp_path / "times.db")
    cases = [(v, f, t, ()) for v, f, t in ACCEPTED]
    cases += [(v, f, t, ("--tz", PARIS)) for v, f, t in ZONE_ACCEPTED]
    for i, (value, start, end, extra) in enumerate(cases):
        stored = json.loads(assert_ok(_make(db, f"edge-{i}", value, *extra)).stdout)
        assert (stored["occurred_from"], stored["occurred_to"]) == (start, end), value
    rows = export_lines(db)
    assert [(r["occurred_from"], r["occurred_to"]) for r in rows] == [(c[1], c[2]) for c in cases]
    # A basis at the very end of time includes everything and is not tentative.
    listed = assert_ok(cli_in_process("claim", "list", "--as-of", "9999-12-31", "-f", "json",
                                      "--db", db))
    answers = json.loads(listed.stdout)
    assert len(answers) == len(cases) and not any(a["tentative"] for a in answers)
    assert answers[0]["basis"]["as_of"] == "9999-12-31T23:59:59.999999Z"
    # At the start of 9999-12-31 the 9999 events are still tentative.
    early = json.loads(assert_ok(cli_in_process(
        "claim", "show", "edge-5", "--as-of", "9999-12-31T00:00Z", "-f", "json", "--db", db
    )).stdout)
    assert early["tentative"] is True
    record_figures("time edges accepted", times_tried=len(cases), times_refused=0)


@pytest.mark.timeout(180)
def test_year_9999_round_trips_through_export_and_import(tmp_path: Path) -> None:
    db, other = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    line = {"event_id": str(uuid.uuid4()), "type": "ClaimMade", "claim_id": "end-of-time",
            "occurred_at": "9999-12-31", "data": {"claimant": "Oracle", "statement": "Last day"}}
    first = {"event_id": str(uuid.uuid4()), "type": "ClaimMade", "claim_id": "start-of-time",
             "occurred_at": "0001-01-01/0001-01-01", "data": {"claimant": "A", "statement": "B"}}
    data = json.dumps(first) + "\n" + json.dumps(line) + "\n"
    assert_ok(run_ledger("import", "-", "--db", db, input=data))
    exported = assert_ok(run_ledger("export", "--db", db)).stdout
    rows = [json.loads(r) for r in exported.splitlines()]
    assert rows[1]["occurred_to"] == "10000-01-01T00:00:00.000000Z"
    assert rows[0]["occurred_from"] == "0001-01-01T00:00:00.000000Z"
    assert_ok(run_ledger("import", "-", "--keep-recorded-at", "--db", other, input=exported))
    again = assert_ok(run_ledger("export", "--db", other)).stdout
    assert again == exported  # byte-identical, so the same chain
    assert_ok(run_ledger("verify", "--db", other))
    # Importing the export into the same ledger is idempotent: the same interval, the same event.
    skip = assert_ok(run_ledger("import", "-", "--db", db, input=exported))
    assert "0 added, 2 skipped" in skip.stderr.decode()


class SteppingClock:
    """A clock that jumps back by an hour between readings, like a badly corrected NTP step."""

    def __init__(self, readings: list[int]) -> None:
        self.readings = readings
        self.calls = 0

    def __call__(self) -> int:
        value = self.readings[min(self.calls, len(self.readings) - 1)]
        self.calls += 1
        return value


def _event(i: int) -> object:
    return validate_event({
        "event_id": str(uuid.uuid4()), "type": "ClaimMade", "claim_id": f"clock-{i % 2}",
        "occurred_at": "2023-11-21", "data": {"claimant": "Wire", "statement": f"event {i}"},
    })


@pytest.mark.timeout(120)
def test_recorded_at_never_decreases_when_the_clock_steps_back(db_url: str) -> None:
    hour = 3_600_000_000
    now = wall_clock()
    readings = [now, now - hour, now - 2 * hour, now + 1, now - 10 * hour]
    ledger = open_ledger(db_url, clock=SteppingClock(readings))
    try:
        stored = []
        for i in range(len(readings)):
            batch = [_event(i), _event(i + 100)]
            stored += ledger.store.append(batch).added  # type: ignore[arg-type]
        times = [e.recorded_at for e in stored]
        assert times == sorted(times), "recorded_at went back"
        assert times[0] == times[1] == now
        assert times[2:6] == [now] * 4  # the clock went back: the head's time is kept
        assert times[6:8] == [now + 1] * 2  # forward again
        assert times[8:] == [now + 1] * 2
        report = verify_ledger(ledger)
        assert report.ok and report.checked == len(stored)
        # known_at by time still finds a clean prefix: everything recorded by now + 1.
        assert ledger.store.position_before(now + 2) == len(stored)
        assert ledger.store.position_before(now) == 0
    finally:
        ledger.close()
