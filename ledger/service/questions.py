"""Point-in-time questions, by the names their callers import: each lives in its own module.

basis (resolve `--as-of` / `--known-at`), claim_answers (one claim at a basis), claim_lists
(`claim list`), actor_filter (`--actor`), history (a claim's events and errata), basis_diff
(`ledger diff`) and log_reads (`ledger log`).
"""

from __future__ import annotations

from ledger.service.actor_filter import (
    actor_ids_of,
    actor_key,
    actors_of,
    matches_actor,
    within_name,
)
from ledger.service.basis import Basis, cutoff, parse_basis_spec, resolve_basis
from ledger.service.basis_diff import diff_bases
from ledger.service.claim_answers import Asker, Snapshots, show_claim
from ledger.service.claim_lists import list_claims, list_page
from ledger.service.history import claim_history, corrections_at
from ledger.service.log_reads import check_event_type, read_log

__all__ = [
    "Asker",
    "Basis",
    "Snapshots",
    "actor_ids_of",
    "actor_key",
    "actors_of",
    "check_event_type",
    "claim_history",
    "corrections_at",
    "cutoff",
    "diff_bases",
    "list_claims",
    "list_page",
    "matches_actor",
    "parse_basis_spec",
    "read_log",
    "resolve_basis",
    "show_claim",
    "within_name",
]
