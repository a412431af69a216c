"""Archived copies on every store: idempotent by digest, refused when missing, re-hashed by
verify, carried by export/import with the chain unchanged."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.domain.errors import InvalidInput, IntegrityError, NotFoundError
from ledger.domain.events import validate_event
from ledger.service import Ledger, open_ledger
from ledger.service.evidence_lines import CopyReader, write_copy_line
from ledger.store.memory import MemoryStore
from ledger.store.port import EvidenceInfo
from ledger.store.sql.engine import make_engine
from ledger.store.sql.urls import resolve_url
from tests.conftest import PgSchema, postgres_base_url

PAGE = b"<html><p>All of these musings are based on nothing.</p></html>"
DIGEST = hashlib.sha256(PAGE).hexdigest()


def made(claim: str = "c1", **source: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "ClaimMade", "claim_id": claim, "occurred_at": "2023-11-02",
        "data": {"claimant": "Wall Street Journal", "statement": "Wagner plans a transfer"},
    }
    if source:
        line["data"]["source"] = {"name": "WSJ", **source}
    return line


def ndjson(*items: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def exported(lg: Ledger, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    lg.export(out, **kwargs)
    return out.getvalue()


@contextlib.contextmanager
def fresh_like(lg: Ledger, tmp_path: Path) -> Iterator[Ledger]:
    """An empty ledger on the same engine as `lg`."""
    if lg.engine is None:
        yield Ledger(store=MemoryStore())
        return
    if lg.engine.dialect.name == "sqlite":
        other = open_ledger(str(tmp_path / "other.db"))
        try:
            yield other
        finally:
            other.close()
        return
    base = postgres_base_url()
    assert base is not None
    schema = PgSchema(base)
    other = open_ledger(schema.url)
    try:
        yield other
    finally:
        other.close()
        schema.drop()


def change_copy(lg: Ledger, digest: str, data: bytes) -> None:
    """Change a stored copy behind the triggers' back, as an owner or superuser can."""
    if lg.engine is None:
        lg.store.evidence._bytes[digest] = data  # type: ignore[attr-defined]
        return
    engine = make_engine(resolve_url(lg.engine.url.render_as_string(False)))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":  # drop the trigger, change, put it back
                trigger = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = "
                                            "'evidence_refuse_update'")).scalar_one()
                conn.execute(text("DROP TRIGGER evidence_refuse_update"))
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("UPDATE evidence SET bytes = :b WHERE sha256 = :d"),
                         {"b": data, "d": digest})
            if engine.dialect.name == "sqlite":
                conn.execute(text(trigger))
    finally:
        engine.dispose()


# -- storing and reading --------------------------------------------------------------------


def test_adding_a_copy_twice_stores_it_once(ledger: Ledger) -> None:
    first = ledger.evidence_add(PAGE, media_type="text/html")
    again = ledger.evidence_add(io.BytesIO(PAGE), media_type="text/plain")
    assert first == {"sha256": DIGEST, "media_type": "text/html", "size": len(PAGE),
                     "stored": True}
    assert again == {**first, "stored": False}  # the first copy's type is kept
    listed = ledger.evidence_list()
    assert [(c["sha256"], c["media_type"], c["size"]) for c in listed] == [
        (DIGEST, "text/html", len(PAGE))
    ]


