"""The streamed GDELT events import: in-order files straight through, others sorted on disk.

Whatever the file order, the chunk size and the sort's run size, the log must hold the rows in
the order of a stable sort by DATEADDED (the model below), once each; a bad row anywhere, even
after many chunks, stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.service.gdelt_stream as gdelt_stream
import ledger.service.log as service_log
from ledger.domain.errors import LedgerError
from ledger.ingest.gdelt import EVENT_COLUMNS
from ledger.service import Ledger, open_ledger
from ledger.store.memory import MemoryStore


def _row(gid: int, added: int) -> str:
    row = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(
        GLOBALEVENTID=str(gid), SQLDATE="20170501", Actor1Code="RUSGOV", Actor1Name="RUSSIA",
        Actor2Code="USA", Actor2Name="UNITED STATES", EventCode="016", QuadClass="1",
        DATEADDED=f"2017050{1 + added // 24}{added % 24:02d}0000",
        SOURCEURL=f"https://example-news.com/story/{gid}",
    )
    return "\t".join(row[c] for c in EVENT_COLUMNS) + "\n"


def _file(addeds: list[int]) -> bytes:
    return "".join(_row(1000 + i, added) for i, added in enumerate(addeds)).encode()


def _stored_gids(ledger: Ledger) -> list[int]:
    return [int(e.claim_id.removeprefix("gdelt-")) for e in ledger.store.read_after(0)]


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_log, "IMPORT_CHUNK", 3)
    monkeypatch.setattr(gdelt_stream, "SORT_RUN", 4)


class _Pipe(io.RawIOBase):
    """A stream that can be read once, front to back (standard input)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@settings(max_examples=60, deadline=None)
@given(
    addeds=st.lists(st.integers(0, 60), min_size=1, max_size=40),
    chunk=st.integers(1, 9),
    run=st.integers(1, 9),
    piped=st.booleans(),
)
def test_any_file_order_is_stored_as_a_stable_sort_by_dateadded(
    addeds: list[int], chunk: int, run: int, piped: bool
) -> None:
    data = _file(addeds)
    ledger = Ledger(store=MemoryStore())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service_log, "IMPORT_CHUNK", chunk)
        patch.setattr(gdelt_stream, "SORT_RUN", run)
        report = ledger.import_gdelt(io.BufferedReader(_Pipe(data)) if piped else data)
    expected = [1000 + i for i, _ in sorted(enumerate(addeds), key=lambda p: p[1])]
    assert _stored_gids(ledger) == expected
    assert (report["rows"], report["added"], report["skipped"]) == (len(addeds), len(addeds), 0)
    again = ledger.import_gdelt(data)
    assert (again["added"], again["skipped"]) == (0, len(addeds))


@pytest.fixture(params=["sqlite", "postgres"])
def sql_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    url = str(tmp_path / "ledger.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_ledger(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.parametrize("order", ["in order", "out of order"])
def test_a_bad_last_row_after_many_chunks_stores_nothing(
    sql_ledger: Ledger, small: None, order: str
) -> None:
    addeds = list(range(30)) if order == "in order" else list(range(30, 0, -1))
    bad = _row(5000, 40).replace("\t016\t", "\t\t", 1).encode()  # no EventCode
    with pytest.raises(LedgerError, match="line 31"):
        sql_ledger.import_gdelt(_file(addeds) + bad)
    assert sql_ledger.store.head().position == 0
    report = sql_ledger.import_gdelt(_file(addeds))
    assert (report["added"], report["first_position"], report["last_position"]) == (30, 1, 30)


def test_a_repeated_row_chunks_apart_is_kept_once_and_a_changed_one_names_both_lines(
    sql_ledger: Ledger, small: None
) -> None:
    rows = [_row(1000 + i, i) for i in range(12)]
    repeated = "".join(rows + [rows[1]]).encode()
    report = sql_ledger.import_gdelt(repeated, dry_run=True)
    assert (report["rows"], report["added"], report["skipped"]) == (12, 12, 0)
    assert sql_ledger.store.head().position == 0
    changed = "".join(rows + [rows[1].replace("example-news.com", "other.org")]).encode()
    with pytest.raises(LedgerError, match="line 13.*also on line 2"):
        sql_ledger.import_gdelt(changed)
    assert sql_ledger.store.head().position == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=60))
def test_first_lines_answer_as_a_dict_does(steps: list[tuple[int, bool]]) -> None:
    # Ids mostly increasing (GDELT's order) with some below the largest seen, as drawn.
    ids = gdelt_stream.FirstLines()
    model: dict[int, int] = {}
    largest = 0
    for line, (step, back) in enumerate(steps, start=1):
        gid = largest - step if back else largest + step
        largest = max(largest, gid)
        assert ids.setdefault(gid, line) == model.setdefault(gid, line)
    for gid in range(-45, max(model, default=0) + 2):
        assert ids.get(gid) == model.get(gid)
