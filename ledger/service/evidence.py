"""Archived copies of sources: store, fetch and list them, and check them in `verify`.

A copy is hashed while it is copied into a temporary file, then streamed from that file into
the store: tens of MB pass through in pieces, never as one value held twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ledger.domain.errors import LedgerError, NotFoundError
from ledger.domain.evidence import check_digest
from ledger.domain.time import format_instant
from ledger.store.port import EvidenceCopy, EvidenceInfo, EvidenceStore

if TYPE_CHECKING:
    from ledger.service.ledger import Ledger

CHUNK = 1 << 20
DEFAULT_MEDIA_TYPE = "application/octet-stream"
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+( *;[ -~]*)?", re.ASCII)

Source = str | os.PathLike[str] | bytes | IO[bytes]


def evidence_of(ledger: Ledger) -> EvidenceStore:
    """The ledger's evidence store (every store of the ledger keeps one)."""
    store = getattr(ledger.store, "evidence", None)
    if store is None:
        raise LedgerError("this ledger's store keeps no evidence")
    return store  # type: ignore[no-any-return]


def checked_media_type(value: str) -> str:
    """A media type as given (`text/html; charset=utf-8`), refused when it is not one."""
    text = value.strip()
    if len(text) > 255 or _MEDIA_TYPE.fullmatch(text) is None:
        from ledger.domain.errors import InvalidInput

        raise InvalidInput(
            f"{value[:80]!r} is not a media type (e.g. text/html, application/pdf)",
            field="media_type",
        )
    return text


def guess_media_type(name: str | None) -> str:
    if name:
        guessed, _ = mimetypes.guess_type(name, strict=False)
        if guessed:
            return guessed
    return DEFAULT_MEDIA_TYPE


