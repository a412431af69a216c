"""ledger: an event-sourced, hash-chained claim ledger.

    import ledger
    with ledger.open("my.db") as lg:
        lg.show("wagner-pantsir-s1-to-hezbollah", as_of="2023-11-10")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def open(db: str | None = None, **kwargs: Any) -> Any:  # noqa: A001 - the documented entry point
    """Open a ledger (see `ledger.service.open`); imported lazily so the CLI stays fast."""
    from ledger.service import open as open_service

    return open_service(db, **kwargs)


__all__ = ["__version__", "open"]
