"""Tables and records for the reading commands."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.cli import output
from ledger.cli.options import Format
from ledger.codec import envelope_dict
from ledger.domain.model import StoredEvent
from ledger.domain.time import describe_instant, describe_interval, format_instant

LOG_COLUMNS = ("pos", "claim_id", "v", "type", "occurred", "recorded_at")


def _occurred(e: StoredEvent) -> str:
    return "(erratum)" if e.is_erratum else describe_interval(e.occurred_from, e.occurred_to)


def log_rows(events: Sequence[StoredEvent], fmt: Format) -> None:
    if fmt is Format.json:
        output.write_json([envelope_dict(e) for e in events])
    elif fmt is Format.jsonl:
        output.write_jsonl(envelope_dict(e) for e in events)
    elif fmt is Format.csv:
        output.write_csv(
            ("position", "claim_id", "version", "type", "occurred_from", "occurred_to",
             "recorded_at", "event_id", "hash"),
            (
                (e.position, e.claim_id, e.version, e.type, format_instant(e.occurred_from),
                 format_instant(e.occurred_to), format_instant(e.recorded_at), e.event_id, e.hash)
                for e in events
            ),
        )
    else:
        output.write_table(
            LOG_COLUMNS,
            (
                (e.position, e.claim_id, e.version, e.type, _occurred(e),
                 describe_instant(e.recorded_at))
                for e in events
            ),
        )
