"""The words and time formats front ends show: the domain's choices and instant formatting.

Front ends build their option choices from these tuples, so a new status or relation in the
domain reaches every command and page without a second list to keep in step.
"""

from __future__ import annotations

from ledger.domain.actors import KINDS as ACTOR_KINDS
from ledger.domain.claims import STATUSES
from ledger.domain.events import ACTOR_CATALOGUE, CATALOGUE, MODALITIES, OUTCOMES, RELATIONS
from ledger.domain.model import ERRATA_TYPES
from ledger.domain.time import (
    describe_instant,
    describe_interval,
    format_instant,
    load_zone,
    parse_instant,
)

EVENT_TYPES = (*CATALOGUE, *ACTOR_CATALOGUE)

__all__ = [
    "ACTOR_KINDS",
    "ERRATA_TYPES",
    "EVENT_TYPES",
    "MODALITIES",
    "OUTCOMES",
    "RELATIONS",
    "STATUSES",
    "describe_instant",
    "describe_interval",
    "format_instant",
    "load_zone",
    "parse_instant",
]
