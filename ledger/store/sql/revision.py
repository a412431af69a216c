"""The schema revision this program ships, without importing Alembic or SQLAlchemy."""

#: The newest migration in migrations/versions. Opening a ledger compares the database's
#: revision with this constant, so the common case (already current) never imports Alembic
#: or parses the migration scripts; a test holds it equal to the scripts' real head.
HEAD = "0010"
