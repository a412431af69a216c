"""verify's memory: per ledger id, the last digest it verified, in a file of the user's.

A digest kept by hand proves a prefix unchanged only if someone kept it. The witness keeps one
for every ledger this user verifies, outside the database: a tail deleted (or the history
rewritten and re-hashed) since the last verify no longer extends what was verified, and the
next verify fails. The file is the user's, not the database's, so whoever can change the
database cannot also change what was witnessed (unless they can write the user's files).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "LEDGER_WITNESS"


@dataclass(frozen=True, slots=True)
class Witnessed:
    position: int
    hash: str
    verified_at: str  # ISO time of that verify
    database: str  # where it was (password hidden), to help a reader of the message


def witness_path() -> Path:
    """`$LEDGER_WITNESS`, else witness.json in the user's data directory."""
    named = os.environ.get(ENV_VAR)
    if named:
        return Path(named).expanduser()
    import platformdirs

    return platformdirs.user_data_path("ledger", appauthor=False) / "witness.json"


def recall(ledger_id: str) -> Witnessed | None:
    entry = _load(witness_path()).get(ledger_id)
    if not isinstance(entry, dict):
        return None
    try:
        return Witnessed(
            int(entry["position"]), str(entry["hash"]), str(entry["verified_at"]),
            str(entry.get("database", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def remember(ledger_id: str, seen: Witnessed) -> str | None:
    """Record `seen` for `ledger_id`; a warning when the file cannot be written, else None."""
    path = witness_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            entries = _load(path)
            entries[ledger_id] = {
                "position": seen.position,
                "hash": seen.hash,
                "verified_at": seen.verified_at,
                "database": seen.database,
            }
            _write(path, entries)
    except OSError as exc:
        return f"cannot record this verify in {path} ({exc.strerror}): truncation since now " \
               "would go unnoticed; set LEDGER_WITNESS to a writable file"
    return None


def _load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(path: Path, entries: dict[str, Any]) -> None:
    # A whole new file renamed over the old one: a crash never leaves half a witness.
    fd, tmp = tempfile.mkstemp(prefix=".witness-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Two verifies at once must not lose each other's entries."""
    try:
        import fcntl
    except ImportError:  # not POSIX: last writer wins
        yield
        return
    fd = os.open(str(path) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
