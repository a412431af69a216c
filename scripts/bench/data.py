"""The benchmark's data: N/10 claims x 10 events, the same events for every system."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import orjson

from scripts.bench.runner import log

YEAR_START = int(datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp())
YEAR_SECONDS = 365 * 86_400


# -- the data ----------------------------------------------------------------------------

_SYLLABLES = "ka lo mi ne ra su ti vo ze ba du fe gi ho ju ly pa qu so we xi ya".split()


def _vocabulary(rng: random.Random, size: int = 3_000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _sentence(rng: random.Random, vocab: list[str], low: int, high: int) -> str:
    words = [rng.choice(vocab) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_lines(n_events: int, per_claim: int = 10, seed: int = 20231102) -> list[dict[str, Any]]:
    """The input lines (NDJSON objects) of N events: N/per_claim claims in claim order."""
    return list(iter_lines(n_events, per_claim, seed))


def iter_lines(n_events: int, per_claim: int = 10, seed: int = 20231102) -> Iterator[dict[str, Any]]:
    """`make_lines`, one line at a time (a file of millions of events never held at once)."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    actors = [f"{_sentence(rng, vocab, 1, 2)[:-1]} ({rng.choice(vocab)} ministry)" for _ in range(600)]
    outlets = [f"{rng.choice(vocab).capitalize()} {rng.choice(['News', 'Times', 'Post', 'Wire'])}"
               for _ in range(80)]
    tag_pool = [rng.choice(vocab) for _ in range(200)]
    # Pools of sentences: drawing words per event costs more than the rest of the set-up.
    statements = [_sentence(rng, vocab, 10, 14) for _ in range(20_000)]
    quotes = [_sentence(rng, vocab, 6, 9) for _ in range(20_000)]
    made = 0
    n_claims = max(1, n_events // per_claim)
    randrange, choice, getrandbits = rng.randrange, rng.choice, rng.getrandbits
    for c in range(n_claims):
        claim_id = f"claim-{c:07d}"
        statement = choice(statements)
        tags = sorted(set(rng.sample(tag_pool, 2)))
        times = sorted(YEAR_START + randrange(YEAR_SECONDS) for _ in range(per_claim))
        for v in range(per_claim):
            if made >= n_events:
                return
            outlet = choice(outlets)
            day = _iso(times[v])
            source = {
                "name": outlet,
                "url": f"https://{outlet.split()[0].lower()}.example.org/{day[:10]}/"
                f"{getrandbits(40):010x}",
            }
            if v == 0 or rng.random() < 0.6:
                etype = "ClaimMade"
                data: dict[str, Any] = {
                    "claimant": choice(actors),
                    "statement": statement,
                    "quote": choice(quotes),
                    "source": source,
                    "tags": tags,
                }
            else:
                etype = "ClaimDenied"
                data = {
                    "denier": choice(actors),
                    "statement": choice(statements),
                    "quote": choice(quotes),
                    "source": source,
                }
            made += 1
            yield {
                "event_id": str(uuid.UUID(int=getrandbits(128), version=4)),
                "type": etype,
                "claim_id": claim_id,
                "occurred_at": day,
                "data": data,
            }


class Dataset:
    """One size: input lines, validated NewEvents, raw rows, and the claim grouping."""

    def __init__(self, n: int, workdir: Path) -> None:
        from ledger.domain.events import validate_event

        t = time.perf_counter()
        self.n = n
        self.lines = make_lines(n)
        self.events = [validate_event(obj) for obj in self.lines]
        self.claims: list[str] = []
        self.by_claim: dict[str, list[int]] = {}
        for i, e in enumerate(self.events):
            if e.claim_id not in self.by_claim:
                self.claims.append(e.claim_id)
                self.by_claim[e.claim_id] = []
            self.by_claim[e.claim_id].append(i)
        self.ndjson = workdir / f"events-{n}.ndjson"
        with self.ndjson.open("wb") as f:
            for obj in self.lines:
                f.write(orjson.dumps(obj) + b"\n")
        sizes = [len(orjson.dumps(obj["data"])) for obj in self.lines[:2_000]]
        self.payload_bytes = statistics.mean(sizes)
        self.line_bytes = self.ndjson.stat().st_size / n
        rng = random.Random(7)
        # Raw rows: the ledger's columns, with hashes and salts of the right shape.
        self.raw_rows = []
        versions: dict[str, int] = {}
        for pos, e in enumerate(self.events, start=1):
            version = versions[e.claim_id] = versions.get(e.claim_id, 0) + 1
            self.raw_rows.append(
                (
                    pos,
                    e.event_id,
                    e.claim_id,
                    version,
                    e.type,
                    1,
                    e.occurred.start,
                    e.occurred.end,
                    1_700_000_000_000_000,
                    e.data,
                    {},
                    f"{rng.getrandbits(128):032x}",
                    f"{rng.getrandbits(256):064x}",
                    f"{rng.getrandbits(256):064x}",
                )
            )
        log(
            f"data: {n:,} events, {len(self.claims):,} claims, payload {self.payload_bytes:.0f} B, "
            f"NDJSON line {self.line_bytes:.0f} B ({time.perf_counter() - t:.1f} s)"
        )

    def txn_sample(self, limit: int) -> int:
        """The number of events of the per-transaction workloads: whole claims, <= limit."""
        return min(self.n, max(10, (limit // 10) * 10))


# -- measuring ---------------------------------------------------------------------------
