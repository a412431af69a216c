"""The search index is derived from the log: replay, the migration and every store agree on it,
and it commits or vanishes with the append that wrote it."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, text

from ledger.service import open_ledger
from ledger.service.ledger import Ledger
from ledger.store.memory import MemoryStore
from ledger.store.sql.migrate import downgrade, upgrade
from ledger.store.sql.search import stored_columns
from ledger.store.sql.urls import resolve_url
from tests.faults._support import assert_ok, clean_env, cli_in_process, run_ledger

LINES = [
    {"event_id": "00000000-0000-4000-8000-00000000000a", "type": "ClaimMade", "claim_id": "c-one",
     "occurred_at": "2023-11-02", "data": {"claimant": "Wall Street Journal",
                                           "statement": "Wagner will supply a Pantsir",
                                           "quote": "promised", "source": {"name": "WSJ"}}},
    {"event_id": "00000000-0000-4000-8000-00000000000b", "type": "ClaimDenied", "claim_id": "c-one",
     "occurred_at": "2023-11-05", "data": {"denier": "Peskov", "quote": "musings"}},
    {"event_id": "00000000-0000-4000-8000-00000000000c", "type": "RecordCorrected",
     "claim_id": "c-one", "data": {"target_event_id": "00000000-0000-4000-8000-00000000000b",
                                   "changes": {"quote": "fabrications", "occurred_at": "2023-11-06"},
                                   "reason": "misquoted"}},
    {"event_id": "00000000-0000-4000-8000-00000000000d", "type": "ClaimMade", "claim_id": "c-two",
     "occurred_at": "2023-11-07", "data": {"claimant": "Reuters", "statement": "Convoy seen"}},
    {"event_id": "00000000-0000-4000-8000-00000000000e", "type": "RecordCorrected",
     "claim_id": "c-one", "data": {"target_event_id": "00000000-0000-4000-8000-00000000000a",
                                   "changes": {"occurred_at": "2023-11-03"}, "reason": "date"}},
    {"event_id": "00000000-0000-4000-8000-00000000000f", "type": "RecordVoided",
     "claim_id": "c-two", "data": {"target_event_id": "00000000-0000-4000-8000-00000000000d",
                                   "reason": "duplicate"}},
]
NDJSON = "".join(json.dumps(line) + "\n" for line in LINES)


def _rows(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT id, source, field, item, valid_from, valid_to, occurred_from, occurred_to "
                "FROM search_rows ORDER BY id"))]
    finally:
        engine.dispose()


def _hits(url: str, *args: str) -> list[Any]:
    out = assert_ok(cli_in_process("search", *args, "-f", "json", "--db", url)).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def test_incremental_rows_equal_a_replay_and_the_migration_backfill(db_url: str) -> None:
    # One event per append, so every correction reaches the index incrementally.
    for line in LINES:
        assert_ok(cli_in_process("append", "-", "--db", db_url, input=json.dumps(line) + "\n"))
    rows = _rows(db_url)
    assert len(rows) > len(LINES)
    found = [_hits(db_url, q, "--known-at", f"@{p}") for q in ("musings", "wagner") for p in (2, 6)]
    assert_ok(cli_in_process("replay", "--db", db_url))
    assert _rows(db_url) == rows
    engine = create_engine(resolve_url(db_url))
    try:
        downgrade(engine, "0005")
        upgrade(engine)
    finally:
        engine.dispose()
    assert _rows(db_url) == rows
    assert [_hits(db_url, q, "--known-at", f"@{p}") for q in ("musings", "wagner")
            for p in (2, 6)] == found


def test_one_batch_and_the_memory_store_give_the_same_rows(db_url: str) -> None:
    assert_ok(cli_in_process("append", "-", "--db", db_url, input=NDJSON))
    memory = Ledger(store=MemoryStore())
    memory.import_ndjson(NDJSON.encode())
    index = memory.store.search_index._rows  # type: ignore[attr-defined]
    expected = [stored_columns(r) for r in sorted(index.values(), key=lambda r: r.id)]
    assert _rows(db_url) == expected


def test_an_append_killed_before_commit_leaves_no_index_rows(db_url: str) -> None:
    assert_ok(cli_in_process("append", "-", "--db", db_url, input=NDJSON))
    before = _rows(db_url)
    more = {"type": "ClaimMade", "claim_id": "c-three", "occurred_at": "2023-11-08",
            "data": {"claimant": "AP", "statement": "Tehran convoy"}}
    killed = run_ledger("append", "-", "--db", db_url, input=json.dumps(more) + "\n",
                        env=clean_env(LEDGER_FAULTS="before-commit"))
    assert killed.returncode != 0
    assert _rows(db_url) == before
    assert _hits(db_url, "tehran") == []
    assert_ok(cli_in_process("append", "-", "--db", db_url, input=json.dumps(more) + "\n"))
    assert [h["claim_id"] for h in _hits(db_url, "tehran")] == ["c-three"]


@pytest.mark.parametrize("engine", ["memory", "sqlite"])
def test_a_large_import_indexes_every_event(engine: str, tmp_path: Any) -> None:
    lines: list[dict[str, Any]] = [
        {"event_id": f"00000000-0000-4000-9000-{i:012d}", "type": "ClaimMade",
         "claim_id": f"bulk-{i}", "occurred_at": "2023-11-02",
         "data": {"claimant": "Agency", "statement": f"word{i % 7} convoy"}}
        for i in range(300)
    ]
    lines.append({"type": "RecordVoided", "claim_id": "bulk-3",
                  "data": {"target_event_id": lines[3]["event_id"], "reason": "void"}})
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    lg = Ledger(store=MemoryStore()) if engine == "memory" else open_ledger(str(tmp_path / "b.db"))
    with lg:
        lg.import_ndjson(body)
        hits = lg.search("word3", limit=None)
        assert sorted(h["claim_id"] for h in hits) == sorted(
            f"bulk-{i}" for i in range(300) if i % 7 == 3 and i != 3
        )


def test_the_migration_gives_alias_rows_stored_without_their_index_their_snippet(
    tmp_path: Any,
) -> None:
    # Before revision 0009 SQLite stored a plain alias row without its array index.
    url = str(tmp_path / "aliases.db")
    assert_ok(cli_in_process("actor", "add", "sergei-shoigu", "--name", "Sergei Shoigu",
                             "--alias", "Sergei Choigou", "--db", url))
    rows = _rows(url)
    engine = create_engine(resolve_url(url))
    try:
        downgrade(engine, "0008")
        with engine.begin() as conn:
            conn.execute(text("UPDATE search_rows SET item = NULL WHERE field = 21"))
        assert _rows(url) != rows
        upgrade(engine)
    finally:
        engine.dispose()
    assert _rows(url) == rows
    assert [h["snippet"] for h in _hits(url, "choigou")] == ["Sergei [Choigou]"]
