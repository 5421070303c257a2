"""A message's time: its ``Date`` field, else its INTERNALDATE (the contract's rule).

The canonical RFC 5322 form is read by one regular expression (the scan's hot
path); anything else goes to :func:`email.utils.parsedate_to_datetime`.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone

from worker.mail.mimewords import decode_text

__all__ = [
    "InternalDate",
    "parse_internaldate",
    "header_date",
    "date_from_text",
    "canonical_date",
    "CANONICAL_DATE",
]

#: A message's INTERNALDATE, parsed or as the server sent it (bytes: the scan
#: passes these, parsed only when the Date field is unusable).
InternalDate = datetime | bytes | None


_MONTH_NUMBERS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# The canonical RFC 5322 form, for which parsedate_to_datetime's result is plain.
# ASCII digits only: a date in other digits is left to parsedate_to_datetime.
CANONICAL_DATE = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9]\d{3}) "
    r"(\d\d):(\d\d):(\d\d) ([+-]\d{4})",
    re.ASCII,
)
# Time zones by their "+hhmm" text: a mailbox has only a handful.
_ZONES: dict[str, timezone] = {}


def _zone(offset: str) -> timezone:
    tz = _ZONES.get(offset)
    if tz is None:
        seconds = int(offset[1:3]) * 3600 + int(offset[3:5]) * 60
        tz = timezone(timedelta(seconds=-seconds if offset[0] == "-" else seconds))
        if len(_ZONES) < 1000:
            _ZONES[offset] = tz
    return tz


# "0".."99" and "00".."09" to their numbers: a lookup is cheaper than int().
_TWO_DIGITS = {**{str(i): i for i in range(100)}, **{f"{i:02d}": i for i in range(10)}}


def canonical_date(m: re.Match[str]) -> datetime:
    """The datetime of a ``CANONICAL_DATE`` match (not "-0000"); ValueError when impossible."""
    day, mon, year, hh, mm, ss, offset = m.groups()
    number = _TWO_DIGITS.__getitem__
    # positional arguments: a keyword costs datetime() a slower argument parser
    return datetime(
        int(year),
        _MONTH_NUMBERS[mon],
        number(day),
        number(hh),
        number(mm),
        number(ss),
        0,
        _zone(offset),
    )


def parse_internaldate(raw: bytes) -> datetime | None:
    """An IMAP INTERNALDATE as an aware datetime (None if malformed).

    >>> parse_internaldate(b"17-Jul-1996 02:44:25 -0700").isoformat()
    '1996-07-17T02:44:25-07:00'
    >>> parse_internaldate(b" 7-jul-1996 02:44:25 +0900").isoformat()
    '1996-07-07T02:44:25+09:00'
    >>> parse_internaldate(b"not a date") is None
    True
    """
    try:
        date, time_, zone = raw.decode("ascii").strip().split(" ")
        day, mon, year = date.split("-")
        hh, mm, ss = time_.split(":")
        return datetime(
            int(year),
            _MONTH_NUMBERS[mon.capitalize()],
            int(day),
            int(hh),
            int(mm),
            int(ss),
            tzinfo=_zone(zone),
        )
    except (ValueError, KeyError, IndexError, UnicodeDecodeError):
        return None


def _parse_date(text: str) -> datetime | None:
    """``email.utils.parsedate_to_datetime``, with a fast path for the canonical form."""
    m = CANONICAL_DATE.fullmatch(text)
    if m is None or m.group(7) == "-0000":  # "-0000" means no zone known: a naive datetime
        return email.utils.parsedate_to_datetime(text)
    return canonical_date(m)


def header_date(value: object, internaldate: InternalDate) -> datetime:
    return date_from_text(None if value is None else decode_text(value), internaldate)


def date_from_text(text: str | None, internaldate: InternalDate) -> datetime:
    """The Date field's decoded ``text`` as an aware datetime, else INTERNALDATE, else the epoch."""
    if text is not None:
        try:
            parsed = _parse_date(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            try:
                parsed.astimezone(UTC)  # out-of-range offsets fail here
                return parsed
            except (OverflowError, ValueError):
                pass
    if isinstance(internaldate, bytes):
        internaldate = parse_internaldate(internaldate)
    if internaldate is not None:
        return internaldate if internaldate.tzinfo else internaldate.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)
