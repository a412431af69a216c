"""Secrets and files: a URL's password is never printed; SQLite files are private (0600)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults._support import (
    LEDGER,
    assert_ok,
    assert_one_error_line,
    clean_env,
    cli_in_process,
    libpq_url,
    record_figures,
    run_ledger,
    text,
)

SECRET = "s3cret"
UNREACHABLE = [
    f"postgresql://u:{SECRET}@127.0.0.1:1/x",  # connection refused
    f"postgres://u:{SECRET}@127.0.0.1:1/x",
    f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x",
    f"postgresql://u:{SECRET}@127.0.0.1:1/x?password={SECRET}2",
    f"postgresql://u:{SECRET}%40x@127.0.0.1:1/x",  # an escaped @ in the password
    f"postgresql://u:{SECRET}@/x?host=/nonexistent",
    f"mysql://u:{SECRET}@127.0.0.1/x",  # unsupported
]
COMMANDS = [("init",), ("info",), ("verify",), ("export",), ("claim", "list"), ("import", "-")]


@pytest.mark.timeout(180)
def test_a_password_in_an_unreachable_url_is_never_printed() -> None:
    tried = 0
    for url in UNREACHABLE:
        for args in COMMANDS:
            result = cli_in_process(*args, "--db", url, input=b"")
            assert SECRET not in text(result), (url, args, text(result))
            assert_one_error_line(result)
            tried += 1
    # Through the real program: errors, and tracebacks when asked for (LEDGER_DEBUG=1).
    for url in UNREACHABLE[:2]:
        result = run_ledger("init", "--db", url)
        assert SECRET not in text(result), text(result)
        assert_one_error_line(result, "cannot reach the database server")
        debug = run_ledger("info", "--db", url, env=clean_env(LEDGER_DEBUG="1"))
        assert debug.returncode != 0 and SECRET not in text(debug), text(debug)
        tried += 2
    # Given by the environment instead of --db.
    env = clean_env(LEDGER_DATABASE_URL=UNREACHABLE[0])
    for args in (("info",), ("export", "--help")):
        result = run_ledger(*args, env=env)
        assert SECRET not in text(result), text(result)
        tried += 1
    record_figures("secrets (unreachable)", secret_checks=tried, secrets_printed=0)


@pytest.mark.timeout(180)
def test_a_password_in_a_working_url_is_never_printed(pg_url: str) -> None:
    # The test server trusts local connections, so a password is accepted and ignored.
    url = libpq_url(pg_url).replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")
    assert SECRET in url
    outputs = [
        assert_ok(run_ledger("init", "--db", url)),
        assert_ok(cli_in_process("claim", "make", "secret-claim", "--claimant", "A",
                                 "--statement", "S", "--occurred-at", "2023-11-21", "--db", url)),
        assert_ok(run_ledger("info", "--db", url)),
        assert_ok(cli_in_process("info", "-f", "json", "--db", url)),
        assert_ok(cli_in_process("verify", "--db", url)),
        assert_ok(cli_in_process("export", "--db", url)),
        assert_ok(cli_in_process("init", "--db", url)),
        cli_in_process("claim", "show", "no-such-claim", "--db", url),
    ]
    for result in outputs:
        assert SECRET not in text(result), text(result)
    info = json.loads(outputs[3].stdout)
    assert info["database"].startswith("postgresql+psycopg://postgres:***@127.0.0.1")
    # A database that does not exist on a reachable server: an error, still no password.
    missing = url.split("?")[0].rsplit("/", 1)[0] + "/no_such_database_ledger_faults"
    result = run_ledger("info", "--db", missing)
    assert SECRET not in text(result)
    assert_one_error_line(result, "does not exist")
    record_figures("secrets (working server)", secret_checks=len(outputs) + 1, secrets_printed=0)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@127.0.0.1:port/x",
        f"postgresql://u:{SECRET}@[::1:1/x",
        f"postgresql://u:{SECRET}@127.0.0.1:99999/x",
        f"postgresql://u:{SECRET}@no-such-host.invalid/x",
        f"postgresql://u:{SECRET}@127.0.0.1:1/x?sslmode=bogus",
    ],
)
def test_a_malformed_url_is_one_error_line_without_the_password(url: str) -> None:
    result = run_ledger("info", "--db", url, timeout=60)
    assert SECRET not in text(result)
    assert_one_error_line(result)


# -- file modes ---------------------------------------------------------------------------------

HOLDER = r"""
import sys, uuid
from ledger.domain.events import validate_event
from ledger.service import open_ledger
ledger = open_ledger(sys.argv[1])
ledger.store.append([validate_event({"event_id": str(uuid.uuid4()), "type": "ClaimMade",
    "claim_id": "mode-check", "occurred_at": "2023", "data": {"claimant": "A", "statement": "S"}})])
