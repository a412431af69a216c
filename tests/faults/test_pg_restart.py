"""PostgreSQL restarted mid-run: every acknowledged append is stored exactly once.

An append loop with client-chosen event ids retries a batch on any connection error until the
store acknowledges it. Three `pg_ctlcluster ... restart -m immediate` (a crash and recovery)
happen during the loop. A commit whose acknowledgement was lost is ambiguous; the retry settles
it by event id: the store reports the batch as already stored (skipped), never stores it twice.

The restarts hit a throwaway cluster created for this test (`pg_createcluster`), so they cannot
break the other tests running against the shared server at the same time; it is stopped and
dropped at the end, whatever happens.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ledger.domain.model import NewEvent
from tests.conftest import postgres_base_url
from tests.faults._support import PgLook, assert_ok, record_figures, run_ledger, verify_digest

RESTARTS = 3
CLUSTER_PREFIX = "ledgerfaults"


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *args],
            check=True, capture_output=True, timeout=timeout,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"cluster {self.version}/{self.name} not ready after {timeout}s")

    def running(self) -> bool:
        status = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "status"],
            capture_output=True, check=False,
        )
        return status.returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_version() -> str:
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    versions = sorted({line.split()[0] for line in listing.stdout.splitlines() if line.strip()})
    if not versions:
        pytest.skip("no PostgreSQL cluster is installed (pg_lsclusters lists none)")
    return versions[-1]


def _drop_stale_clusters(version: str) -> None:
    """Drop clusters left by an earlier run of this test that was killed outright."""
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0] != version:
            continue
        match = re.fullmatch(rf"{CLUSTER_PREFIX}_(\d+)_\w+", parts[1])
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            subprocess.run(["pg_dropcluster", "--stop", version, parts[1]], check=False,
                           capture_output=True)


@pytest.fixture
def throwaway_cluster() -> Iterator[Cluster]:
    postgres_base_url()  # skips without a server (fails in CI), like every PostgreSQL test
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_isready"):
        if shutil.which(tool) is None:
            pytest.skip(f"restarting a server needs the {tool} tool (postgresql-common)")
    if os.geteuid() != 0:
        pytest.skip("creating and restarting a throwaway cluster needs root")
    version = _pg_version()
    _drop_stale_clusters(version)
    name = f"{CLUSTER_PREFIX}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    cluster = Cluster(version, name, _free_port())
    created = subprocess.run(
        ["pg_createcluster", version, cluster.name, "-p", str(cluster.port), "--start",
         "--", "--auth=trust", "--no-sync"],
        capture_output=True, text=True, check=False, timeout=180,
    )
    if created.returncode != 0:
        pytest.skip(f"pg_createcluster failed: {created.stderr.strip()[-500:]}")
    try:
        cluster.wait_ready()
        yield cluster
    finally:
        # Restore: whatever happened, never leave the server down mid-restart; then drop it.
        try:
            if not cluster.running():
                cluster.ctl("start")
            cluster.wait_ready(timeout=60)
        finally:
            subprocess.run(["pg_dropcluster", "--stop", version, cluster.name],
                           capture_output=True, check=False, timeout=120)


def _connection_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        import psycopg

        return exc.connection_invalidated or isinstance(
            exc.orig, (psycopg.OperationalError, psycopg.InterfaceError)
        )
    return False


def _batch(rng: random.Random, start: int) -> list[NewEvent]:
    from ledger.domain.events import validate_event

    size = rng.randint(1, 12)
    out = []
    for i in range(start, start + size):
        line = {
            "event_id": str(uuid.uuid4()),  # chosen by the client, kept across retries
            "type": "ClaimMade",
            "claim_id": f"restart-claim-{i % 40:02d}",
            "occurred_at": "2023-11-21",
            "data": {"claimant": f"Reporter {i % 7}", "statement": f"Event {i}"},
        }
        out.append(validate_event(line, line=i))
    return out


def _hold_a_commit_unacknowledged(cluster: Cluster) -> None:
    """Make the next restart hit a commit that is durable but was never acknowledged.

    With a synchronous standby that does not exist, a COMMIT is flushed to the local WAL and
    then waits for the standby forever: stored, but the client hears nothing. The setting is
    reset on disk (not reloaded, which would release the waiter) before the crash restart, so
    the server comes back without it and with that commit recovered.
    """
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET synchronous_standby_names = 'ledger_faults_nobody'")
        admin.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                waiting = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
                ).fetchone()
                if waiting and waiting[0]:
                    return
                time.sleep(0.02)
            raise AssertionError("no commit ever waited for the missing standby")
        finally:
            admin.execute("ALTER SYSTEM RESET synchronous_standby_names")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_restarts_lose_no_acknowledged_append(throwaway_cluster: Cluster) -> None:
    from ledger.service import open_ledger

    cluster = throwaway_cluster
    assert_ok(run_ledger("init", "--db", cluster.url))
    ledger = open_ledger(cluster.url)
    rng = random.Random()

    done_restarting = threading.Event()
    restart_errors: list[BaseException] = []
    restart_seconds: list[float] = []

    def restarter() -> None:
        try:
            for number in range(RESTARTS):
                time.sleep(rng.uniform(1.0, 2.5))
                if number == 1:
                    _hold_a_commit_unacknowledged(cluster)
                started = time.monotonic()
                cluster.ctl("restart", "-m", "immediate")
                cluster.wait_ready()
                restart_seconds.append(time.monotonic() - started)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            restart_errors.append(exc)
        finally:
            done_restarting.set()

    acknowledged: list[str] = []
    batches = attempts = connection_errors = ambiguous_settled = 0
    thread = threading.Thread(target=restarter, daemon=True)
    try:
        thread.start()
        after_last = None
        next_index = 0
        while True:
            if done_restarting.is_set():
                after_last = after_last or time.monotonic()
                if time.monotonic() - after_last > 1.5:
                    break
            batch = _batch(rng, next_index)
            next_index += len(batch)
            failed_before = False
            deadline = time.monotonic() + 90
            while True:
                attempts += 1
                try:
                    result = ledger.store.append(batch)
                except Exception as exc:
                    if not _connection_error(exc):
                        raise
                    connection_errors += 1
                    failed_before = True
                    assert time.monotonic() < deadline, f"no acknowledgement for 90 s: {exc}"
                    time.sleep(0.1)
                    continue
                break
            # A batch is atomic: all added, or (an ambiguous commit, retried) all skipped.
            assert len(result.added) + len(result.skipped) == len(batch)
            assert not (result.added and result.skipped), "a batch was half stored"
            if result.skipped:
                assert failed_before, "a batch with fresh ids was reported as already stored"
                ambiguous_settled += 1
            acknowledged.extend(e.event_id for e in batch)
            batches += 1
    finally:
        done_restarting.wait(timeout=120)
        thread.join(timeout=120)
        ledger.close()
    assert not restart_errors, restart_errors

    look = PgLook(cluster.url)
    try:
        stored = look.ids()
        count, low, high = look.stats()
    finally:
        look.close()
    # Every acknowledged append present, none twice, nothing unacknowledged, no gap.
    assert len(stored) == len(set(stored))
    assert stored == acknowledged
    assert (count, low, high) == (len(acknowledged), 1, len(acknowledged))
    assert verify_digest(cluster.url).startswith(f"{count}:")
    assert connection_errors > 0, "no append ever saw a restart: the test proved nothing"
    assert ambiguous_settled >= 1, "the unacknowledged commit was not settled by its event ids"
    record_figures(
        "pg restart x3",
        restarts=len(restart_seconds),
        batches=batches,
        attempts=attempts,
        connection_errors=connection_errors,
        ambiguous_settled=ambiguous_settled,
        acknowledged=len(acknowledged),
        stored=len(stored),
        duplicated=len(stored) - len(set(stored)),
        restart_s=",".join(f"{s:.1f}" for s in restart_seconds),
    )
