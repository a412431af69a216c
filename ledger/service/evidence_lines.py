"""Evidence lines in NDJSON: `{"evidence": sha256, "media_type": ..., "base64": ...}`.

`export --with-evidence` writes one before the first event that names the copy; import reads
them back. A line of a copy of tens of MB is far longer than an event line may be, so both
directions stream it: base64 is written and decoded in pieces, and the decoded bytes go to a
temporary file while they are hashed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
import tempfile
from typing import IO, Any

import orjson

from ledger.domain.errors import InvalidInput
from ledger.domain.jsonline import parse_json_line
from ledger.service.evidence import checked_media_type
from ledger.store.port import EvidenceCopy, EvidenceInfo, EvidenceStore

_RAW_CHUNK = 3 << 18  # a multiple of 3: each piece encodes to base64 without padding
_TEXT_CHUNK = 1 << 20  # a multiple of 4: each piece decodes on its own
_KEYS = ("evidence", "media_type", "base64")

_START = re.compile(rb'\s*\{\s*"evidence"\s*:')
# The shape export writes, which import streams: the three keys in this order.
_HEAD = re.compile(
    rb'\s*\{\s*"evidence"\s*:\s*"([0-9a-f]{64})"\s*,\s*"media_type"\s*:\s*'
    rb'("(?:[^"\\]|\\.){0,512}")\s*,\s*"base64"\s*:\s*"'
)
_TAIL = re.compile(rb'\s*\}\s*')


def write_copy_line(out: IO[bytes], store: EvidenceStore, info: EvidenceInfo) -> None:
    """One evidence line, its base64 written as the stored bytes are read."""
    out.write(b'{"evidence":"' + info.sha256.encode() + b'","media_type":')
    out.write(orjson.dumps(info.media_type) + b',"base64":"')
    carry = b""
    with contextlib.closing(store.chunks(info.sha256)) as chunks:
        for chunk in chunks:
            data = carry + chunk
            cut = len(data) - len(data) % 3
            out.write(base64.b64encode(data[:cut]))
            carry = data[cut:]
    out.write(base64.b64encode(carry) + b'"}\n')


class CopyReader:
    """Takes the evidence lines out of an NDJSON input, staging each copy as it is read."""

    def __init__(self) -> None:
        self.copies: list[EvidenceCopy] = []
        self._seen: set[str] = set()

    @staticmethod
    def claims(raw: bytes) -> bool:
        """Whether a line (its first piece) is an evidence line."""
        if _START.match(raw) is not None:
            return True
        if b'"base64"' not in raw or b'"evidence"' not in raw:
            return False  # the usual event line: no second parse
        try:  # the keys in another order: only the object's own keys decide
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # Cut off by the line limit: an evidence line in another order, refused as such.
            return not raw.endswith(b"\n") and raw.lstrip().startswith(b"{")
        return isinstance(obj, dict) and "evidence" in obj and "type" not in obj

    def read(self, raw: bytes, stream: IO[bytes], number: int) -> None:
        """Stage the copy on the line that starts with `raw` (the rest is read from `stream`)."""
        # Enough of the line to hold its keys and digest, however short the first read was.
        while not raw.endswith(b"\n") and len(raw) < 4096:
            more = stream.readline(4096 - len(raw))
            if not more:
                break
            raw += more
        try:
            copy = self._streamed(raw, stream) if _HEAD.match(raw) else self._parsed(raw)
        except InvalidInput as exc:
            raise exc.at_line(number) from None
        if copy.sha256 in self._seen:
            copy.file.close()
            return
        self._seen.add(copy.sha256)
        self.copies.append(copy)

    def close(self) -> None:
        for copy in self.copies:
            copy.file.close()

    # -- the two shapes ---------------------------------------------------------------------

    def _parsed(self, raw: bytes) -> EvidenceCopy:
        # Any key order, for a line short enough to be read whole like an event line.
        from ledger.service.log import MAX_LINE_BYTES

        if not raw.endswith(b"\n") and len(raw) > MAX_LINE_BYTES:
            raise InvalidInput(
                "an evidence line this long must give evidence, media_type and base64 in that "
                "order (as `ledger export --with-evidence` writes it)",
                field="evidence",
            )
        obj = parse_json_line(raw.rstrip(b"\r\n"), None)
        if not isinstance(obj, dict) or set(obj) != set(_KEYS):
            raise InvalidInput(
                "an evidence line has exactly the keys evidence, media_type and base64",
                field="evidence",
            )
        for key in _KEYS:
            if not isinstance(obj[key], str):
                raise InvalidInput("expected a string", field=key)
        text = obj["base64"].encode("ascii", "replace")
        spool = _Spool()
        try:
            spool.feed(text, final=True)
        except BaseException:
            spool.discard()
            raise
        return spool.copy(obj["evidence"], obj["media_type"])

    def _streamed(self, raw: bytes, stream: IO[bytes]) -> EvidenceCopy:
        head = _HEAD.match(raw)
        assert head is not None
        claimed = head.group(1).decode()
        media_type = orjson.loads(head.group(2))
        piece = raw[head.end():]
        spool = _Spool()
        try:
            while True:
                end = piece.find(b'"')
                if end >= 0:
                    spool.feed(piece[:end], final=True)
                    rest = piece[end + 1:]
                    break
                if piece.endswith(b"\n") or not piece:
                    raise InvalidInput("the base64 string is not closed", field="base64")
                spool.feed(piece, final=False)
                # readline, not read: the next line stays in the stream for the caller.
                piece = stream.readline(_TEXT_CHUNK)
            while not rest.endswith(b"\n") and (more := stream.readline(_TEXT_CHUNK)):
                rest += more
                if len(rest) > 4096:
                    break
            if _TAIL.fullmatch(rest) is None:
                raise InvalidInput(
                    "expected the line to end after the base64 string", field="evidence"
                )
        except BaseException:
            spool.discard()
            raise
        return spool.copy(claimed, media_type)


class _Spool:
    """Base64 text decoded piece by piece into a temporary file, hashed on the way."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the EvidenceCopy
        self.digest = hashlib.sha256()
        self.size = 0
        self._pending = b""
        self._ended = False  # padding seen: nothing may follow it

    def feed(self, text: bytes, *, final: bool) -> None:
        data = self._pending + text
        cut = len(data) if final else len(data) - len(data) % 4
        self._pending = data[cut:]
        if not cut:
            return
        if self._ended:
            raise InvalidInput("base64 continues after its padding", field="base64")
        try:
            decoded = binascii.a2b_base64(data[:cut], strict_mode=True)
        except binascii.Error as exc:
            raise InvalidInput(f"not valid base64 ({exc})", field="base64") from None
        self._ended = data[:cut].endswith(b"=")
        self.digest.update(decoded)
        self.file.write(decoded)
        self.size += len(decoded)

    def copy(self, claimed: Any, media_type: Any) -> EvidenceCopy:
        from ledger.domain.evidence import check_digest

        try:
            if not isinstance(claimed, str) or claimed != claimed.lower():
                raise InvalidInput("expected 64 lowercase hex digits", field="evidence")
            digest = check_digest(claimed)
            kind = checked_media_type(media_type if isinstance(media_type, str) else "")
            actual = self.digest.hexdigest()
            if actual != digest:
                raise InvalidInput(
                    f"the copy's bytes hash to {actual}, not to the sha256 the line names",
                    field="evidence",
                )
        except BaseException:
            self.discard()
            raise
        return EvidenceCopy(digest, kind, self.size, self.file)

    def discard(self) -> None:
        self.file.close()


class CopyWriter:
    """Writes each copy an exported event names once, just before the first such event."""

    def __init__(self, ledger: Any, out: IO[bytes]) -> None:
        from ledger.service.evidence import evidence_of

        self.store = evidence_of(ledger)
        self.out = out
        self.written: set[str] = set()

    def before(self, event: Any) -> None:
        from ledger.domain.errors import IntegrityError
        from ledger.domain.evidence import archives_named

        for _, digest in archives_named(event.data):
            if digest in self.written:
                continue
            info = self.store.info([digest]).get(digest)
            if info is None:
                raise IntegrityError(
                    f"the event at position {event.position} names evidence {digest}, which "
                    "is not stored; run `ledger verify`"
                )
            write_copy_line(self.out, self.store, info)
            self.written.add(digest)
