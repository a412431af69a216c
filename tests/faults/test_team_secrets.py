"""Secrets and files: no password is ever printed, `--db ''` is refused, and a new SQLite file
is created 0600 wherever its path points."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.faults._support import (
    _DATA_HOME,
    assert_ok,
    assert_one_error_line,
    libpq_url,
    run_ledger,
    text,
)

SECRET = "S3CRETpw"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:p@{SECRET}@127.0.0.1:1/db",  # a raw @ in the password
        f"postgresql://u:p@x@{SECRET}@127.0.0.1:1/db",
        f"postgresql://u@127.0.0.1:1/db?password={SECRET}",
        f"postgresql://127.0.0.1:1/db?sslmode=disable&password={SECRET}",
    ],
)
def test_no_password_in_any_error(url: str) -> None:
    for command in (("info",), ("init",), ("claim", "list"), ("verify",)):
        result = run_ledger(*command, "--db", url, timeout=60)
        assert SECRET not in text(result), text(result)
        assert_one_error_line(result)


@pytest.mark.postgres
def test_no_password_in_info_or_init_on_a_working_server(pg_database: str) -> None:
    base = make_url(libpq_url(pg_database))
    # Trust authentication ignores the password: the commands succeed and must not echo it.
    with_query = base.update_query_dict({"password": SECRET}).render_as_string(False)
    raw_at = (
        f"postgresql://{base.username}:p@{SECRET}@{base.host}:{base.port or 5432}/{base.database}"
    )
    for url in (with_query, raw_at):
        for command in (("init",), ("info",), ("info", "-f", "json")):
            result = assert_ok(run_ledger(*command, "--db", url))
            assert SECRET not in text(result), text(result)
        assert "***" in text(assert_ok(run_ledger("info", "--db", url)))


def test_an_empty_db_is_refused_and_creates_nothing() -> None:
    before = sorted(_DATA_HOME.rglob("*")) if _DATA_HOME.exists() else []
    for command in (("claim", "list"), ("init",), ("append", "-")):
        result = run_ledger(*command, "--db", "", input="")
        assert_one_error_line(result, "--db is empty")
    after = sorted(_DATA_HOME.rglob("*")) if _DATA_HOME.exists() else []
    assert after == before


def test_a_new_file_through_a_dangling_symlink_is_created_0600(tmp_path: Path) -> None:
    target = tmp_path / "real" / "ledger.db"
    target.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(target)
    old = os.umask(0o022)
    try:
        assert_ok(run_ledger("init", "--db", str(link)))
    finally:
        os.umask(old)
    assert target.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

