"""Tables and records for the reading commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.cli import output
from ledger.cli.options import Format
from ledger.service.vocabulary import (
    ERRATA_TYPES,
    describe_instant,
    describe_interval,
    parse_instant,
)

LOG_COLUMNS = ("pos", "claim_id", "v", "type", "occurred", "recorded_at")


def _occurred(e: dict[str, Any]) -> str:
    if e["type"] in ERRATA_TYPES:
        return "(erratum)"
    return describe_interval(parse_instant(e["occurred_from"]), parse_instant(e["occurred_to"]))


def log_rows(events: Sequence[dict[str, Any]], fmt: Format) -> None:
    if output.write_structured(fmt.value, list(events), events):
        return
    if fmt is Format.csv:
        output.write_csv(
            ("position", "claim_id", "version", "type", "occurred_from", "occurred_to",
             "recorded_at", "event_id", "hash"),
            (
                (e["position"], e["claim_id"], e["version"], e["type"], e["occurred_from"],
                 e["occurred_to"], e["recorded_at"], e["event_id"], e["hash"])
                for e in events
            ),
        )
    else:
        output.write_table(
            LOG_COLUMNS,
            (
                (e["position"], e["claim_id"], e["version"], e["type"], _occurred(e),
                 describe_instant(parse_instant(e["recorded_at"])))
                for e in events
            ),
        )
