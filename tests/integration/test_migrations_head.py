"""The program's HEAD constant is the migration scripts' one head."""

from __future__ import annotations

from ledger.store.sql.migrate import HEAD, head_revision


def test_head_constant_matches_the_scripts() -> None:
    assert head_revision() == HEAD
