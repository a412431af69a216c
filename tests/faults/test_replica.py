"""A real hot standby: every question answers there as on the primary, nothing waits on a write,
a write is one line saying to write to the primary, and `--known-at @P` beyond what the
standby has replayed names its head.

The test makes its own throwaway primary (initdb as the postgres user, wal_level=replica,
replication allowed in its own pg_hba.conf) and a standby (pg_basebackup -R) on spare ports in
a temporary directory, and removes both afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults._support import assert_ok, assert_one_error_line, run_ledger, text
from tests.faults._team import line

BIN = Path(os.environ.get("LEDGER_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
CLAIM = "wagner-pantsir-s1-to-hezbollah"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                   capture_output=True, timeout=120)


class Cluster:
    def __init__(self, root: Path, name: str) -> None:
        self.dir = root / name
        self.port = _free_port()
        self.log = root / f"{name}.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-w",
                     "-o", f"-p {self.port} -k {self.dir.parent} -c listen_addresses=127.0.0.1",
                     "start")

    def stop(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D",
                        str(self.dir), "-m", "immediate", "-w", "stop"], capture_output=True,
                       timeout=60, check=False)


@pytest.fixture(scope="module")
def replica() -> Iterator[tuple[Cluster, Cluster]]:
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None or os.geteuid() != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the replica test must run in CI: it needs root and PostgreSQL 15")
        pytest.skip("needs root, runuser and PostgreSQL 15's binaries")
    root = Path(tempfile.mkdtemp(prefix="ledger-replica-"))
    shutil.chown(root, "postgres")
    primary, standby = Cluster(root, "primary"), Cluster(root, "standby")
    try:
        _as_postgres(str(BIN / "initdb"), "-D", str(primary.dir), "-U", "postgres",
                     "--auth=trust")
        with (primary.dir / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        with (primary.dir / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.start()
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-D", str(standby.dir), "-R", "-X", "stream")
        standby.start()
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _lsn(url: str, sql: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return str(row[0])


def _caught_up(primary: Cluster, standby: Cluster) -> None:
    target = _lsn(primary.url, "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(standby.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
        if row and row[0]:
            return
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.1)


QUESTIONS = [
    ("claim", "list", "-f", "json"),
    ("claim", "list", "-f", "json", "--as-of", "2023-11-10"),
    ("claim", "show", CLAIM, "-f", "json"),
    ("claim", "show", CLAIM, "-f", "json", "--known-at", "@8"),
    ("claim", "history", CLAIM, "-f", "json"),
    ("log", "-f", "jsonl"),
    ("export",),
    ("diff", "--from", "@4", "--to", "head", "-f", "json"),
    ("verify",),
]


def test_questions_on_a_standby_answer_as_the_primary(replica: tuple[Cluster, Cluster]) -> None:
    primary, standby = replica
    assert_ok(run_ledger("seed", "--db", primary.url))
    assert_ok(run_ledger("append", "-", "--db", primary.url, input=line(1)))
    _caught_up(primary, standby)
    # First on the standby, whose projection (replicated from the primary) is still behind the
    # log: it must answer by refolding, without trying to write or waiting for a lock.
    on_standby = {}
    for question in QUESTIONS:
        started = time.monotonic()
        result = assert_ok(run_ledger(*question, "--db", standby.url))
        assert time.monotonic() - started < 20, f"{question} waited on the standby"
        on_standby[question] = result.stdout
    for question in QUESTIONS:
        answer = assert_ok(run_ledger(*question, "--db", primary.url)).stdout
        assert answer == on_standby[question], question
    # And once the primary's caught-up projection has replicated too.
    _caught_up(primary, standby)
    for question in QUESTIONS[:3]:
        assert assert_ok(run_ledger(*question, "--db", standby.url)).stdout == on_standby[question]


def test_a_write_to_a_standby_is_one_line_saying_to_write_to_the_primary(
    replica: tuple[Cluster, Cluster],
) -> None:
    primary, standby = replica
    assert_ok(run_ledger("init", "--db", primary.url))
    _caught_up(primary, standby)
    for command, stdin in (
        (("append", "-"), line(2)),
        (("claim", "make", "standby-claim", "--claimant", "A", "--statement", "S",
          "--occurred-at", "2023"), None),
        (("replay",), None),
    ):
        result = run_ledger(*command, "--db", standby.url, input=stdin, timeout=60)
        assert_one_error_line(result, "read-only", "primary")


def test_known_at_beyond_what_the_standby_replayed_names_its_head(
    replica: tuple[Cluster, Cluster],
) -> None:
    primary, standby = replica
    assert_ok(run_ledger("seed", "--db", primary.url))
    _caught_up(primary, standby)
    head = json.loads(assert_ok(run_ledger("info", "-f", "json", "--db", standby.url)).stdout)[
        "events"
    ]
    with psycopg.connect(standby.url, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        assert_ok(run_ledger("append", "-", "--db", primary.url, input=line(3)))
        ahead = head + 1
        result = run_ledger("claim", "list", "--known-at", f"@{ahead}", "--db", standby.url)
        assert_one_error_line(result, f"@{ahead}", f"@{head}")
        assert "Traceback" not in text(result)
    finally:
        with psycopg.connect(standby.url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    _caught_up(primary, standby)
    assert_ok(run_ledger("claim", "list", "--known-at", f"@{head + 1}", "--db", standby.url))
