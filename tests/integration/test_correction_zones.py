"""A correction's time means what its writer's zone said, whatever zone a reader sets.

The model in the test computes the instant with zoneinfo directly: the day written, in the
writer's zone (UTC when the writer set none), converted to UTC.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ledger.service as service
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore

ZONES = (None, "UTC", "Asia/Tokyo", "America/New_York", "Europe/Paris", "Pacific/Kiritimati",
         "America/St_Johns", "Asia/Kolkata")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def opened(request: pytest.FixtureRequest, tmp_path) -> Iterator[Ledger]:
    if request.param == "memory":
        lg = Ledger(MemoryStore())
    elif request.param == "sqlite":
        lg = service.open(str(tmp_path / "zones.db"))
    else:
        lg = service.open(request.getfixturevalue("pg_url"))
    with lg:
        yield lg


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _model(day: date, zone: str | None) -> tuple[str, str]:
    tz = ZoneInfo(zone) if zone else timezone.utc
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return _utc_text(start), _utc_text(end)


_claims = itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    writer=st.sampled_from(ZONES),
    readers=st.lists(st.sampled_from(ZONES), min_size=2, max_size=4),
)
def test_a_corrected_date_is_the_writers_day_for_every_reader(
    opened: Ledger, day: date, writer: str | None, readers: list[str | None]
) -> None:
    claim = f"zones-{next(_claims)}"
    made = opened.record(
        "ClaimMade", claim, data={"claimant": "A", "statement": "s"}, occurred_at="2023-11-05"
    )
    opened.record(
        "RecordCorrected",
        data={"target_event_id": made["event_id"], "changes": {"occurred_at": day.isoformat()},
              "reason": "date"},
        tz=writer,
    )
    expected = _model(day, writer)
    for reader in readers:
        item = opened.show(claim, tz=reader)["claimants"][0]
        assert (item["occurred_from"], item["occurred_to"]) == expected, reader
        history = opened.history(claim, tz=reader)
        after = history[-1]["erratum"]["occurred_after"]
        assert (after["occurred_from"], after["occurred_to"]) == expected, reader


def test_an_imported_correction_keeps_its_writers_zone(tmp_path) -> None:
    with service.open(str(tmp_path / "a.db")) as lg:
        made = lg.record("ClaimMade", "c1", data={"claimant": "A", "statement": "s"},
                         occurred_at="2023-11-05")
        lg.record("RecordCorrected", data={"target_event_id": made["event_id"],
                                           "changes": {"occurred_at": "2023-11-10"},
                                           "reason": "r"}, tz="Asia/Tokyo")
        exported = tmp_path / "out.ndjson"
        with exported.open("wb") as out:
            lg.export(out)
    with service.open(str(tmp_path / "b.db")) as other:
        other.import_ndjson(exported, keep_recorded_at=True, tz="America/New_York")
        for reader in ZONES:
            item = other.show("c1", tz=reader)["claimants"][0]
            assert item["occurred_from"] == "2023-11-09T15:00:00.000000Z"
            assert item["occurred_to"] == "2023-11-10T15:00:00.000000Z"
