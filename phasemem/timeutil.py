"""UTC time helpers: one place that turns user input into aware UTC datetimes.

Stored times are float seconds since the Unix epoch (UTC); the API speaks
timezone-aware ``datetime``. Naive datetimes are taken as UTC, never local
time, so results do not depend on the machine's time zone.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from phasemem.errors import InvalidTimeError

TimeLike = datetime | date | str | int | float

_MIN = datetime(1, 1, 2, tzinfo=UTC).timestamp()
_MAX = datetime(9999, 12, 30, tzinfo=UTC).timestamp()


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_utc(value: TimeLike, *, field: str = "time") -> datetime:
    """Parse a datetime, date, ISO-8601 string or epoch seconds into aware UTC."""
    if isinstance(value, bool):
        raise InvalidTimeError(f"{field}: expected a date/time, got a boolean", field=field)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not _MIN <= value <= _MAX:
            raise InvalidTimeError(f"{field}: epoch seconds out of range: {value!r}", field=field)
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidTimeError(f"{field}: empty date/time", field=field)
        try:
            parsed = datetime.fromisoformat(
                text.replace("Z", "+00:00") if text.endswith("Z") else text
            )
        except ValueError:
            parsed = _parse_loose(text)
            if parsed is None:
                raise InvalidTimeError(
                    f"{field}: cannot parse date/time {value!r}", field=field
                ) from None
        return to_utc(parsed, field=field)
    raise InvalidTimeError(f"{field}: unsupported type {type(value).__name__}", field=field)


def _parse_loose(text: str) -> datetime | None:
    """Free-form dates ("8 May, 2023", "1:56 pm on 8 May, 2023") via dateparser."""
    try:
        import dateparser
    except ImportError:  # pragma: no cover - dateparser is a base dependency
        return None
    cleaned = text.replace(" on ", " ")
    try:
        parsed = dateparser.parse(
            cleaned,
            settings={
                "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "PREFER_DAY_OF_MONTH": "first",
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return parsed


def to_ts(value: TimeLike, *, field: str = "time") -> float:
    """Epoch seconds (UTC) for storage."""
    return to_utc(value, field=field).timestamp()


def from_ts(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def iso(ts: float | None) -> str | None:
    """ISO-8601 string (UTC, 'Z'-free, seconds precision unless sub-second)."""
    dt = from_ts(ts)
    return None if dt is None else dt.isoformat()
