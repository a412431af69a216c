"""Alembic migrations, shipped in the wheel as ledger._migrations."""
