"""PostgreSQL: can the connected role rewrite history despite the triggers?"""

from __future__ import annotations

from sqlalchemy import Engine, text


def risky_privileges(engine: Engine) -> list[str]:
    """Warnings for a role that may UPDATE/DELETE/TRUNCATE events or owns the table."""
    q = text(
        """
        SELECT current_user,
               has_table_privilege(current_user, 'events', 'UPDATE'),
               has_table_privilege(current_user, 'events', 'DELETE'),
               has_table_privilege(current_user, 'events', 'TRUNCATE'),
               pg_get_userbyid(c.relowner) = current_user,
               (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
        FROM pg_class c WHERE c.oid = 'events'::regclass
        """
    )
    with engine.connect() as conn:
        row = conn.execute(q).one()
    user, upd, dele, trunc, owner, superuser = row
    warnings = []
    granted = [name for name, ok in (("UPDATE", upd), ("DELETE", dele), ("TRUNCATE", trunc)) if ok]
    if superuser:
        warnings.append(
            f"role '{user}' is a superuser: it can disable the append-only triggers; run the "
            "ledger as a role that may only SELECT and INSERT, and keep digests elsewhere"
        )
    elif owner:
        warnings.append(
            f"role '{user}' owns the events table and could drop its triggers; give the table "
            "to another role and GRANT SELECT, INSERT to this one"
        )
    if granted:
        warnings.append(
            f"role '{user}' may {'/'.join(granted)} the events table (the triggers refuse it, "
            "but a privileged role can bypass them): REVOKE UPDATE, DELETE, TRUNCATE"
        )
    return warnings
