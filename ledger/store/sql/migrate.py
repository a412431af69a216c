"""Schema management through Alembic only: upgrade to head, and refuse a schema we do not know."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from ledger.domain.errors import SchemaError
from ledger.store.sql.revision import HEAD

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(connection: Connection | None = None) -> Config:
    """A programmatic Config that runs the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("ledger._migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the program's migrations have {len(heads)} heads; expected one")
    return heads[0]


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: no schema at all
    head: str
    empty: bool  # no tables: a brand-new database

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        empty = not inspect(conn).get_table_names()
    state = SchemaState(current=current, head=head_revision(), empty=empty)
    _refuse_newer(state)
    return state


def _refuse_newer(state: SchemaState) -> None:
    if state.current is not None and state.current not in known_revisions():
        raise SchemaError(
            f"the database schema is at revision {state.current}, newer than this program "
            f"(it knows up to {state.head}): upgrade ledger to open this database"
        )


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to head; returns (from, to) revisions."""
    before = schema_state(engine)
    if before.up_to_date:
        return before.current, before.head
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    return before.current, before.head


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def _current_fast(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no such table yet: let the full check below explain
        return None


def ensure_schema(engine: Engine, *, create_if_empty: bool = True) -> None:
    """Open an existing ledger: an empty database is created, an older one must be upgraded."""
    if _current_fast(engine) == HEAD:
        return
    state = schema_state(engine)
    if state.up_to_date:
        return
    if state.current is None and state.empty and create_if_empty:
        upgrade(engine)
        return
    if state.current is None:
        raise SchemaError(
            "this database has tables but no ledger schema: point --db at a ledger or an "
            "empty database"
        )
    raise SchemaError(
        f"the database schema is at revision {state.current}, older than this program's "
        f"{state.head}: run `ledger init` to upgrade it"
    )
