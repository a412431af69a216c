"""How claim answers look: the claim answer for scripts, compact escaped tables for people."""

from __future__ import annotations

from typing import Any

from ledger.cli import output
from ledger.cli.options import Format, RecordFormat
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


def _source(item: dict[str, Any], archives: dict[str, Any] | None = None) -> str | None:
    src = item.get("source")
    if not isinstance(src, dict):
        return None
    name = src.get("name")
    digest = src.get("archive")
    if not isinstance(digest, str):
        return name
    return f"{name} {archived(digest, (archives or {}).get(digest))}"


def archived(digest: str, facts: dict[str, Any] | None) -> str:
    """`[archived 3f2a9c1e… 12.3 kB text/html]`: a source's copy, as a table shows it."""
    if facts is None:
        return f"[archived {digest[:12]}… MISSING: run ledger verify]"
    return f"[archived {digest[:12]}… {_size(facts['size'])} {facts['media_type']}]"


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value, unit = size / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"


def render_claim(answer: dict[str, Any], fmt: Format | RecordFormat) -> None:
    if output.write_structured(fmt.value, answer, [answer]):
        return
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
    corrected = getattr(answer, "corrections", None) or {}
    for key, title in _SECTIONS:
        items = answer[key]
        if not items:
            continue
        output.write_table(
            ("actor", "when", "detail", "quote", "source"),
            (
                (i.get("actor"), _when(i), _marked(_detail(key, i), corrected.get(i["event_id"])),
                 i.get("quote"), _source(i, getattr(answer, "archives", None)))
                for i in items
            ),
            title=title,
        )
    linked_from = answer.get("linked_from") or []
    if linked_from:
        output.write_table(
            ("claim", "relation", "its status"),
            ((link["claim_id"], link["relation"], link["status"]) for link in linked_from),
            title="Linked from",
        )


def _marked(detail: str, fields: list[dict[str, Any]] | None) -> str:
    """The detail, then each corrected field with the value it had before (`claimant was
    Kirby, corrected at #5`): the table shows the corrected event, JSON the same."""
    if not fields:
        return detail
    notes = []
    for f in fields:
        old = f["old"]
        name = "date" if f["field"] == "occurred_at" else f["field"]
        shown = _interval(old) if f["field"] == "occurred_at" else _value(old)
        notes.append(f"[{name} was {shown}, corrected at #{f['position']}]")
    return " ".join([detail, *notes]).strip()


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


def _names(actors: list[Any]) -> str:
    return "; ".join(str(actor) for actor in actors)


def _origin_count(row: dict[str, Any]) -> int:
    """Independent origins among the assertions and corroborations: "disputed" with five
    of them reads differently from "disputed" with one."""
    import unicodedata

    return len({unicodedata.normalize("NFC", str(o)).casefold() for o in row["origins"]})


def _count(answers: Any) -> str:
    total = getattr(answers, "total", None)
    if total is None or total == len(answers):
        return output.plural(len(answers), "claim")
    return f"{len(answers)} of {output.plural(total, 'claim')}"


def render_list(answers: Any, fmt: Format) -> None:
    """`claim list`: answers for json; for jsonl each answer's JSON text (`Ledger.list_json`);
    for csv and table the rows of `Ledger.list_rows`."""
    if fmt is Format.json:
        output.write_json(answers)
        return
    if fmt is Format.jsonl:
        output.write_json_lines(answers)
        return
    if fmt is Format.csv:
        output.write_csv(
            LIST_CSV,
            (
                (a["claim_id"], a["status"], a["statement"], _names(a["claimants"]),
                 _names(a["denials"]), a["sanctions"], a["event_count"],
                 a["first_occurred_at"], a["last_occurred_at"], a["tentative"])
                for a in answers
            ),
        )
        return
    output.write_table(
        ("claim", "status", "claimants", "denied by", "origins", "denials", "events"),
        (
            (a["claim_id"], a["status"] + ("*" if a["tentative"] else ""),
             _names(a["claimants"]), _names(a["denials"]), _origin_count(a),
             len(a["denials"]), a["event_count"])
            for a in answers
        ),
        title=f"{_count(answers)} ({answers.basis.describe()})",
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
    marks = correction_marks(rows)
    output.write_table(
        ("pos", "v", "type", "occurred", "recorded", "what"),
        (
            (r["position"], r["version"], r["type"],
             "-" if r["erratum"] else describe_interval(parse_instant(r["occurred_from"]),
                                                        parse_instant(r["occurred_to"])),
             r["recorded_at"].replace(".000000Z", "Z"),
             _what(r, marks) + _archive_note(r, getattr(rows, "archives", None)))
            for r in rows
        ),
    )


def _archive_note(row: dict[str, Any], archives: dict[str, Any] | None) -> str:
    source = row["data"].get("source") if isinstance(row.get("data"), dict) else None
    digest = source.get("archive") if isinstance(source, dict) else None
    if not isinstance(digest, str):
        return ""
    return " " + archived(digest, (archives or {}).get(digest))


def _what(row: dict[str, Any], marks: dict[str, list[str]] | None = None) -> str:
    erratum = row["erratum"]
    data = row["data"]
    if erratum is None:
        actor = next((data[k] for k in ("claimant", "denier", "corroborator", "retractor",
                                        "resolver", "threatened_by", "imposed_by") if k in data),
                      None)
        text = data.get("statement") or data.get("quote") or data.get("relation") or ""
        said = (f"{actor}: {text}" if actor else str(text)).strip()
        notes = (marks or {}).get(row["event_id"], [])
        return " ".join([said, *(f"[{note}]" for note in notes)]).strip()
    target = _target(erratum)
    if not erratum.get("applied"):
        return f"erratum on {target} (not applied)"
    if erratum["action"] == "voided":
        return f"voids {target}: {erratum.get('reason')}"
    changes = "; ".join(f"{name} {old} -> {new}" for name, old, new in _changed(erratum))
    return f"corrects {target}: {changes} ({erratum.get('reason')})"


def _target(erratum: dict[str, Any]) -> str:
    position = erratum.get("target_position")
    return f"#{position}" if position is not None else str(erratum.get("target_event_id"))


def _changed(erratum: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, old value, new value) of each field a correction changed, dates as people read."""
    out = []
    before, after = erratum.get("occurred_before"), erratum.get("occurred_after")
    if before and after and before != after:
        out.append(("date", _interval(before), _interval(after)))
    old, new = erratum.get("data_before") or {}, erratum.get("data_after") or {}
    for name in sorted(erratum.get("changes") or {}):
        if name != "occurred_at":
            out.append((name, _value(old.get(name)), _value(new.get(name))))
    return out


def _interval(value: dict[str, str]) -> str:
    return describe_interval(
        parse_instant(value["occurred_from"]), parse_instant(value["occurred_to"])
    )


def _value(value: Any) -> str:
    return "(none)" if value is None else output.cell(value)


def correction_marks(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """For each corrected or voided event id, what its row (which shows the event as first
    recorded) should say: which erratum changed which field to what (`claimant -> Biden at #5`)."""
    marks: dict[str, list[str]] = {}
    for row in rows:
        erratum = row["erratum"]
        if not erratum or not erratum.get("applied"):
            continue
        target = str(erratum["target_event_id"])
        if erratum["action"] == "voided":
            marks.setdefault(target, []).append(f"voided at #{row['position']}")
            continue
        for name, _old, new in _changed(erratum):
            marks.setdefault(target, []).append(f"{name} -> {new} at #{row['position']}")
    return marks
