"""Time: ISO 8601 values at any precision, intervals, and the end-of-period rule of a basis.

Every instant is an integer count of microseconds since 1970-01-01T00:00:00Z. A written value
covers its smallest written unit (`2023-11` is `[2023-11-01, 2023-12-01)`); a cut-off such as
`--as-of 2023-11-10` means the end of the period written (the exclusive instant 2023-11-11T00:00Z).
"""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.domain.errors import InvalidInput
from ledger.domain.model import Interval

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: The earliest and latest instants the ledger stores (0001-01-01 .. 9999-12-31T23:59:59.999999Z).
MIN_US = (date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * US_PER_DAY
MAX_US = (date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * US_PER_DAY - 1

_VALUE = re.compile(
    r"""
    (?P<year>\d{4})
    (?:-(?P<month>\d{2})
      (?:-(?P<day>\d{2})
        (?:[Tt\ ](?P<hour>\d{2})
          (?::(?P<minute>\d{2})
            (?::(?P<second>\d{2})
              (?:[.,](?P<fraction>\d+))?
            )?
          )?
          (?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?
        )?
      )?
    )?
    """,
    re.VERBOSE,
)


def utc_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    """The aware UTC datetime of an instant."""
    return _EPOCH + timedelta(microseconds=us)


#: The exclusive end of 9999-12-31, the one instant past MAX_US the ledger stores (as an
#: occurred_to or a cut-off); it is written as the following midnight.
END_OF_TIME = MAX_US + 1
_END_OF_TIME_TEXT = "10000-01-01T00:00:00.000000Z"


def _plain_instant(us: int) -> str:
    if us == END_OF_TIME:
        return _END_OF_TIME_TEXT
    days, rest = divmod(us, US_PER_DAY)
    seconds, micro = divmod(rest, US_PER_SECOND)
    hh, rem = divmod(seconds, 3600)
    mm, ss = divmod(rem, 60)
    return f"{_day_text(days)}T{hh:02d}:{mm:02d}:{ss:02d}.{micro:06d}Z"


@lru_cache(maxsize=65_536)
def _day_text(days: int) -> str:
    d = date.fromordinal(days + _EPOCH_ORDINAL)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


# "YYYY-MM-DDTHH:MM:SS" by whole second. Hashing, replay and export format several instants
# per event and the seconds repeat (a batch shares its recorded_at, news its dates), so the
# text up to the second is cached; the cache starts afresh when it is full.
_SECONDS: dict[int, str] = {}
_KEPT = 65_536


def format_instant(us: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`: the one time format of exports, hashes and answers."""
    if type(us) is not int or not MIN_US <= us < END_OF_TIME:
        return _plain_instant(us)
    second, micro = divmod(us, US_PER_SECOND)
    head = _SECONDS.get(second)
    if head is None:
        if len(_SECONDS) >= _KEPT:
            _SECONDS.clear()
        head = _SECONDS[second] = _plain_instant(second * US_PER_SECOND)[:19]
    return f"{head}.{micro:06d}Z" if micro else head + ".000000Z"


_INSTANT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z")


def parse_instant(text: str, *, field: str = "time") -> int:
    """Parse an exact instant in the format of `format_instant` (exports, `recorded_at`)."""
    if not isinstance(text, str):
        raise InvalidInput(f"expected a time string, got {type(text).__name__}", field=field)
    if text == _END_OF_TIME_TEXT:
        return END_OF_TIME
    m = _INSTANT.fullmatch(text)
    if m is None:
        # Accept any fully specified ISO instant with an offset, e.g. from other tools.
        interval = parse_occurred(text, field=field)
        return interval.start
    year, month, day, hh, mm, ss, micro = (int(g) for g in m.groups())
    try:
        d = date(year, month, day)
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not a real date ({exc})", field=field) from None
    if hh > 23 or mm > 59 or ss > 59:
        raise InvalidInput(f"'{text}' is not a valid time of day", field=field)
    return (d.toordinal() - _EPOCH_ORDINAL) * US_PER_DAY + (
        (hh * 3600 + mm * 60 + ss) * US_PER_SECOND + micro
    )


def load_zone(name: str | None) -> ZoneInfo | None:
    """The default zone named by `--tz` / `LEDGER_TIMEZONE`, or None (UTC days, offsets required)."""
    if name is None or name == "":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone '{name}': use an IANA name such as 'Europe/Paris' or 'UTC'",
            field="tz",
        ) from None


def parse_occurred(
    text: object, tz: ZoneInfo | None = None, *, field: str = "occurred_at", _cutoff: bool = False
) -> Interval:
    """Parse a value or an interval `A/B` into `[start, end)` in UTC microseconds."""
    if isinstance(text, str):
        # News data repeats its dates endlessly; an Interval is immutable, so share it.
        return _parse_cached(text, tz, field, _cutoff)
    raise InvalidInput(f"expected an ISO 8601 time string, got {_json_type(text)}", field=field)


@lru_cache(maxsize=65_536)
def _parse_cached(text: str, tz: ZoneInfo | None, field: str, _cutoff: bool) -> Interval:
    if not isinstance(text, str):
        raise InvalidInput(
            f"expected an ISO 8601 time string, got {_json_type(text)}", field=field
        )
    value = text.strip()
    if value != text or not value:
        raise InvalidInput(f"'{text}' is not an ISO 8601 time", field=field)
    if "/" in value:
        first, _, second = value.partition("/")
        if "/" in second or not first or not second:
            raise InvalidInput(
                f"'{text}' is not an interval: write START/END, e.g. 2023-11-02/2023-11-20",
                field=field,
            )
        start = _span(first, tz, field, text, _cutoff).start
        end = _span(second, tz, field, text, _cutoff).end
        if end <= start:
            raise InvalidInput(f"interval '{text}' ends before it starts", field=field)
        return Interval(start, end)
    return _span(value, tz, field, text, _cutoff)


def resolved_occurred_text(value: str, tz: ZoneInfo | None, *, field: str) -> str:
    """The text of a stored `occurred_at` whose meaning no reader's zone can change.

    A correction keeps its `occurred_at` as text; written under a zone, a date or an
    offset-less time is rewritten as the exact UTC interval it meant to its writer. Readers
    then apply stored corrections in UTC, so every zone gets the same answer from one log.
    """
    interval = parse_occurred(value, tz, field=field)
    if tz is not None:
        try:
            same = parse_occurred(value, None, field=field) == interval
        except InvalidInput:
            same = False
        if not same:
            return f"{format_instant(interval.start)}/{format_instant(interval.end - 1)}"
    return value


#: The zone stored corrections are read in: their text is resolved when written.
STORED_ZONE = ZoneInfo("UTC")


def parse_cutoff(text: str, tz: ZoneInfo | None = None, *, field: str = "as_of") -> int:
    """The exclusive instant E a cut-off means: the end of the period written."""
    if "/" in text:
        raise InvalidInput(
            f"'{text}' is an interval; a cut-off is one time such as 2023-11-10", field=field
        )
    return parse_occurred(text, tz, field=field, _cutoff=True).end


def _span(value: str, tz: ZoneInfo | None, field: str, original: str, cutoff: bool) -> Interval:
    m = _VALUE.fullmatch(value)
    if m is None:
        raise InvalidInput(
            f"'{original}' is not an ISO 8601 time (e.g. 2023, 2023-11, 2023-11-21, "
            "2023-11-21T15:30Z, or an interval 2023-11-02/2023-11-20)",
            field=field,
        )
    g = m.groupdict()
    year = int(g["year"])
    month = int(g["month"]) if g["month"] else None
    day = int(g["day"]) if g["day"] else None
    hour = int(g["hour"]) if g["hour"] is not None else None
    minute = int(g["minute"]) if g["minute"] is not None else None
    second = int(g["second"]) if g["second"] is not None else None
    fraction = g["fraction"]
    zone = g["zone"]

    if year < 1:
        raise InvalidInput(f"'{original}': year 0000 does not exist; the earliest is 0001", field=field)
    if month is not None and not 1 <= month <= 12:
        raise InvalidInput(f"'{original}': month {month:02d} does not exist", field=field)
    if day is not None:
        try:
            date(year, month or 1, day)
        except ValueError:
            raise InvalidInput(
                f"'{original}' is not a real date: {year:04d}-{month:02d} has no day {day:02d}",
                field=field,
            ) from None
    if hour is not None and hour == 24:
        raise InvalidInput(
            f"'{original}': hour 24 is not accepted; write 00:00 of the next day", field=field
        )
    if hour is not None and hour > 23:
        raise InvalidInput(f"'{original}': hour {hour} does not exist", field=field)
    if minute is not None and minute > 59:
        raise InvalidInput(f"'{original}': minute {minute} does not exist", field=field)
    if second is not None and second == 60:
        raise InvalidInput(
            f"'{original}': leap seconds (:60) are not representable; write :59.999999",
            field=field,
        )
    if second is not None and second > 59:
        raise InvalidInput(f"'{original}': second {second} does not exist", field=field)
    if fraction is not None and len(fraction) > 6:
        raise InvalidInput(
            f"'{original}': more than 6 fractional digits; the ledger keeps microseconds",
            field=field,
        )

    # The local start of the written unit, and the length of that unit.
    if hour is None:
        if month is None:
            start_local = _day_us(date(year, 1, 1))
            end_local = _day_us(date(year + 1, 1, 1)) if year < 9999 else MAX_US + 1
        elif day is None:
            start_local = _day_us(date(year, month, 1))
            if month < 12:
                end_local = _day_us(date(year, month + 1, 1))
            else:
                end_local = _day_us(date(year + 1, 1, 1)) if year < 9999 else MAX_US + 1
        else:
            start_local = _day_us(date(year, month, day))
            end_local = start_local + US_PER_DAY
        if tz is None:
            start, end = start_local, end_local
        else:
            start, end = _local_boundary(start_local, tz), _local_boundary(end_local, tz)
        return _checked(start, end, field, original, cutoff)

    assert month is not None and day is not None
    local = _day_us(date(year, month, day)) + hour * 3600 * US_PER_SECOND
    if minute is None:
        unit = 3600 * US_PER_SECOND
    else:
        local += minute * 60 * US_PER_SECOND
        if second is None:
            unit = 60 * US_PER_SECOND
        else:
            local += second * US_PER_SECOND
            if fraction is None:
                unit = US_PER_SECOND
            else:
                local += int(fraction.ljust(6, "0"))
                unit = 10 ** (6 - len(fraction))
    if zone is not None:
        start = local - _offset_us(zone, original, field)
    elif tz is not None:
        start = _local_exact(local, tz, original, field)
    else:
        raise InvalidInput(
            f"'{original}' has no UTC offset: add Z or +HH:MM, or set a default zone "
            "with --tz / LEDGER_TIMEZONE",
            field=field,
        )
    return _checked(start, start + unit, field, original, cutoff)


def _checked(start: int, end: int, field: str, original: str, cutoff: bool) -> Interval:
    if start < MIN_US:
        raise InvalidInput(f"'{original}' is before 0001-01-01T00:00:00Z", field=field)
    if end > END_OF_TIME:
        raise InvalidInput(
            f"'{original}' ends after 9999-12-31T23:59:59.999999Z, the latest time stored",
            field=field,
        )
    if end <= start:
        raise InvalidInput(f"'{original}' is an empty period in its time zone", field=field)
    return Interval(start, end)


def _day_us(d: date) -> int:
    return (d.toordinal() - _EPOCH_ORDINAL) * US_PER_DAY


def _offset_us(zone: str, original: str, field: str) -> int:
    if zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"'{original}': UTC offset {zone} does not exist", field=field)
    return sign * (hours * 3600 + minutes * 60) * US_PER_SECOND


def _as_local(local_us: int, tz: ZoneInfo, fold: int) -> datetime:
    return (datetime(1970, 1, 1) + timedelta(microseconds=local_us)).replace(tzinfo=tz, fold=fold)


def _local_exact(local_us: int, tz: ZoneInfo, original: str, field: str) -> int:
    """A wall-clock time in the default zone; refused in a DST gap or overlap (it is ambiguous)."""
    early = utc_us(_as_local(local_us, tz, 0))
    late = utc_us(_as_local(local_us, tz, 1))
    if early == late:
        return early
    name = getattr(tz, "key", str(tz))
    if late < early:  # fold=1 takes the later offset: a gap, the wall time never existed
        raise InvalidInput(
            f"'{original}' does not exist in {name} (a daylight-saving gap): add a UTC offset",
            field=field,
        )
    raise InvalidInput(
        f"'{original}' happened twice in {name} (a daylight-saving overlap): add a UTC offset",
        field=field,
    )


def _local_boundary(local_us: int, tz: ZoneInfo) -> int:
    """The first instant whose wall-clock time in `tz` is at or after `local_us`."""
    if local_us > MAX_US:
        return local_us
    early = utc_us(_as_local(local_us, tz, 0))
    late = utc_us(_as_local(local_us, tz, 1))
    if early == late:
        return early
    if late > early:  # an overlap: the first occurrence
        return early
    # A gap: search the transition between the two readings.
    lo, hi = late, early
    while lo < hi:
        mid = (lo + hi) // 2
        wall = from_us(mid).astimezone(tz).replace(tzinfo=None)
        if (wall - datetime(1970, 1, 1)) // timedelta(microseconds=1) >= local_us:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def describe_interval(start: int, end: int) -> str:
    """A short human form of `[start, end)`: `2023-11`, `2023-11-02/2023-11-20`, `...T15:30Z`."""
    if start % US_PER_DAY == 0 and end % US_PER_DAY == 0:
        first, last = from_us(start).date(), from_us(end - US_PER_DAY).date()
        if first.day == 1 and (last + timedelta(days=1)).day == 1:
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            if months == 12 and first.month == 1:
                return f"{first.year:04d}"
            if months == 1:
                return f"{first.year:04d}-{first.month:02d}"
        if first == last:
            return first.isoformat()
        return f"{first.isoformat()}/{last.isoformat()}"
    if end - start == 0:
        return describe_instant(start)
    return f"{describe_instant(start)}/{describe_instant(end)}"


def describe_instant(us: int) -> str:
    """`2023-11-21T15:30:00Z`, with microseconds only when there are any."""
    text = format_instant(us)
    return text.replace(".000000Z", "Z")
