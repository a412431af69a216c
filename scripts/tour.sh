#!/usr/bin/env bash
# Install ledger into .venv and run the main job on the embedded SQLite default: load the seed
# article and ask it point-in-time questions. Pass --db PATH to use another ledger file.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
ledger=.venv/bin/ledger
run() { echo; echo "\$ ledger $*"; "$ledger" "$@"; }
run init "$@"
run seed "$@"
run claim list "$@"
run claim show wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10 "$@"
run claim show wagner-pantsir-s1-to-hezbollah --as-of 2023-11-10 --certain "$@"
run claim list --as-of 2023-11-21 "$@"
run diff --from 2023-11-10 --to 2023-11-21 "$@"
run verify "$@"
