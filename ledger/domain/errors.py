"""Errors the domain and the store raise; the CLI maps each to one line and an exit code."""

from __future__ import annotations


class LedgerError(Exception):
    """A user-facing failure: the message names the value and the way out."""


class InvalidInput(LedgerError):
    """Input refused at the boundary; names the line (when known), the field and the reason."""

    def __init__(self, reason: str, *, field: str | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.field = field
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def at_line(self, line: int) -> InvalidInput:
        """The same refusal, naming the input line."""
        return InvalidInput(self.reason, field=self.field, line=line)


class ConflictError(LedgerError):
    """An expected version did not match: another writer got there first."""


class DuplicateEventError(LedgerError):
    """An event id is already stored with different content."""


class NotFoundError(LedgerError):
    """Nothing visible at the basis, or an unknown id."""


class IntegrityError(LedgerError):
    """The chain or an invariant is broken."""


class SchemaError(LedgerError):
    """The database schema is missing, or newer than this program."""