def test_a_copy_reads_back_as_the_bytes_stored(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "capture.pdf"
    path.write_bytes(b"%PDF-1.7 " + bytes(range(256)) * 50)
    added = ledger.evidence_add(path)
    assert added["media_type"] == "application/pdf"  # guessed from the name
    out = io.BytesIO()
    facts = ledger.evidence_get(added["sha256"].upper(), out)
    assert out.getvalue() == path.read_bytes()
    assert facts["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_empty_copy_is_a_copy(ledger: Ledger) -> None:
    added = ledger.evidence_add(b"")
    out = io.BytesIO()
    ledger.evidence_get(added["sha256"], out)
    assert (added["size"], out.getvalue()) == (0, b"")
    assert ledger.verify()["ok"]


def test_getting_an_unknown_or_malformed_digest_is_refused(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no archived copy with sha256 " + "ab" * 32):
        ledger.evidence_get("ab" * 32, io.BytesIO())
    with pytest.raises(InvalidInput, match="not a sha256"):
        ledger.evidence_get("abc", io.BytesIO())
    with pytest.raises(InvalidInput, match="not a media type"):
        ledger.evidence_add(PAGE, media_type="html")


# -- events that name copies ----------------------------------------------------------------


def test_an_event_naming_an_unstored_copy_is_refused_and_nothing_is_stored(
    ledger: Ledger,
) -> None:
    good = made("c0")
    bad = made("c1", archive=DIGEST)
    with pytest.raises(InvalidInput) as refused:
        ledger.import_ndjson(ndjson(good, bad))
    assert refused.value.line == 2
    assert refused.value.field == "data.source.archive"
    assert DIGEST in str(refused.value)
    assert ledger.store.head().position == 0
    ledger.evidence_add(PAGE)
    assert ledger.import_ndjson(ndjson(good, bad))["added"] == 2


def test_a_correction_naming_an_unstored_copy_is_refused(ledger: Ledger) -> None:
    ledger.import_ndjson(ndjson({**made("c1"), "event_id": "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d"}))
    fix = {"type": "RecordCorrected", "data": {
        "target_event_id": "0193c4f0-7c2a-7b3e-9a1d-5e6f7a8b9c0d", "reason": "archived",
        "changes": {"source": {"name": "WSJ", "archive": DIGEST}}}}
    with pytest.raises(InvalidInput, match="data.changes.source.archive"):
        ledger.import_ndjson(ndjson(fix))
    ledger.evidence_add(PAGE)
    assert ledger.import_ndjson(ndjson(fix))["added"] == 1


def test_an_archive_is_a_lowercase_sha256() -> None:
    for wrong in ("ABC", DIGEST.upper(), DIGEST[:-1], 7):
        with pytest.raises(InvalidInput, match="data.source.archive"):
            validate_event(made(archive=wrong))


def test_the_chain_commits_to_the_copy(ledger: Ledger) -> None:
    """The digest is in the hashed data: the same event with another copy hashes otherwise."""
    stored = ledger.record("ClaimMade", "c1", data=made()["data"] | {"source": {"name": "WSJ"}},
                           occurred_at="2023-11-02", new_claim=True, source_archive=PAGE)
    assert stored["data"]["source"] == {"name": "WSJ", "archive": DIGEST}
    assert ledger.evidence_list()[0]["sha256"] == DIGEST
    shown = ledger.show("c1")
    assert shown["claimants"][0]["source"]["archive"] == DIGEST
    assert shown.archives[DIGEST]["size"] == len(PAGE)  # type: ignore[attr-defined]
    history = ledger.history("c1")
    assert history.archives[DIGEST]["media_type"] == "application/octet-stream"  # type: ignore[attr-defined]


# -- verify -----------------------------------------------------------------------------------


def test_verify_rehashes_every_copy_and_names_a_changed_one(ledger: Ledger) -> None:
    ledger.evidence_add(PAGE)
    ledger.import_ndjson(ndjson(made("c1", archive=DIGEST)))
    intact = ledger.verify()
    assert intact["ok"] and intact["evidence_checked"] == 1
    change_copy(ledger, DIGEST, PAGE.replace(b"nothing", b"facts!!"))
    report = ledger.verify()
    assert not report["ok"]
    (found,) = report["breaks"]
    assert found["evidence"] == DIGEST and found["position"] == 1
    assert "changed" in found["reason"] and DIGEST in found["reason"]


def test_verify_names_an_event_whose_copy_is_missing(ledger: Ledger) -> None:
    ledger.evidence_add(PAGE)
    ledger.import_ndjson(ndjson(made("c0"), made("c1", archive=DIGEST)))
    if ledger.engine is None:
        store: Any = ledger.store.evidence
        del store._infos[DIGEST], store._bytes[DIGEST]
    else:
        engine = make_engine(resolve_url(ledger.engine.url.render_as_string(False)))
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":  # drop the trigger, delete, put it back
                trigger = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = "
                                            "'evidence_refuse_delete'")).scalar_one()
                conn.execute(text("DROP TRIGGER evidence_refuse_delete"))
                conn.execute(text("DELETE FROM evidence"))
                conn.execute(text(trigger))
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("DELETE FROM evidence"))
        engine.dispose()
    report = ledger.verify()
    assert not report["ok"]
    assert [(b["position"], b["evidence"]) for b in report["breaks"]] == [(2, DIGEST)]
    assert "not stored" in report["breaks"][0]["reason"]
    with pytest.raises(IntegrityError, match=DIGEST):
        exported(ledger, with_evidence=True)


