"""A seeded ledger with a hostile claim and a resolved one, and the web app over it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import ledger.service as service

A = "wagner-pantsir-s1-to-hezbollah"
HOSTILE = "hostile-quote"
RESOLVED = "resolved-claim"
# What a hostile source could put in a quote: markup, an event handler, quotes, and a
# right-to-left override that would display the rest of the text backwards.
SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"
BIDI = "\u202eevil\u202c"
HOSTILE_QUOTE = f"{SCRIPT} {IMG} \"quoted\" 'single' {BIDI}"

EXTRA = [
    {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "type": "ClaimMade",
        "claim_id": HOSTILE,
        "occurred_at": "2023-11-05",
        "data": {
            "claimant": f"Mallory {IMG}",
            "statement": f"A statement {SCRIPT}",
            "quote": HOSTILE_QUOTE,
            "source": {"name": "Evil <b>Gazette</b>", "url": "javascript:alert(1)"},
        },
    },
    {
        "event_id": "00000000-0000-4000-8000-000000000002",
        "type": "ClaimMade",
        "claim_id": RESOLVED,
        "occurred_at": "2023-11",
        "data": {
            "claimant": "Daily Example",
            "statement": "The bridge was closed in November",
            "source": {
                "name": "Daily Example",
                "url": "https://example.org/bridge",
                "published_at": "2023-11-03",
            },
        },
    },
    {
        "event_id": "00000000-0000-4000-8000-000000000003",
        "type": "ClaimResolved",
        "claim_id": RESOLVED,
        "occurred_at": "2023-12-02",
        "data": {"outcome": "refuted", "resolver": "City council", "evidence": "minutes"},
    },
]


def seed(url: str) -> None:
    with service.open(url) as lg:
        lg.seed()
        lg.import_ndjson("\n".join(json.dumps(line) for line in EXTRA).encode())


@pytest.fixture
def seeded(db_url: str) -> str:
    seed(db_url)
    return db_url


@pytest.fixture
def lg(seeded: str) -> Iterator[service.Ledger]:
    with service.open(seeded, create=False) as opened:
        yield opened


@pytest.fixture
def client(lg: service.Ledger) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from ledger.web.app import create_app

    with TestClient(create_app(ledger=lg)) as test_client:
        yield test_client
