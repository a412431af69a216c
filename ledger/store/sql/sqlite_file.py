"""The SQLite file itself: created private, and a warning when others can read it.

Kept free of SQLAlchemy so the read-only fast path (sqlite_reader) can use it too.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from ledger.domain.errors import LedgerError

# SQLite's busy handler waits this long for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 60.0


def warn_if_shared(path: Path) -> None:
    """Warn on stderr when the ledger file is readable by other users."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(
            f"Warning: {path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {path}",
            file=sys.stderr,
        )


def prepare_sqlite_file(path: Path) -> None:
    """Create a new database file 0600; warn when an existing one is readable by others.

    A path through a symlink whose target does not exist yet creates that target, 0600: an
    exclusive create of the link itself would fail and leave SQLite to create it by umask.
    """
    if path.exists():
        warn_if_shared(path)
        return
    if path.is_symlink():
        path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise LedgerError(f"cannot create the database file {path}: {exc.strerror}") from None