def test_stored_copies_refuse_update_and_delete(db_url: str) -> None:
    lg = open_ledger(db_url)
    try:
        lg.evidence_add(PAGE)
        engine = make_engine(resolve_url(db_url))
        try:
            for sql in ("UPDATE evidence SET media_type = 'text/plain'", "DELETE FROM evidence",
                        "INSERT OR REPLACE INTO evidence VALUES (:d, 'x/y', X'00', 1, 1)"):
                if engine.dialect.name != "sqlite" and "REPLACE" in sql:
                    sql = "TRUNCATE evidence"
                with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                    conn.execute(text(sql), {"d": DIGEST})
        finally:
            engine.dispose()
        out = io.BytesIO()
        lg.evidence_get(DIGEST, out)
        assert out.getvalue() == PAGE
    finally:
        lg.close()


# -- export and import ----------------------------------------------------------------------


def test_export_with_evidence_round_trips_with_the_same_head(
    ledger: Ledger, tmp_path: Path
) -> None:
    other_page = os.urandom(5000)
    other = hashlib.sha256(other_page).hexdigest()
    ledger.evidence_add(PAGE, media_type="text/html")
    ledger.evidence_add(other_page)
    ledger.evidence_add(b"named by nobody")
    ledger.import_ndjson(ndjson(made("c0"), made("c1", archive=DIGEST),
                                made("c2", archive=other), made("c3", archive=DIGEST)))
    text_out = exported(ledger, with_evidence=True)
    lines = [json.loads(line) for line in text_out.splitlines()]
    kinds = [("evidence", line["evidence"]) if "evidence" in line else line["claim_id"]
             for line in lines]
    # Each copy once, just before the first event that names it; unnamed copies not at all.
    assert kinds == ["c0", ("evidence", DIGEST), "c1", ("evidence", other), "c2", "c3"]
    assert base64.b64decode(lines[1]["base64"]) == PAGE and lines[1]["media_type"] == "text/html"
    assert exported(ledger) == b"".join(
        line + b"\n" for line in text_out.splitlines() if not line.startswith(b'{"evidence"')
    )
    with fresh_like(ledger, tmp_path) as copy:
        report = copy.import_ndjson(text_out, keep_recorded_at=True)
        assert report["added"] == 4 and report["evidence"] == {"lines": 2, "added": 2}
        assert copy.store.head() == ledger.store.head()
        assert copy.verify()["ok"]
        out = io.BytesIO()
        copy.evidence_get(other, out)
        assert out.getvalue() == other_page
        again = copy.import_ndjson(text_out, keep_recorded_at=True)  # idempotent
        assert (again["added"], again["skipped"], again["evidence"]["added"]) == (0, 4, 0)


def test_import_refuses_a_copy_that_does_not_match_its_digest(ledger: Ledger) -> None:
    line = {"evidence": DIGEST, "media_type": "text/html",
            "base64": base64.b64encode(PAGE + b"!").decode()}
    with pytest.raises(InvalidInput) as refused:
        ledger.import_ndjson(ndjson(made("c0"), line, made("c1", archive=DIGEST)))
    assert refused.value.line == 2 and "hash to" in str(refused.value)
    assert ledger.store.head().position == 0 and ledger.evidence_list() == []


