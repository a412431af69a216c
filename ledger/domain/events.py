"""The event catalogue (docs/events.md) as data, and the validation of an input or export line.

Validation happens once, at the boundary: what passes is a `NewEvent` whose fields the rest of
the ledger may trust. `data` is kept as given (defaults are applied when read, by
`effective_data`), so the stored bytes are the user's and the idempotency check compares like
with like.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import rfc8785

from ledger.domain.actors import ACTOR_ID, ACTOR_TYPES, KINDS, STREAM_PREFIX, WIKIDATA
from ledger.domain.errors import InvalidInput
from ledger.domain.jsonline import check_json_value, json_kind
from ledger.domain.model import ERRATA_TYPES, Interval, NewEvent
from ledger.domain.time import parse_instant, parse_occurred, resolved_occurred_text

CURRENT_SCHEMA_VERSION = 1

#: Namespace of the UUIDv5 given to a line without `event_id`. Never change it: re-importing
#: a file must give its lines the same ids as before.
EVENT_ID_NAMESPACE = uuid.UUID("6f3b1c52-8e0a-5d47-9b1e-2c4a7d9e0f13")

MODALITIES = ("fact", "intention", "forecast", "evaluation")
OUTCOMES = ("confirmed", "refuted")
RELATIONS = ("supports", "contradicts", "refines", "duplicates", "presupposes")

CLAIM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-?)(?:[0-9a-fA-F]{4}\1){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True, slots=True)
class Field:
    """One data field: its JSON shape (`kind`), whether it is required, its allowed values."""

    kind: str  # text, boolean, choice, tags, source, proposition, changes, event_id, claim_id
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type of the catalogue."""

    type: str
    fields: Mapping[str, Field]
    schema_version: int = CURRENT_SCHEMA_VERSION

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.fields)

    @property
    def required(self) -> frozenset[str]:
        return frozenset(name for name, f in self.fields.items() if f.required)

    @property
    def id_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.kind == "event_id")


# The catalogue of docs/events.md, one line per type: `name?` is optional, `:kind` is the JSON shape
# (text unless named). A required text field must not be blank.
_TABLE = {
    "ClaimMade": "claimant statement attributed_to? on_record?:boolean origin? "
    "modality?:modality quote? source?:source proposition?:proposition tags?:tags",
    "ClaimDenied": "denier statement? quote? source?:source responds_to?:event_id "
    "attributed_to? on_record?:boolean",
    "ClaimCorroborated": "corroborator origin? evidence? quote? source?:source "
    "attributed_to? on_record?:boolean",
    "ClaimRetracted": "retractor reason? source?:source",
    "ClaimResolved": "outcome:outcome resolver evidence? source?:source",
    "ClaimLinked": "relation:relation other_claim_id:claim_id note?",
    "SanctionThreatened": "threatened_by target authority? condition? quote? source?:source",
    "SanctionImposed": "imposed_by target authority? measures? source?:source",
    "RecordCorrected": "target_event_id:event_id changes:changes reason",
    "RecordVoided": "target_event_id:event_id reason",
}
# Actor events (streams `actor:<id>`): facts about the record like errata, so kept apart from
# the claim types above; `spec_of` knows both.
_ACTOR_TABLE = {
    "ActorRegistered": "name aliases?:tags kind?:actor_kind wikidata?:wikidata affiliation? note?",
    "ActorAliased": "alias note?",
    "ActorUnaliased": "alias reason",
}
_CHOICES = {
    "modality": MODALITIES,
    "outcome": OUTCOMES,
    "relation": RELATIONS,
    "actor_kind": KINDS,
}


def _field(word: str) -> tuple[str, Field]:
    name, _, kind = word.partition(":")
    required = not name.endswith("?")
    kind = kind or "text"
    if kind in _CHOICES:
        return name.rstrip("?"), Field("choice", required, _CHOICES[kind])
    return name.rstrip("?"), Field(kind, required)


CATALOGUE: dict[str, EventSpec] = {
    name: EventSpec(name, dict(_field(word) for word in words.split()))
    for name, words in _TABLE.items()
}

ACTOR_CATALOGUE: dict[str, EventSpec] = {
    name: EventSpec(name, dict(_field(word) for word in words.split()))
    for name, words in _ACTOR_TABLE.items()
}

