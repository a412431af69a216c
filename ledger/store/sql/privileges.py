"""PostgreSQL roles: who could rewrite history behind the triggers, and the app role's grants.

Any role the connected one is a member of counts as itself: a member may SET ROLE to it (or
inherits its rights), so a member of the table's owner can drop the triggers as the owner
would. The checks therefore run over every role `current_user` is a member of.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from ledger.domain.errors import LedgerError

#: Tables whose rows are stored history: the app role may read and add, never change.
APPEND_ONLY = ("events", "evidence")
#: Tables the app role only reads.
READ_ONLY = ("alembic_version", "ledger_meta")
#: The write lock's table: UPDATE on it is what taking the lock needs (it never holds a row).
LOCK_TABLE = "ledger_write_lock"

_RISKS = text(
    """
    SELECT r.rolname, r.rolname = current_user, r.rolsuper, r.rolbypassrls,
           c.relname, c.relowner = r.oid, n.nspowner = r.oid,
           has_table_privilege(r.oid, c.oid, 'UPDATE'),
           has_table_privilege(r.oid, c.oid, 'DELETE'),
           has_table_privilege(r.oid, c.oid, 'TRUNCATE'),
           has_table_privilege(r.oid, c.oid, 'TRIGGER')
    FROM pg_roles r
    CROSS JOIN pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid IN (to_regclass('events'), to_regclass('evidence'))
      AND pg_has_role(current_user, r.oid, 'MEMBER')
    ORDER BY r.rolname = current_user DESC, r.rolname, c.relname
    """
)


def risky_privileges(engine: Engine) -> list[str]:
    """Warnings for each way the connected role, or a role it is a member of, may change the
    log: superuser, BYPASSRLS, owning a stored-history table or its schema, or UPDATE,
    DELETE, TRUNCATE or TRIGGER on one."""
    with engine.connect() as conn:
        rows = conn.execute(_RISKS).all()
    warnings: list[str] = []
    seen_roles: set[str] = set()
    for (role, itself, superuser, bypassrls, table, owns, owns_schema,
         upd, dele, trunc, trig) in rows:  # fmt: skip
        who = f"role '{role}'" if itself else f"role '{role}' (which this role is a member of)"
        if role not in seen_roles:
            seen_roles.add(role)
            if superuser:
                warnings.append(
                    f"{who} is a superuser: it can disable the append-only triggers; run the "
                    "ledger as its app role (`ledger init --app-role ROLE`), and keep digests "
                    "elsewhere"
                )
                continue
            if bypassrls:
                warnings.append(f"{who} has BYPASSRLS: row security does not bind it")
        if superuser:
            continue
        if owns:
            warnings.append(
                f"{who} owns the {table} table and could drop its triggers; give the table to "
                "another role and use the app role `ledger init --app-role ROLE` sets up"
            )
        elif owns_schema:
            warnings.append(
                f"{who} owns the schema of the {table} table and could drop and recreate it"
            )
        granted = [
            name
            for name, ok in (
                ("UPDATE", upd), ("DELETE", dele), ("TRUNCATE", trunc), ("TRIGGER", trig)
            )
            if ok
        ]
        if granted and not owns:
            warnings.append(
                f"{who} may {'/'.join(granted)} the {table} table (the triggers refuse it, but a "
                f"privileged role can bypass them): REVOKE {', '.join(granted)} ON {table}"
            )
    return warnings


# -- the app role ---------------------------------------------------------------------------

_LEDGER_SCHEMA = text(
    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid = to_regclass('events')"
)
_TABLES = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
)
_ROLE = text(
    "SELECT rolsuper, pg_has_role(r.oid, current_user, 'MEMBER'), r.rolname = current_user "
    "FROM pg_roles r WHERE rolname = :role"
)


def grant_app_role(engine: Engine, role: str) -> dict[str, str]:
    """Grant `role` exactly what appending and asking need; returns what each table got.

    Stored history (events, evidence): SELECT and INSERT only, after revoking anything that
    could change it. The ledger's bookkeeping (alembic_version, ledger_meta): SELECT. The
    lock table: UPDATE, which lets the role take the write lock. Every other table is a
    projection or an index rebuilt from the log: SELECT, INSERT, UPDATE, DELETE.
    """
    with engine.begin() as conn:
        found = conn.execute(_ROLE, {"role": role}).first()
        if found is None:
            raise LedgerError(
                f"no role '{role}' on this server: an administrator makes it first (a login "
                "role), then run this again"
            )
        superuser, owner_member, itself = found
        if itself or owner_member or superuser:
            raise LedgerError(
                f"role '{role}' is this ledger's owner, a member of it or a superuser: the app "
                "role must be another role, one that cannot change stored events"
            )
        schema = conn.execute(_LEDGER_SCHEMA).scalar()
        if schema is None:
            raise LedgerError("no ledger here to grant rights on: run `ledger init` first")
        tables = [name for (name,) in conn.execute(_TABLES, {"schema": schema})]
        q_role, q_schema = _quote(role), _quote(schema)
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {q_schema} TO {q_role}")
        conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {q_schema} FROM {q_role}")
        granted: dict[str, str] = {}
        for table in tables:
            name = f"{q_schema}.{_quote(table)}"
            conn.exec_driver_sql(f"REVOKE ALL ON {name} FROM {q_role}")
            rights = _rights_for(table)
            conn.exec_driver_sql(f"GRANT {rights} ON {name} TO {q_role}")
            granted[table] = rights
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q_schema} TO {q_role}")
    return granted


def _rights_for(table: str) -> str:
    if table in APPEND_ONLY:
        return "SELECT, INSERT"
    if table in READ_ONLY:
        return "SELECT"
    if table == LOCK_TABLE:
        return "UPDATE"
    return "SELECT, INSERT, UPDATE, DELETE"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
