"""How claim answers look: the §5 object for scripts, compact escaped tables for people."""

from __future__ import annotations

from typing import Any

from ledger.cli import output
from ledger.cli.options import Format
from ledger.service import LedgerError
from ledger.service.vocabulary import describe_interval, parse_instant

_SECTIONS = (
    ("claimants", "Claimants"),
    ("denials", "Denials"),
    ("corroborations", "Corroborations"),
    ("retractions", "Retractions"),
    ("sanctions", "Sanctions"),
    ("links", "Links"),
)


def _when(item: dict[str, Any]) -> str:
    text = describe_interval(
        parse_instant(item["occurred_from"]), parse_instant(item["occurred_to"])
    )
    return f"{text} (tentative)" if item.get("tentative") else text


def _detail(key: str, item: dict[str, Any]) -> str:
    """The one line that says what an item is, beyond its actor and time."""
    if key == "claimants":
        bits = []
        if item.get("attributed_to"):
            bits.append(f"citing {item['attributed_to']}")
        bits.append("on record" if item.get("on_record") else "off record")
        if item.get("origin"):
            bits.append(f"origin {item['origin']}")
        if item.get("modality") not in (None, "fact"):
            bits.append(str(item["modality"]))
        return "; ".join(bits)
    if key == "sanctions":
        extra = f" under {item['authority']}" if item.get("authority") else ""
        return f"{item['kind']} against {item.get('target')}{extra}"
    if key == "links":
        return f"{item.get('relation')} {item.get('other_claim_id')} ({item.get('other_status')})"
    if key == "corroborations":
        return f"origin {item.get('origin')}" if item.get("origin") else ""
    if key == "retractions":
        return str(item.get("reason") or "")
    return str(item.get("statement") or "")


def _source(item: dict[str, Any]) -> str | None:
    src = item.get("source")
    return src.get("name") if isinstance(src, dict) else None


def render_claim(answer: dict[str, Any], fmt: Format) -> None:
    if output.write_structured(fmt.value, answer, [answer]):
        return
    if fmt is Format.csv:
        raise LedgerError("csv is for flat data; use --format json for one claim")
    basis = answer["basis"]
    output.write_table(
        ("field", "value"),
        [
            ("claim", answer["claim_id"]),
            ("statement", answer["statement"]),
            ("status", answer["status"] + (" (tentative)" if answer["tentative"] else "")),
            ("events", answer["event_count"]),
            ("resolution", _resolution(answer["resolution"])),
            ("basis", _basis_text(basis)),
        ],
        title=None,
    )
    for key, title in _SECTIONS:
        items = answer[key]
        if not items:
            continue
        output.write_table(
            ("actor", "when", "detail", "quote", "source"),
            ((i.get("actor"), _when(i), _detail(key, i), i.get("quote"), _source(i)) for i in items),
            title=title,
        )


def _resolution(resolution: dict[str, Any] | None) -> str | None:
    if resolution is None:
        return None
    return f"{resolution.get('outcome')} by {resolution.get('actor')} ({_when(resolution)})"


def _basis_text(basis: dict[str, Any]) -> str:
    parts = [f"as of {basis['as_of'] or 'any time'}"]
    parts.append(f"known at {basis['known_at'] or 'head'}")
    if basis["certain"]:
        parts.append("certain only")
    parts.append(f"position {basis['position']}")
    parts.append(f"head {basis['head_hash'][:12]}")
    return ", ".join(parts)


LIST_CSV = (
    "claim_id", "status", "statement", "claimants", "denials", "sanctions", "event_count",
    "first_occurred_at", "last_occurred_at", "tentative",
)


def _names(items: list[dict[str, Any]]) -> str:
    return "; ".join(str(i.get("actor")) for i in items)


def render_list(answers: Any, fmt: Format) -> None:
    if output.write_structured(fmt.value, answers, answers):
        return
    if fmt is Format.csv:
        output.write_csv(
            LIST_CSV,
            (
                (a["claim_id"], a["status"], a["statement"], _names(a["claimants"]),
                 _names(a["denials"]), len(a["sanctions"]), a["event_count"],
                 a["first_occurred_at"], a["last_occurred_at"], a["tentative"])
                for a in answers
            ),
        )
        return
    output.write_table(
        ("claim", "status", "claimants", "denied by", "events"),
        (
            (a["claim_id"], a["status"] + ("*" if a["tentative"] else ""),
             _names(a["claimants"]), _names(a["denials"]), a["event_count"])
            for a in answers
        ),
        title=f"{len(answers)} claims ({answers.basis.describe()})",
    )
    if any(a["tentative"] for a in answers):
        output.info("* tentative: rests on an event that may not have happened by --as-of")


def render_history(rows: list[dict[str, Any]], fmt: Format) -> None:
    if output.write_structured(fmt.value, rows, rows):
        return
    if fmt is Format.csv:
        output.write_csv(
            ("position", "version", "type", "occurred_from", "occurred_to", "recorded_at",
             "event_id", "erratum_target"),
            (
                (r["position"], r["version"], r["type"], r["occurred_from"], r["occurred_to"],
                 r["recorded_at"], r["event_id"], (r["erratum"] or {}).get("target_event_id"))
                for r in rows
            ),
        )
        return
    output.write_table(
        ("pos", "v", "type", "occurred", "recorded", "what"),
        (
            (r["position"], r["version"], r["type"],
             "-" if r["erratum"] else describe_interval(parse_instant(r["occurred_from"]),
                                                        parse_instant(r["occurred_to"])),
             r["recorded_at"].replace(".000000Z", "Z"), _what(r))
            for r in rows
        ),
    )


def _what(row: dict[str, Any]) -> str:
    erratum = row["erratum"]
    data = row["data"]
    if erratum is None:
        actor = next((data[k] for k in ("claimant", "denier", "corroborator", "retractor",
                                        "resolver", "threatened_by", "imposed_by") if k in data),
                      None)
        text = data.get("statement") or data.get("quote") or data.get("relation") or ""
        return f"{actor}: {text}" if actor else str(text)
    target = str(erratum.get("target_event_id"))[:8]
    if not erratum.get("applied"):
        return f"erratum on {target}… (not applied)"
    if erratum["action"] == "voided":
        return f"voids {target}…: {erratum.get('reason')}"
    changed = ", ".join(sorted(erratum.get("changes") or {}))
    before, after = erratum.get("occurred_before"), erratum.get("occurred_after")
    moved = ""
    if before and after and before != after:
        moved = (
            f"; moved {describe_interval(parse_instant(before['occurred_from']), parse_instant(before['occurred_to']))}"
            f" -> {describe_interval(parse_instant(after['occurred_from']), parse_instant(after['occurred_to']))}"
        )
    return f"corrects {target}… ({changed}): {erratum.get('reason')}{moved}"