def test_a_dry_run_with_copies_stores_nothing(ledger: Ledger) -> None:
    line = {"media_type": "text/html", "base64": base64.b64encode(PAGE).decode(),
            "evidence": DIGEST}  # any key order on a line read whole
    report = ledger.import_ndjson(ndjson(line, made("c1", archive=DIGEST)), dry_run=True)
    assert report["added"] == 1 and report["dry_run"]
    assert ledger.store.head().position == 0 and ledger.evidence_list() == []


def test_an_evidence_line_longer_than_an_event_line_streams(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.service.log as log

    monkeypatch.setattr(log, "MAX_LINE_BYTES", 2048)  # so a 30 kB copy is a "long" line
    data = os.urandom(30_000)
    digest = hashlib.sha256(data).hexdigest()
    line = (f'{{"evidence":"{digest}","media_type":"image/png","base64":"'.encode()
            + base64.b64encode(data) + b'"}\n')
    ledger.import_ndjson(line + ndjson(made("c1", archive=digest)))
    out = io.BytesIO()
    ledger.evidence_get(digest, out)
    assert out.getvalue() == data
    reordered = json.dumps({"media_type": "image/png", "evidence": digest,
                            "base64": base64.b64encode(data).decode()}).encode() + b"\n"
    with pytest.raises(InvalidInput, match="in that order"):
        ledger.import_ndjson(reordered)


class _Pieces:
    """An evidence store serving one copy in the pieces a test chooses."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        self.data = data
        self.cuts = sorted({c for c in cuts if 0 < c < len(data)})

    def chunks(self, sha256: str) -> Iterator[bytes]:
        start = 0
        for cut in [*self.cuts, len(self.data)]:
            yield self.data[start:cut]
            start = cut


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 3000), max_size=6),
       limit=st.sampled_from([64, 200, 100_000]))
def test_an_evidence_line_decodes_to_the_bytes_whatever_the_pieces(
    data: bytes, cuts: list[int], limit: int
) -> None:
    import ledger.service.evidence_lines as lines

    digest = hashlib.sha256(data).hexdigest()
    out = io.BytesIO()
    write_copy_line(out, _Pieces(data, cuts), EvidenceInfo(digest, "a/b", len(data), 0))  # type: ignore[arg-type]
    assert json.loads(out.getvalue()) == {  # the model: plain base64 of the bytes
        "evidence": digest, "media_type": "a/b", "base64": base64.b64encode(data).decode()}
    stream = io.BytesIO(out.getvalue() + b'{"next": 1}\n')
    reader = CopyReader()
    old = lines._TEXT_CHUNK
    lines._TEXT_CHUNK = limit  # how much the reader takes per read
    try:
        reader.read(stream.readline(limit), stream, 1)
    finally:
        lines._TEXT_CHUNK = old
    (copy,) = reader.copies
    assert (copy.sha256, copy.size, b"".join(copy.chunks(7))) == (digest, len(data), data)
    assert stream.read() == b'{"next": 1}\n'  # the next line is left for the caller
    reader.close()


@pytest.mark.slow
def test_a_30_mb_copy_streams_in_and_out(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    data = os.urandom(30 * 1024 * 1024)
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    assert ledger.evidence_add(path)["sha256"] == digest
    out = io.BytesIO()
    ledger.evidence_get(digest, out)
    assert out.getvalue() == data
    ledger.import_ndjson(ndjson(made("c1", archive=digest)))
    assert ledger.verify()["ok"]
    dump = tmp_path / "dump.ndjson"
    with dump.open("wb") as stream:
        ledger.export(stream, with_evidence=True)
    with fresh_like(ledger, tmp_path) as copy, dump.open("rb") as stream:
        copy.import_ndjson(stream, keep_recorded_at=True)
        assert copy.store.head() == ledger.store.head()
        out = io.BytesIO()
        copy.evidence_get(digest, out)
        assert out.getvalue() == data
