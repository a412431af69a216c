"""Disk full: SQLite on a small tmpfs, filled; one clear error, nothing committed lost or added."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults._support import (
    EventFile,
    assert_ok,
    assert_one_error_line,
    record_figures,
    run_ledger,
    sqlite_ids,
    sqlite_integrity,
    sqlite_stats,
    verify_digest,
    write_event_file,
)

TMPFS_SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own (skipped where mounting is not permitted)."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True, text=True, check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill(directory: Path, leave_bytes: int) -> Path:
    """Write a filler file until only about `leave_bytes` remain free."""
    filler = directory / "filler"
    free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
    chunk = b"\0" * 65536
    with filler.open("wb") as f:
        remaining = max(free - leave_bytes, 0)
        while remaining > 0:
            try:
                f.write(chunk[: min(remaining, len(chunk))])
                f.flush()
            except OSError:
                break
            remaining -= min(remaining, len(chunk))
    return filler


def _earlier_commits(db: str, tmp_path: Path) -> tuple[list[str], str]:
    for batch in range(3):
        small = write_event_file(tmp_path / f"small-{batch}.ndjson", 10, seed=f"small-{batch}")
        assert_ok(run_ledger("import", str(small.path), "--db", db))
    return sqlite_ids(db), verify_digest(db)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_disk_full_during_import_is_one_clear_error(small_disk: Path, tmp_path: Path) -> None:
    db = str(small_disk / "ledger.db")
    before_ids, before_digest = _earlier_commits(db, tmp_path)
    big = write_event_file(tmp_path / "big.ndjson", 5_000, seed=f"disk-{uuid.uuid4()}")

    filler = _fill(small_disk, leave_bytes=160 * 1024)
    result = run_ledger("import", str(big.path), "--db", db, timeout=300)
    assert_one_error_line(result, "disk is full")
    # Every earlier commit present, nothing of the failed import, the file intact.
    assert sqlite_ids(db) == before_ids
    assert sqlite_integrity(db) == "ok"
    assert verify_digest(db) == before_digest

    filler.unlink()
    assert_ok(run_ledger("import", str(big.path), "--db", db, timeout=300))
    assert sqlite_ids(db) == before_ids + list(big.ids)
    assert sqlite_stats(db) == (len(before_ids) + big.count, 1, len(before_ids) + big.count)
    assert verify_digest(db).startswith(f"{len(before_ids) + big.count}:")
    record_figures("disk full (tmpfs)", disk_full_errors=1, committed_lost=0, partial_seen=0)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_completely_full_disk_is_one_clear_error(small_disk: Path, tmp_path: Path) -> None:
    db = str(small_disk / "ledger.db")
    before_ids, before_digest = _earlier_commits(db, tmp_path)
    small: EventFile = write_event_file(tmp_path / "more.ndjson", 100, seed="full")
    filler = _fill(small_disk, leave_bytes=0)
    try:
        result = run_ledger("import", str(small.path), "--db", db)
        assert_one_error_line(result, "disk is full")
    finally:
        filler.unlink()
    # Read back only once space is free: with no byte left even a reader cannot open WAL files.
    assert sqlite_ids(db) == before_ids
    assert verify_digest(db) == before_digest
    assert_ok(run_ledger("import", str(small.path), "--db", db))