#: What a correction may name before its target is known: any world event's field.
CORRECTABLE = frozenset({"occurred_at"}).union(
    *(spec.names for spec in CATALOGUE.values() if spec.type not in ERRATA_TYPES)
)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
#: (type, from_version) -> function giving the data of version from_version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Decorator: register the step that lifts `event_type` data from `from_version` by one."""

    def register(fn: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """The data of an old stored shape, lifted step by step to the type's current version."""
    current = spec_of(event_type).schema_version
    if schema_version > current:
        raise InvalidInput(
            f"schema version {schema_version} of {event_type} is newer than this ledger "
            f"(it knows up to {current}); upgrade ledger",
            field="schema_version",
        )
    for version in range(schema_version, current):
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise InvalidInput(
                f"no upcaster from schema version {version} of {event_type}",
                field="schema_version",
            )
        data = step(data)
    return data


def spec_of(event_type: object) -> EventSpec:
    """The catalogue entry of a type; refuses an unknown one, listing the known ones."""
    if not isinstance(event_type, str):
        raise InvalidInput(
            f"expected an event type string, got {json_kind(event_type)}", field="type"
        )
    spec = CATALOGUE.get(event_type) or ACTOR_CATALOGUE.get(event_type)
    if spec is None:
        known = ", ".join([*CATALOGUE, *ACTOR_CATALOGUE])
        raise InvalidInput(
            f"unknown event type '{event_type}'; expected one of {known}",
            field="type",
        )
    return spec


def data_field_names(event_type: str) -> frozenset[str]:
    """Every data field the type has, required or optional."""
    return spec_of(event_type).names


def required_fields(event_type: str) -> frozenset[str]:
    """The data fields the type requires."""
    return spec_of(event_type).required


def validate_data(
    event_type: str, data: object, *, line: int | None = None, tz: ZoneInfo | None = None
) -> None:
    """Check `data` against the type's catalogue entry; raise InvalidInput naming `data.<field>`."""
    try:
        spec = spec_of(event_type)
        if not isinstance(data, dict):
            raise InvalidInput(f"expected an object, got {json_kind(data)}", field="data")
        for name in data:
            if name not in spec.fields:
                raise InvalidInput(
                    f"{event_type} has no field '{name}'; its fields are {', '.join(spec.fields)}",
                    field=f"data.{name}",
                )
        for name, fld in spec.fields.items():
            if name in data:
                _check_field(fld, data[name], f"data.{name}", tz)
            elif fld.required:
                raise InvalidInput(
                    f"required field missing ({event_type} requires "
                    f"{', '.join(sorted(spec.required))})",
                    field=f"data.{name}",
                )
    except InvalidInput as exc:
        raise (exc.at_line(line) if line is not None and exc.line is None else exc) from None


def effective_data(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as read: the defaults of docs/events.md filled in (they are never written)."""
    out = dict(data)
    if event_type == "ClaimMade":
        attributed = out.get("attributed_to")
        out.setdefault("on_record", attributed is None)
        out.setdefault("origin", attributed if attributed is not None else out.get("claimant"))
        out.setdefault("modality", "fact")
    elif event_type == "ClaimCorroborated":
        attributed = out.get("attributed_to")
        out.setdefault("on_record", attributed is None)
        out.setdefault("origin", attributed if attributed is not None else out.get("corroborator"))
    elif event_type == "ClaimDenied":
        out.setdefault("on_record", out.get("attributed_to") is None)
    return out


_LINE_FIELDS = (
    "event_id",
    "type",
    "claim_id",
    "actor_id",
    "occurred_at",
    "data",
    "metadata",
    "expected_version",
)
_ENVELOPE_FIELDS = (
    "version",
    "position",
    "schema_version",
    "occurred_from",
    "occurred_to",
    "recorded_at",
    "salt",
    "prev_hash",
    "hash",
)
_TOP_FIELDS = frozenset(_LINE_FIELDS + _ENVELOPE_FIELDS)


def validate_event(
    obj: object,
    *,
    line: int | None = None,
    tz: ZoneInfo | None = None,
    keep_recorded_at: bool = False,
) -> NewEvent:
    """Validate an input line or an export envelope into a NewEvent (errata not yet checked)."""
    try:
        return _validate(obj, line, tz, keep_recorded_at)
    except InvalidInput as exc:
        raise (exc.at_line(line) if line is not None and exc.line is None else exc) from None


def _validate(obj: object, line: int | None, tz: ZoneInfo | None, keep: bool) -> NewEvent:
    if not isinstance(obj, dict):
        raise InvalidInput(f"expected one JSON object, got {json_kind(obj)}")
    for name in obj:
        if name not in _TOP_FIELDS:
            raise InvalidInput(
                f"unknown field; an event line has {', '.join(_LINE_FIELDS)} (an export line "
                f"also {', '.join(_ENVELOPE_FIELDS)})",
                field=str(name),
            )
    if "type" not in obj:
        raise InvalidInput("required field missing: the event type", field="type")
    spec = spec_of(obj["type"])
    erratum = spec.type in ERRATA_TYPES
    if spec.type in ACTOR_TYPES or "actor_id" in obj:
        claim_id = _actor_stream(obj, spec.type)
    elif "claim_id" in obj:
        claim_id = _claim_id(obj["claim_id"], "claim_id")
    elif erratum:
        claim_id = ""  # the erratum check takes it from the target
    else:
        raise InvalidInput("required field missing: the claim id (a slug)", field="claim_id")
    event_id = _event_id(obj["event_id"], "event_id") if "event_id" in obj else None
    recorded = None
    if "recorded_at" in obj:
        recorded = parse_instant(obj["recorded_at"], field="recorded_at")
    occurred = _occurred(obj, spec.type, recorded, tz)

    if "data" not in obj:
        raise InvalidInput(f"required field missing ({spec.type} requires data)", field="data")
    data = obj["data"]
    if "schema_version" in obj:
        version = _count(obj["schema_version"], "schema_version", 1)
        if isinstance(data, dict) and version != spec.schema_version:
            data = upcast(spec.type, version, data)
    validate_data(spec.type, data, tz=tz)
    data = _normalised_ids(spec, data)
    data = _resolved_correction_time(data, tz)

    metadata = obj.get("metadata", {})
    if not isinstance(metadata, dict):
        raise InvalidInput(f"expected an object, got {json_kind(metadata)}", field="metadata")
    check_json_value(metadata, "metadata")
    expected = None
    if "expected_version" in obj:
        expected = _count(obj["expected_version"], "expected_version", 0)
    # The store recomputes these; their shape is still checked, a garbled export is refused.
    for name in ("version", "position"):
        if name in obj:
            _count(obj[name], name, 1)
    for name in ("prev_hash", "hash", "salt"):
        if name in obj:
            _hex(obj[name], name, 32 if name == "salt" else 64)

    return NewEvent(
        event_id=event_id or derived_event_id(obj),
        type=spec.type,
        claim_id=claim_id,
        occurred=occurred,
        data=data,
        metadata=metadata,
        schema_version=spec.schema_version,
        expected_version=expected,
        salt=obj.get("salt"),
        recorded_at=recorded if keep else None,
        line=line,
    )


def derived_event_id(obj: Mapping[str, Any]) -> str:
    """The UUIDv5 of a line without event_id: its RFC 8785 form, minus `expected_version`."""
    content = {k: v for k, v in obj.items() if k != "expected_version"}
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, rfc8785.dumps(content).decode("utf-8")))


def _occurred(
    obj: dict[str, Any], event_type: str, recorded: int | None, tz: ZoneInfo | None
) -> Interval | None:
    given = [name for name in ("occurred_from", "occurred_to") if name in obj]
    if event_type in ACTOR_TYPES:
        # Like errata: an actor event takes effect from its position, not at a world time.
        if "occurred_at" in obj:
            raise InvalidInput(
                f"{event_type} takes no occurred_at: an actor event takes effect when it is "
                "recorded",
                field="occurred_at",
            )
        for name in given:
            if recorded is None or parse_instant(obj[name], field=name) != recorded:
                raise InvalidInput(
                    f"an actor event's {name} must equal its recorded_at (it takes no world time)",
                    field=name,
                )
        return None
    if event_type in ERRATA_TYPES:
        if "occurred_at" in obj:
            raise InvalidInput(
                f"{event_type} takes no occurred_at: an erratum happens when it is recorded",
                field="occurred_at",
            )
        # An exported erratum carries occurred_from = occurred_to = recorded_at; any other
        # value would give it a world time it does not have.
        for name in given:
            if recorded is None or parse_instant(obj[name], field=name) != recorded:
                raise InvalidInput(
                    f"an erratum's {name} must equal its recorded_at (errata take no world time)",
                    field=name,
                )
        return None
    if given:
        if "occurred_at" in obj:
            raise InvalidInput(
                "give occurred_at, or occurred_from with occurred_to, not both", field="occurred_at"
            )
        if len(given) == 1:
            missing = "occurred_to" if given[0] == "occurred_from" else "occurred_from"
            raise InvalidInput(
                "required field missing: an export line gives occurred_from and occurred_to",
                field=missing,
            )
        start = parse_instant(obj["occurred_from"], field="occurred_from")
        end = parse_instant(obj["occurred_to"], field="occurred_to")
        if end <= start:
            raise InvalidInput("the interval ends before it starts", field="occurred_to")
        return Interval(start, end)
    if "occurred_at" not in obj:
        raise InvalidInput(
            f"required field missing ({event_type} requires occurred_at, e.g. 2023-11-02)",
            field="occurred_at",
        )
    return parse_occurred(obj["occurred_at"], tz, field="occurred_at")


def _check_field(fld: Field, value: Any, path: str, tz: ZoneInfo | None) -> None:
    kind = fld.kind
    if kind == "text":
        _text(value, path, nonblank=fld.required)
    elif kind == "boolean" and type(value) is not bool:
        raise InvalidInput(f"expected true or false, got {json_kind(value)}", field=path)
    elif kind == "choice" and (type(value) is not str or value not in fld.choices):
        raise InvalidInput(
            f"expected one of {', '.join(fld.choices)}, got {_shown(value)}", field=path
        )
    elif kind == "tags":
        if not isinstance(value, list):
            raise InvalidInput(f"expected an array of strings, got {json_kind(value)}", field=path)
        for index, tag in enumerate(value):
            _text(tag, f"{path}[{index}]", nonblank=True)
    elif kind in _OBJECT_KEYS:
        keys = _OBJECT_KEYS[kind]
        if not isinstance(value, dict):
            raise InvalidInput(
                f"expected an object with {', '.join(keys)}, got {json_kind(value)}", field=path
            )
        for name in value:
            if name not in keys:
                raise InvalidInput(
                    f"unknown field; expected {', '.join(keys)}", field=f"{path}.{name}"
                )
        for name, required in keys.items():
            if name not in value:
                if required:
                    raise InvalidInput("required field missing", field=f"{path}.{name}")
            elif name in ("published_at", "about"):
                parse_occurred(value[name], tz, field=f"{path}.{name}")
            elif name == "archive":  # the sha256 of a copy in the evidence table
                _hex(value[name], f"{path}.{name}", 64)
            else:
                _text(value[name], f"{path}.{name}", nonblank=True)
    elif kind == "changes":
        _changes(value, path)
    elif kind == "event_id":
        _event_id(value, path)
    elif kind == "claim_id":
        _claim_id(value, path)
    elif kind == "wikidata" and (type(value) is not str or WIKIDATA.fullmatch(value) is None):
        raise InvalidInput(
            f"{_shown(value)} is not a Wikidata id: write Q and digits, e.g. Q193471", field=path
        )


_OBJECT_KEYS = {  # sub-field -> required
    "source": {"name": True, "url": False, "published_at": False, "archive": False},
    "proposition": {"subject": True, "predicate": True, "object": True, "about": False},
}


def _resolved_correction_time(data: Any, tz: ZoneInfo | None) -> Any:
    """A correction's new `occurred_at` as its writer meant it, whatever zone reads it later."""
    changes = data.get("changes") if isinstance(data, dict) else None
    if tz is None or not isinstance(changes, dict):
        return data
    value = changes.get("occurred_at")
    if not isinstance(value, str):
        return data
    text = resolved_occurred_text(value, tz, field="data.changes.occurred_at")
    if text == value:
        return data
    return {**data, "changes": {**changes, "occurred_at": text}}


def _changes(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise InvalidInput(
            f"expected an object of field: new value, got {json_kind(value)}", field=path
        )
    if not value:
        raise InvalidInput("names no field to correct", field=path)
    for name in value:
        if name in ("claim_id", "type"):
            raise InvalidInput(
                f"{name} cannot be corrected: void the event and record it again",
                field=f"{path}.{name}",
            )
        if name not in CORRECTABLE:
            raise InvalidInput(
                "no event type has this field; a correction names data fields or occurred_at",
                field=f"{path}.{name}",
            )
    check_json_value(value, path)


def _text(value: Any, path: str, *, nonblank: bool) -> None:
    if type(value) is not str:
        raise InvalidInput(f"expected a string, got {json_kind(value)}", field=path)
    if nonblank and not value.strip():
        raise InvalidInput("expected a non-empty string", field=path)
    check_json_value(value, path)


def _claim_id(value: Any, path: str) -> str:
    if type(value) is not str or CLAIM_ID.fullmatch(value) is None:
        raise InvalidInput(
            f"{_shown(value)} is not a claim id: use lowercase letters, digits and hyphens, "
            "starting with a letter or digit, at most 128 characters",
            field=path,
        )
    return value


def _actor_stream(obj: dict[str, Any], event_type: str) -> str:
    """The stream of an actor event: `actor_id` as written, or an exported `actor:<id>`."""
    if event_type not in ACTOR_TYPES:
        raise InvalidInput(
            f"{event_type} is about a claim: give claim_id; actor_id is for "
            f"{', '.join(sorted(ACTOR_TYPES))}",
            field="actor_id",
        )
    if "actor_id" in obj:
        if "claim_id" in obj:
            raise InvalidInput(
                "give actor_id, or the exported claim_id 'actor:<id>', not both", field="claim_id"
            )
        value, path = obj["actor_id"], "actor_id"
    elif "claim_id" in obj:
        value, path = obj["claim_id"], "claim_id"
        if type(value) is not str or not value.startswith(STREAM_PREFIX):
            raise InvalidInput(
                f"{_shown(value)} is not an actor stream: an actor event carries actor_id "
                "(a slug), or claim_id 'actor:<id>' as exported",
                field=path,
            )
        value = value[len(STREAM_PREFIX) :]
    else:
        raise InvalidInput(
            "required field missing: the actor id (a slug such as sergei-shoigu)",
            field="actor_id",
        )
    if type(value) is not str or ACTOR_ID.fullmatch(value) is None:
        raise InvalidInput(
            f"{_shown(value)} is not an actor id: use lowercase letters, digits and hyphens, "
            "starting with a letter or digit, at most 122 characters",
            field=path,
        )
    return STREAM_PREFIX + value


def _event_id(value: Any, path: str) -> str:
    # uuid.UUID() alone is lax (braces, "urn:uuid:", hyphens anywhere, int()'s underscores).
    if type(value) is str and _UUID.fullmatch(value) is not None:
        return str(uuid.UUID(value))
    raise InvalidInput(
        f"{_shown(value)} is not a UUID (e.g. 0193c4f0-7d3a-7cc1-9f2e-5b8a4e2d1c07)", field=path
    )


def _normalised_ids(spec: EventSpec, data: dict[str, Any]) -> dict[str, Any]:
    # Ids are looked up, so they are kept in one spelling: lowercase, hyphenated.
    ids = {name: _event_id(data[name], name) for name in spec.id_fields if name in data}
    changed = {name: value for name, value in ids.items() if data[name] != value}
    return {**data, **changed} if changed else data


def _count(value: Any, path: str, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidInput(f"expected an integer >= {minimum}, got {_shown(value)}", field=path)
    return value


def _hex(value: Any, path: str, length: int) -> None:
    if type(value) is not str or len(value) != length or value.strip(_HEX_DIGITS):
        raise InvalidInput(
            f"expected {length} lowercase hex digits, got {_shown(value)}", field=path
        )


_HEX_DIGITS = "0123456789abcdef"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return json_kind(value)
