"""Roles on a team server: `init --app-role` grants exactly what the commands need, a role with
less gets one line naming the right, and verify sees through role membership."""

from __future__ import annotations

import pytest

from tests.faults._support import assert_ok, assert_one_error_line, run_ledger, text
from tests.faults._team import Roles, as_role, line

pytestmark = pytest.mark.postgres

SCHEMA = "ledger"


def _owned_ledger(pg_database: str, roles: Roles) -> tuple[str, str]:
    """A ledger in schema `ledger`, owned by a plain (non-super) owner role; (owner, its URL)."""
    owner = roles.make("owner")
    roles.sql(f'CREATE SCHEMA {SCHEMA} AUTHORIZATION "{owner}"', pg_database)
    url = as_role(pg_database, owner, search_path=SCHEMA)
    return owner, url


def test_every_command_works_as_the_app_role_and_it_cannot_change_history(
    pg_database: str, roles: Roles
) -> None:
    _owner, owner_url = _owned_ledger(pg_database, roles)
    app = roles.make("app")
    result = assert_ok(run_ledger("init", "--db", owner_url, "--app-role", app))
    assert f"granted {app}" in text(result)
    url = as_role(pg_database, app, search_path=SCHEMA)
    assert_ok(run_ledger("seed", "--db", url))
    assert_ok(run_ledger("append", "-", "--db", url, input=line(1)))
    assert_ok(run_ledger("claim", "make", "app-claim", "--claimant", "A", "--statement", "S",
                         "--occurred-at", "2023", "--db", url))
    for command in (
        ("claim", "list"), ("claim", "show", "wagner-pantsir-s1-to-hezbollah"),
        ("claim", "history", "wagner-pantsir-s1-to-hezbollah"), ("log",), ("export",),
        ("diff", "--from", "@3", "--to", "head"), ("info",), ("replay",),
    ):
        assert_ok(run_ledger(*command, "--db", url))
    verified = assert_ok(run_ledger("verify", "--db", url))
    assert "Warning" not in text(verified), text(verified)
    # What the role holds on stored history, asked of the server itself.
    rights = roles.sql(
        f"SELECT c.relname, has_table_privilege('{app}', c.oid, 'UPDATE'), "
        f"has_table_privilege('{app}', c.oid, 'DELETE'), "
        f"has_table_privilege('{app}', c.oid, 'TRUNCATE'), "
        f"has_table_privilege('{app}', c.oid, 'TRIGGER'), "
        f"pg_get_userbyid(c.relowner) = '{app}' FROM pg_class c "
        f"WHERE c.oid IN ('{SCHEMA}.events'::regclass, '{SCHEMA}.evidence'::regclass)",
        pg_database,
    )
    assert len(rights) == 2
    assert all(not any(row[1:]) for row in rights), rights
    # And the database refuses it a change, whatever the triggers.
    for statement in (f"UPDATE {SCHEMA}.events SET type = 'x'", f"TRUNCATE {SCHEMA}.events",
                      f"ALTER TABLE {SCHEMA}.events DISABLE TRIGGER ALL"):
        with pytest.raises(Exception, match="permission denied|must be owner"):
            roles.sql(statement, url)


def test_a_role_with_less_gets_one_error_line_naming_the_missing_right(
    pg_database: str, roles: Roles
) -> None:
    _owner, owner_url = _owned_ledger(pg_database, roles)
    assert_ok(run_ledger("seed", "--db", owner_url))
    # What the old warning recommended: SELECT and INSERT on events, nothing else.
    weak = roles.make("weak")
    roles.sql(f'GRANT USAGE ON SCHEMA {SCHEMA} TO "{weak}"', pg_database)
    roles.sql(f'GRANT SELECT, INSERT ON {SCHEMA}.events TO "{weak}"', pg_database)
    url = as_role(pg_database, weak, search_path=SCHEMA)
    for command in (("claim", "list"), ("log",), ("verify",)):
        assert_one_error_line(run_ledger(*command, "--db", url), "permission denied",
                              "alembic_version", "SELECT", "--app-role")
    roles.sql(f'GRANT SELECT ON {SCHEMA}.alembic_version TO "{weak}"', pg_database)
    result = run_ledger("append", "-", "--db", url, input=line(2))
    assert_one_error_line(result, "write lock", "UPDATE", "ledger_write_lock")


def test_verify_warns_about_a_role_that_is_a_member_of_the_owner(
    pg_database: str, roles: Roles
) -> None:
    owner, owner_url = _owned_ledger(pg_database, roles)
    app = roles.make("member_app")
    assert_ok(run_ledger("init", "--db", owner_url, "--app-role", app))
    url = as_role(pg_database, app, search_path=SCHEMA)
    assert "Warning" not in text(assert_ok(run_ledger("verify", "--db", url)))
    # Membership is not ownership, but it is as good: a member can SET ROLE to the owner,
    # disable the triggers and rewrite a row.
    roles.sql(f'GRANT "{owner}" TO "{app}"', pg_database)
    result = assert_ok(run_ledger("verify", "--db", url))
    warned = [w for w in text(result).splitlines() if w.startswith("Warning")]
    assert any(owner in w and "member" in w and "owns the events table" in w for w in warned), warned
    # A member of a role that may UPDATE is warned about too.
    editor = roles.make("editor")
    roles.sql(f'GRANT USAGE ON SCHEMA {SCHEMA} TO "{editor}"', pg_database)
    roles.sql(f'GRANT UPDATE, TRUNCATE ON {SCHEMA}.events TO "{editor}"', pg_database)
    roles.sql(f'REVOKE "{owner}" FROM "{app}"', pg_database)
    roles.sql(f'GRANT "{editor}" TO "{app}"', pg_database)
    warned = [w for w in text(assert_ok(run_ledger("verify", "--db", url))).splitlines()
              if w.startswith("Warning")]
    assert any(editor in w and "UPDATE/TRUNCATE" in w for w in warned), warned


def test_the_app_role_must_not_be_the_owner(pg_database: str, roles: Roles) -> None:
    owner, owner_url = _owned_ledger(pg_database, roles)
    assert_one_error_line(run_ledger("init", "--db", owner_url, "--app-role", owner),
                          "owner")
    assert_one_error_line(run_ledger("init", "--db", owner_url, "--app-role", "no_such_role_x"),
                          "no role 'no_such_role_x'")


def test_a_read_only_role_answers_every_question_without_writing(
    pg_database: str, roles: Roles
) -> None:
    _owner, owner_url = _owned_ledger(pg_database, roles)
    assert_ok(run_ledger("seed", "--db", owner_url))
    reader = roles.make("reader")
    roles.sql(f'GRANT USAGE ON SCHEMA {SCHEMA} TO "{reader}"', pg_database)
    roles.sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO "{reader}"', pg_database)
    url = as_role(pg_database, reader, search_path=SCHEMA)
    # The projection is behind the log (nobody asked yet): the reader cannot catch it up, so
    # it answers by refolding, and says nothing about rights it does not need.
    for question in (("claim", "list", "-f", "json"),
                     ("claim", "show", "wagner-pantsir-s1-to-hezbollah", "-f", "json"),
                     ("diff", "--from", "@4", "--to", "head", "-f", "json"), ("verify",)):
        mine = assert_ok(run_ledger(*question, "--db", url))
        assert mine.stdout == assert_ok(run_ledger(*question, "--db", owner_url)).stdout
    assert_one_error_line(run_ledger("append", "-", "--db", url, input=line(9)),
                          "write lock", "UPDATE")
