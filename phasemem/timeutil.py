"""UTC time helpers: the one gate every time passes through.

Stored times are float seconds since the Unix epoch (UTC); the API speaks
timezone-aware ``datetime``. Naive datetimes are taken as UTC, never local
time, so results do not depend on the machine's time zone.

Every time a caller gives (``occurred_at``, ``as_of``, ``filters.occurred_*``,
the times of an imported row) goes through :func:`to_utc`, and only there, so
the library, REST, MCP and import accept exactly the same values.

**Supported range**: from 0001-01-02 to 9999-12-30 (whole days, inclusive)
once converted to UTC (:data:`MIN_TIME` <= t < :data:`MAX_TIME`). Why a day
short of what Python's ``datetime`` can hold at each end: a stored time must
stay showable in any time zone (offsets are under 24 hours), so nothing that
reads a stored time can overflow. Anything outside, and NaN or infinity, is an
:class:`~phasemem.errors.InvalidTimeError`, never an ``OverflowError``.

**Accepted forms**: ``datetime``, ``date``, epoch seconds as a number (not a
boolean, not a number inside a string), an ISO-8601 string, or a written date
that names a month and a four-digit year ("8 May, 2023", "1:56 pm on 8 May,
2023", "10/12/2023"). Relative words ("now", "yesterday", "in 2 days") and
strings that are numbers ("-1", "nan", "1e309") are refused: they would
depend on the clock of whoever parses them, or are not dates at all.
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import UTC, date, datetime
from typing import overload

from phasemem.errors import InvalidTimeError, brief_repr

TimeLike = datetime | date | str | int | float

#: The earliest supported time (inclusive), UTC.
MIN_TIME = datetime(1, 1, 2, tzinfo=UTC)
#: The end of the supported range (exclusive): 9999-12-30 is the last whole day.
MAX_TIME = datetime(9999, 12, 31, tzinfo=UTC)
_MIN_TS = MIN_TIME.timestamp()
_MAX_TS = MAX_TIME.timestamp()
#: Longer strings are not dates (and would only cost the loose parser time).
MAX_TIME_CHARS = 100
_RANGE = "0001-01-02..9999-12-30 (UTC)"

_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_MONTH_WORD = re.compile(r"[^\W\d_]{3,}")
_SEPARATED_DIGITS = re.compile(r"\d\s*[-/.]\s*\d")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_utc(value: TimeLike, *, field: str = "time") -> datetime:
    """Parse a datetime, date, ISO-8601 string, written date or epoch seconds
    into an aware UTC datetime within the supported range (module docstring)."""
    if isinstance(value, bool):
        raise InvalidTimeError(f"{field}: expected a date/time, got a boolean", field=field)
    if isinstance(value, datetime):
        return _datetime_utc(value, field, value)
    if isinstance(value, date):
        return _in_range(datetime(value.year, value.month, value.day, tzinfo=UTC), field, value)
    if isinstance(value, numbers.Real):
        try:
            seconds = float(value)
        except (OverflowError, ValueError, TypeError):  # an int too large for a float
            raise _out_of_range(field, value) from None
        if not (math.isfinite(seconds) and _MIN_TS <= seconds < _MAX_TS):
            raise _out_of_range(field, value)
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        return _datetime_utc(_parse_text(value, field), field, value)
    raise InvalidTimeError(f"{field}: unsupported type {type(value).__name__}", field=field)


def _parse_text(value: str, field: str) -> datetime:
    text = value.strip()
    if not text:
        raise InvalidTimeError(f"{field}: empty date/time", field=field)
    if len(text) > MAX_TIME_CHARS:
        raise InvalidTimeError(
            f"{field}: a date/time has at most {MAX_TIME_CHARS} characters", field=field
        )
    if _UNPRINTABLE.search(text):  # a control character or a lone surrogate: not a date
        raise InvalidTimeError(f"{field}: {brief_repr(value)} is not a date/time", field=field)
    try:
        float(text)
    except ValueError:
        pass
    else:  # "-1", "nan", "1e309", "1700000000": numbers, not dates
        raise InvalidTimeError(
            f"{field}: {brief_repr(value)} is a number in a string; give an ISO date, or epoch "
            "seconds as a number",
            field=field,
        )
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        pass
    parsed = _parse_loose(text)
    if parsed is None:
        raise InvalidTimeError(
            f"{field}: cannot parse date/time {brief_repr(value)} (use ISO 8601, e.g. 2024-03-02 or "
            "2024-03-02T18:30:00Z)",
            field=field,
        )
    return parsed


def _parse_loose(text: str) -> datetime | None:
    """Written dates ("8 May, 2023", "1:56 pm on 8 May, 2023") via dateparser,
    only for text that looks like one: a four-digit year plus a month word or
    digits joined by a separator. dateparser alone reads "-1", "nan" and
    "1e309" as dates near today and fills a missing year or month from the
    clock; here it may use only its absolute-date parser and must find a month
    and a year, so the answer never depends on when it is asked."""
    if not _YEAR.search(text) or not (_MONTH_WORD.search(text) or _SEPARATED_DIGITS.search(text)):
        return None
    try:
        import dateparser
    except ImportError:  # pragma: no cover - dateparser is a base dependency
        return None
    try:
        return dateparser.parse(
            text.replace(" on ", " "),
            settings={
                "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "PREFER_DAY_OF_MONTH": "first",
                "PARSERS": ["absolute-time"],
                "REQUIRE_PARTS": ["month", "year"],
            },
        )
    except Exception:  # dateparser raises assorted errors (and overflows) on odd input
        return None


def _datetime_utc(dt: datetime, field: str, value: object) -> datetime:
    """Naive means UTC; aware is converted, which may leave datetime's range."""
    try:
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. year 1 at +05:00 is before year 1 in UTC
        raise _out_of_range(field, value) from None
    return _in_range(dt, field, value)


def _in_range(dt: datetime, field: str, value: object) -> datetime:
    if not MIN_TIME <= dt < MAX_TIME:
        raise _out_of_range(field, value)
    return dt


def _out_of_range(field: str, value: object) -> InvalidTimeError:
    return InvalidTimeError(
        f"{field}: {brief_repr(value)} is outside the supported range {_RANGE}", field=field
    )


def to_ts(value: TimeLike, *, field: str = "time") -> float:
    """Epoch seconds (UTC) for storage."""
    return to_utc(value, field=field).timestamp()


@overload
def from_ts(ts: float) -> datetime: ...
@overload
def from_ts(ts: None) -> None: ...
def from_ts(ts: float | None) -> datetime | None:
    """An aware UTC datetime for epoch seconds (None for None)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def iso(ts: float | None) -> str | None:
    """ISO-8601 string (UTC, 'Z'-free, seconds precision unless sub-second)."""
    dt = from_ts(ts)
    return None if dt is None else dt.isoformat()