conn = ledger.engine.connect()  # keep a connection (and so -wal and -shm) open
conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
print("ready", flush=True)
sys.stdin.read()
conn.close()
ledger.close()
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.timeout(120)
def test_sqlite_files_are_created_0600_with_their_wal_and_shm(tmp_path: Path) -> None:
    db = tmp_path / "private.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(),
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: new files world-readable
    )
    try:
        assert holder.stdout is not None
        ready = holder.stdout.readline().strip()
        assert ready == b"ready", holder.stderr.read() if holder.stderr else b""
        files = {name: Path(f"{db}{name}") for name in ("", "-wal", "-shm")}
        assert all(p.exists() for p in files.values()), list(tmp_path.iterdir())
        modes = {name or "db": oct(_mode(p)) for name, p in files.items()}
        assert modes == {"db": "0o600", "-wal": "0o600", "-shm": "0o600"}
        # Another command while the file is in use changes nothing and warns about nothing.
        result = assert_ok(run_ledger("verify", "--db", str(db)))
        assert b"Warning" not in result.stderr
    finally:
        holder.communicate(input=b"", timeout=30)
    assert holder.returncode == 0

    # Every way of naming a new file: plain path, sqlite:/// relative, sqlite://// absolute,
    # and the default file in the user's data directory.
    created = {
        "path": tmp_path / "a" / "plain.db",
        "relative": tmp_path / "rel.db",
        "absolute": tmp_path / "abs.db",
    }
    assert_ok(run_ledger("init", "--db", str(created["path"])))
    subprocess.run([*LEDGER, "init", "--db", "sqlite:///rel.db"], cwd=tmp_path, env=clean_env(),
                   check=True, capture_output=True)
    assert_ok(run_ledger("init", "--db", f"sqlite:///{created['absolute']}"))
    data_home = tmp_path / "xdg"
    assert_ok(run_ledger("init", env=clean_env(XDG_DATA_HOME=str(data_home), HOME=str(tmp_path))))
    created["default"] = data_home / "ledger" / "ledger.db"
    for name, path in created.items():
        assert path.exists(), name
        assert _mode(path) == 0o600, (name, oct(_mode(path)))
    record_figures("file modes", files_checked=3 + len(created), files_not_0600=0)


@pytest.mark.timeout(120)
def test_a_warning_when_an_existing_file_is_readable_by_others(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    assert_ok(run_ledger("init", "--db", str(db)))
    for mode in (0o644, 0o640, 0o604, 0o660):
        os.chmod(db, mode)
        result = assert_ok(
            run_ledger("verify", "--db", str(db)) if mode == 0o644
            else cli_in_process("verify", "--db", str(db))
        )
        lines = result.stderr.decode().splitlines()
        warning = [line for line in lines if line.startswith("Warning:")]
        assert len(warning) == 1, result.stderr
        assert str(db) in warning[0] and f"{mode:o}" in warning[0] and "chmod 600" in warning[0]
        assert _mode(db) == mode  # a warning, not a silent change
    os.chmod(db, 0o600)
    quiet = assert_ok(run_ledger("verify", "--db", str(db)))
    assert b"Warning" not in quiet.stderr
