#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole suite (SQLite, memory, and
# PostgreSQL when LEDGER_TEST_POSTGRES_URL names a server). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/lint-imports pyproject.toml
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