def stage(source: Source, *, media_type: str | None = None) -> EvidenceCopy:
    """Hash a copy while writing it to an anonymous temporary file; the caller closes `.file`.

    `source`: a path, bytes, or an open binary stream (read to its end).
    """
    name: str | None = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        kind = checked_media_type(media_type) if media_type else DEFAULT_MEDIA_TYPE
        return EvidenceCopy(hashlib.sha256(data).hexdigest(), kind, len(data), io.BytesIO(data))
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            stream: IO[bytes] = open(Path(name), "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise LedgerError(f"cannot read {name}: {exc.strerror}") from None
    else:
        stream = source
    kind = checked_media_type(media_type) if media_type else guess_media_type(name)
    try:
        return copy_stream(stream, kind)
    finally:
        if name is not None:
            stream.close()


def copy_stream(stream: IO[bytes], media_type: str) -> EvidenceCopy:
    """Stage what `stream` holds: hashed in pieces into a temporary file."""
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - EvidenceCopy owns it; closed by callers
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
    except BaseException:
        spool.close()
        raise
    return EvidenceCopy(digest.hexdigest(), media_type, size, spool)


def info_json(info: EvidenceInfo) -> dict[str, Any]:
    return {
        "sha256": info.sha256,
        "media_type": info.media_type,
        "size": info.size,
        "stored_at": format_instant(info.stored_at),
    }


# -- the Ledger's evidence methods ----------------------------------------------------------


def add_evidence(ledger: Ledger, source: Source, *, media_type: str | None = None) -> dict[str, Any]:
    """Store a copy (idempotent by digest): its digest, type, size, and whether it is new."""
    store = evidence_of(ledger)
    copy = stage(source, media_type=media_type)
    with contextlib.closing(copy.file):
        stored = store.put(copy)
    kept = store.info([copy.sha256]).get(copy.sha256)
    kind = kept.media_type if kept is not None else copy.media_type  # the first copy's type
    return {"sha256": copy.sha256, "media_type": kind, "size": copy.size, "stored": stored}


def find(ledger: Ledger, sha256: str) -> EvidenceInfo:
    digest = check_digest(sha256)
    info = evidence_of(ledger).info([digest]).get(digest)
    if info is None:
        raise NotFoundError(
            f"no archived copy with sha256 {digest}; `ledger evidence list` shows the stored ones"
        )
    return info


def get_evidence(ledger: Ledger, sha256: str, out: IO[bytes]) -> dict[str, Any]:
    """Write a stored copy's bytes to `out` in pieces; its facts."""
    info = find(ledger, sha256)
    with contextlib.closing(evidence_of(ledger).chunks(info.sha256)) as chunks:
        for chunk in chunks:
            out.write(chunk)
    return info_json(info)


def list_evidence(ledger: Ledger) -> list[dict[str, Any]]:
    return [info_json(i) for i in evidence_of(ledger).list()]


def archive_facts(ledger: Ledger, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Type and size of the stored copies among `digests`, for display next to a source."""
    wanted = set(digests)
    store = getattr(ledger.store, "evidence", None)
    if not wanted or store is None:
        return {}
    return {d: info_json(i) for d, i in store.info(wanted).items()}


# -- verify ---------------------------------------------------------------------------------


def rehash(store: EvidenceStore, sha256: str) -> tuple[str, int]:
    """The digest and size of a stored copy's bytes as read back now."""
    digest = hashlib.sha256()
    size = 0
    with contextlib.closing(store.chunks(sha256)) as chunks:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_evidence(ledger: Ledger) -> tuple[int, list[dict[str, Any]]]:
    """Re-hash every stored copy; name each changed copy and each event whose copy is gone.

    Returns (copies checked, breaks); a break names the digest and, when an event names it,
    the first such position.
    """
    store = getattr(ledger.store, "evidence", None)
    if store is None:
        return 0, []
    first_named: dict[str, int] = {}
    for position, digest in store.references():
        first_named.setdefault(digest, position)
    breaks: list[dict[str, Any]] = []
    infos = store.list()
    for info in infos:
        actual, size = rehash(store, info.sha256)
        if actual != info.sha256 or size != info.size:
            breaks.append({
                "position": first_named.get(info.sha256),
                "evidence": info.sha256,
                "reason": f"evidence {info.sha256}: the stored copy changed (its {size} bytes "
                f"hash to {actual}; {info.size} bytes were stored)",
            })
    stored = {i.sha256 for i in infos}
    for digest, position in sorted(first_named.items(), key=lambda item: item[1]):
        if digest not in stored:
            breaks.append({
                "position": position,
                "evidence": digest,
                "reason": f"evidence {digest}: the event at position {position} names an "
                "archived copy that is not stored",
            })
    breaks.sort(key=lambda b: (b["position"] is None, b["position"] or 0))
    return len(infos), breaks


def with_archive(data: dict[str, Any], archive: Source) -> tuple[dict[str, Any], EvidenceCopy]:
    """`data` whose source names the staged copy of `archive`; the copy (caller closes it)."""
    from ledger.domain.errors import InvalidInput

    source = data.get("source")
    if not isinstance(source, dict):
        raise InvalidInput("--source-archive needs --source NAME", field="source")
    copy = stage(archive)
    return {**data, "source": {**source, "archive": copy.sha256}}, copy


def with_archive_facts(ledger: Ledger, answer: Any) -> Any:
    """`answer` carrying `.archives` (digest -> type, size) when it names archived copies."""
    from ledger.service.ledger import Answer, Answers

    digests = set(_archives_in(answer))
    if not digests:
        return answer
    wrapped = Answer(answer) if isinstance(answer, dict) else Answers(answer)
    wrapped.__dict__.update(getattr(answer, "__dict__", {}))  # basis, total, ... as they were
    wrapped.archives = archive_facts(ledger, digests)
    return wrapped


def _archives_in(value: Any) -> Iterator[str]:
    """Every `source.archive` anywhere in a JSON answer."""
    if isinstance(value, dict):
        source = value.get("source")
        if isinstance(source, dict) and isinstance(source.get("archive"), str):
            yield source["archive"]
        for item in value.values():
            if isinstance(item, (dict, list)):
                yield from _archives_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _archives_in(item)
