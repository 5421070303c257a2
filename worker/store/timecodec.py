"""How the state stores times: one codec for every table.

- A **message time** (``messages.tkey``) is one sortable integer: UTC seconds
  and the original UTC offset, so the latest message keeps its own offset on
  output (:func:`encode_time`, :func:`decode_time`). It is the scan's hot path.
- Every other time (reconnections, reminders) is a **stamp**: ISO 8601 in UTC
  to the second, ``2026-01-02T03:04:05+00:00``, so text order is time order
  and SQL compares stamps as text (:func:`encode_stamp`, :func:`decode_stamp`).
  Migration 7 rewrote the stamps older versions stored with microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

__all__ = ["encode_time", "decode_time", "encode_stamp", "decode_stamp", "now_stamp"]

_TZ_SPAN = 4096
_TZ_BIAS = 2048


# The offset in minutes of each fixed-offset time zone seen (a mailbox has a
# handful): a dict lookup instead of three calls per message on a scan.
_OFFSET_MINUTES: dict[timezone, int] = {}


def encode_time(value: datetime) -> int:
    """Encode an aware datetime as a sortable integer keeping its UTC offset."""
    tz = value.tzinfo
    if type(tz) is timezone:  # other tzinfo kinds may change their offset with the date
        minutes = _OFFSET_MINUTES.get(tz)
        if minutes is None:
            minutes = _offset_minutes(value)
            if len(_OFFSET_MINUTES) < 1000:
                _OFFSET_MINUTES[tz] = minutes
    else:
        minutes = _offset_minutes(value)
    return int(value.timestamp()) * _TZ_SPAN + (minutes + _TZ_BIAS)


def _offset_minutes(value: datetime) -> int:
    offset = value.utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def decode_time(key: int | None) -> datetime | None:
    """The inverse of :func:`encode_time`."""
    if key is None:
        return None
    seconds, minutes = divmod(int(key), _TZ_SPAN)
    tz = timezone(timedelta(minutes=minutes - _TZ_BIAS))
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz)


def encode_stamp(value: datetime) -> str:
    """``2026-01-02T03:04:05+00:00``: UTC, whole seconds, so text order is time order."""
    if value.tzinfo is None:
        raise ValueError("stored times must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def decode_stamp(value: str | None) -> datetime | None:
    """The inverse of :func:`encode_stamp` (it also reads any ISO 8601 time with an offset)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def now_stamp() -> str:
    """The stamp of this moment."""
    return encode_stamp(datetime.now(UTC))
