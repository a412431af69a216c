"""Index the claims that links and link corrections point at, for `linked_from`.

A claim's answer lists the links other claims make to it. Without an index the question read
every `ClaimLinked` event of the log; these two partial expression indexes let it read only
the links that name the claim, and the corrections that may have re-aimed a link at it.

The claim projection's items gained keys (`actor_id`; `attributed_to` and `on_record` on
denials and corroborations) and answers gained `linked_from`: the derived rows are emptied
and their checkpoint dropped, so the next question rebuilds them from the log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Constant DDL per engine: SQLite's json_extract and PostgreSQL's jsonb operators.
_SQLITE = (
    "CREATE INDEX ix_events_link_target ON events (json_extract(data, '$.other_claim_id'), "
    "position) WHERE type = 'ClaimLinked'",
    "CREATE INDEX ix_events_link_retarget ON events "
    "(json_extract(data, '$.changes.other_claim_id'), position) WHERE type = 'RecordCorrected'",
)
_POSTGRES = (
    "CREATE INDEX ix_events_link_target ON events ((data ->> 'other_claim_id'), position) "
    "WHERE type = 'ClaimLinked'",
    "CREATE INDEX ix_events_link_retarget ON events "
    "((data -> 'changes' ->> 'other_claim_id'), position) WHERE type = 'RecordCorrected'",
)


_REFRESH = (
    "DELETE FROM claim_projection",
    "DELETE FROM projection_checkpoints WHERE name = 'claims'",
)


def upgrade() -> None:
    statements = _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES
    for statement in (*statements, *_REFRESH):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_events_link_retarget")
    op.execute("DROP INDEX IF EXISTS ix_events_link_target")
