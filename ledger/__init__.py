"""ledger: an event-sourced, hash-chained claim ledger."""

__version__ = "0.1.0"
