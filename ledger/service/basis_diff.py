"""`ledger diff`: what changed between two bases, claim by claim."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.actors import registry_at
from ledger.service.basis import parse_basis_spec, resolve_basis
from ledger.service.claim_answers import Snapshots
from ledger.service.claim_lists import list_claims
from ledger.store.port import EventStore


def diff_bases(
    store: EventStore,
    from_: str,
    to: str,
    *,
    tz: ZoneInfo | None = None,
    snapshots: Snapshots | None = None,
) -> Any:
    """What changed between two bases written as `ledger diff` takes them."""
    from ledger.projections.diff import diff_answers
    from ledger.service.ledger import Answer

    bases = [resolve_basis(store, tz=tz, **parse_basis_spec(text)) for text in (from_, to)]
    before, after = (list_claims(store, b, tz=tz, snapshots=snapshots) for b in bases)
    actors = store.read_actors()
    registries = [registry_at(actors, b.position) for b in bases]
    answer = Answer(
        {
            "from_basis": bases[0].to_json(),
            "to_basis": bases[1].to_json(),
            "changes": diff_answers(
                before, after, actors_before=registries[0], actors_after=registries[1]
            ),
        }
    )
    answer.bases = bases
    return answer
