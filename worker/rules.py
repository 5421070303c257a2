"""The contact rules, as pure functions over a message's header fields.

``../shared/CONTRACT.md`` ("Contact rules") is the specification. This module
turns one raw header block (what the scan fetches with
``BODY.PEEK[HEADER.FIELDS (...)]``) into :class:`~worker.model.MessageFacts`
and decides whether a message is contact, and in which direction. It never
raises on hostile input: no Date, garbage Date, undecodable names, 8-bit
bytes, huge recipient lists.

It sits on the scan's hot path (100,000 messages), so it uses the stdlib
header parser with the ``compat32`` policy (about 20 µs a message) and decodes
RFC 2047 words only where they appear.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from .automation import AUTOMATION_FIELDS, automation_reason
from .model import Address, MessageFacts

__all__ = [
    "FETCH_FIELDS",
    "parse_headers",
    "facts_from_message",
    "decode_text",
    "normalize_subject",
    "is_contact",
    "direction",
]

_CONTACT_FIELDS = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "X-Kizuna-Id",
    "X-Kizuna-Kind",
)

#: Every header field the scan fetches: the contact rules' and the automation verdict's.
FETCH_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f.lower() for f in (*_CONTACT_FIELDS, *AUTOMATION_FIELDS)).keys()
)

_parser = BytesHeaderParser(policy=compat32)
_MSGID = re.compile(r"<[^<>\s]+>")
_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|sv|vs|wg|tr|antw|res|enc|回复|回覆|答复|転送|返信|ｒｅ)\s*(\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
# Longer header text is cut before decoding: an encoded-word flood must stay cheap.
_MAX_TEXT = 4096
_FALLBACK_CHARSETS = ("utf-8", "euc-jp", "cp932", "iso-2022-jp", "gb18030", "cp1252")


def _raw_bytes(value: str) -> bytes:
    return value.encode("ascii", "surrogateescape")


def _guess(raw: bytes) -> str:
    for charset in _FALLBACK_CHARSETS:
        try:
            return raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("utf-8", "replace")  # pragma: no cover - cp1252 rarely fails


def raw_text(value: object) -> str:
    """A header value as text, raw 8-bit bytes decoded by guess (RFC 2047 left alone).

    The ``compat32`` parser hands 8-bit header values back either as strings
    with surrogate escapes or as :class:`email.header.Header` objects with the
    ``unknown-8bit`` charset; both become readable text here.
    """
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        chunks = []
        for chunk, charset in value._chunks:  # type: ignore[attr-defined]  # the raw chunks are what we need
            text = str(chunk)
            if charset is not None and str(charset) == "unknown-8bit" or (
                not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text)
            ):
                text = _guess(_raw_bytes(text))
            chunks.append(text)
        return "".join(chunks)
    text = str(value)
    if not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text):
        text = _guess(_raw_bytes(text))
    return text


def decode_text(value: object) -> str:
    """A header value as readable text: RFC 2047 words decoded, raw 8-bit guessed.

    Never raises; what cannot be decoded is replaced.
    """
    text = raw_text(value)[:_MAX_TEXT]
    if "=?" in text:
        try:
            decoded = []
            for chunk, charset in email.header.decode_header(text):
                if isinstance(chunk, bytes):
                    try:
                        decoded.append(chunk.decode(charset or "ascii", "replace"))
                    except LookupError:
                        decoded.append(chunk.decode("utf-8", "replace"))
                else:
                    decoded.append(chunk)
            text = "".join(decoded)
        except (ValueError, AssertionError, UnicodeError, IndexError):
            pass
    text = text.replace("\x00", "")
    return " ".join(text.split())


def normalize_subject(subject: str) -> str:
    """The thread key of a subject: reply/forward prefixes removed, case folded."""
    return _PREFIX.sub("", subject).strip().casefold()


# Address headers repeat a lot (the same people write again and again), and
# parsing them is the scan's costliest step: plain-string values are memoized.
_ADDRESS_CACHE: dict[tuple[str, ...], tuple[Address, ...]] = {}
_ADDRESS_CACHE_SIZE = 8192


def _addresses(values: Iterable[str]) -> list[Address]:
    values = tuple(values)
    if not all(type(v) is str for v in values):
        return _parse_addresses(values)
    found = _ADDRESS_CACHE.get(values)
    if found is None:
        if len(_ADDRESS_CACHE) >= _ADDRESS_CACHE_SIZE:
            _ADDRESS_CACHE.clear()
        found = _ADDRESS_CACHE[values] = tuple(_parse_addresses(values))
    return list(found)


# Plain address lists ("Name <a@b.c>, d@e.f, "Quoted" <g@h.i>"), for which
# email.utils.getaddresses's answer is known exactly: the phrase's words joined
# by one space, quotes removed, the addr-spec as written. Anything else
# (comments, groups, escapes, domain literals, 8-bit) goes to getaddresses.
_ADDR_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ADDR_SPEC = rf"{_ADDR_ATOM}(?:\.{_ADDR_ATOM})*@{_ADDR_ATOM}(?:\.{_ADDR_ATOM})*"
_WORD = r"(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+|\"[^\"\\\r\n()]*\")"
_PHRASE = rf"{_WORD}(?:[ \t\r\n]+{_WORD})*"
_MAILBOX = rf"(?:(?:({_PHRASE})[ \t\r\n]*)?<({_ADDR_SPEC})>|({_ADDR_SPEC}))"
_MAILBOX_NG = rf"(?:(?:{_PHRASE}[ \t\r\n]*)?<{_ADDR_SPEC}>|{_ADDR_SPEC})"
_ADDRESS_LIST = re.compile(
    rf"[ \t\r\n]*{_MAILBOX_NG}(?:[ \t\r\n]*,[ \t\r\n]*{_MAILBOX_NG})*[ \t\r\n]*"
)
_MAILBOXES = re.compile(_MAILBOX)
_PHRASE_WORDS = re.compile(r'"([^"]*)"|([^\s"]+)')


def _getaddresses(values: list[str]) -> list[tuple[str, str]]:
    """``email.utils.getaddresses``, without its cost for plain address lists."""
    joined = ", ".join(values)
    if not joined.isascii() or _ADDRESS_LIST.fullmatch(joined) is None:
        return email.utils.getaddresses(values)
    pairs = []
    for phrase, routed, bare in _MAILBOXES.findall(joined):
        if bare:
            pairs.append(("", bare))
        else:
            name = " ".join(q or a for q, a in _PHRASE_WORDS.findall(phrase)) if phrase else ""
            pairs.append((name, routed))
    return pairs


def _parse_addresses(values: Iterable[str]) -> list[Address]:
    found: list[Address] = []
    seen: set[str] = set()
    try:
        pairs = _getaddresses([raw_text(v) for v in values])
    except Exception:  # noqa: BLE001 - getaddresses fails on some hostile input
        pairs = []
    for name, addr in pairs:
        addr = decode_text(addr).strip().strip("<>").lower()
        if "@" not in addr or " " in addr or len(addr) > 320:
            continue
        if addr in seen:
            continue
        seen.add(addr)
        found.append(Address(addr, decode_text(name).strip().strip('"').strip()))
    return found


_MONTH_NUMBERS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# The canonical RFC 5322 form, for which parsedate_to_datetime's result is plain.
_CANONICAL_DATE = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9]\d{3}) "
    r"(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)
_ZONES: dict[str, timezone] = {}


def _parse_date(text: str) -> datetime | None:
    """``email.utils.parsedate_to_datetime``, with a fast path for the canonical form."""
    m = _CANONICAL_DATE.fullmatch(text)
    if m is None or m.group(7) == "-" and m.group(8) == m.group(9) == "00":
        return email.utils.parsedate_to_datetime(text)
    day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
    zone = sign + zh + zm
    tz = _ZONES.get(zone)
    if tz is None:
        seconds = int(zh) * 3600 + int(zm) * 60
        tz = timezone(timedelta(seconds=-seconds if sign == "-" else seconds))
        if len(_ZONES) < 1000:
            _ZONES[zone] = tz
    return datetime(int(year), _MONTH_NUMBERS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz)


def _date(value: object, internaldate: datetime | None) -> datetime:
    if value is not None:
        try:
            parsed = _parse_date(decode_text(value))
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
    if internaldate is not None:
        return internaldate if internaldate.tzinfo else internaldate.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def _msgid(value: object) -> str | None:
    if value is None:
        return None
    match = _MSGID.search(decode_text(value))
    return match.group(0) if match else None


def facts_from_message(msg: Message, internaldate: datetime | None = None) -> MessageFacts:
    """The facts of one parsed header block (``compat32`` policy)."""
    senders = _addresses(msg.get_all("from") or ())
    recipients = _addresses(
        [*(msg.get_all("to") or ()), *(msg.get_all("cc") or ()), *(msg.get_all("bcc") or ())]
    )
    refs_raw = decode_text(msg.get("references"))
    try:
        automated = automation_reason(msg)
    except Exception:  # noqa: BLE001 - never lose a message to a classifier bug
        automated = "unclassifiable"
    kizuna_id = msg.get("x-kizuna-id")
    kizuna_kind = msg.get("x-kizuna-kind")
    return MessageFacts(
        message_id=_msgid(msg.get("message-id")),
        date=_date(msg.get("date"), internaldate),
        sender=senders[0] if senders else None,
        recipients=tuple(recipients),
        subject=decode_text(msg.get("subject")),
        in_reply_to=_msgid(msg.get("in-reply-to")),
        references=tuple(_MSGID.findall(refs_raw))[-50:],
        automated=automated,
        recipient_count=len(recipients),
        kizuna_id=decode_text(kizuna_id) or None if kizuna_id is not None else None,
        kizuna_kind=decode_text(kizuna_kind) or None if kizuna_kind is not None else None,
    )


# A well-formed ASCII header block: "Name: value" lines, folded lines after.
# For such a block the stdlib parser's result is known exactly (compat32
# ``header_source_parse``): the name before the first colon, the value with
# leading blanks of its first line stripped and folded lines kept as they are.
_FIELD = r"[\041-\071\073-\176]+:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*"
_BLOCK = re.compile(rf"{_FIELD}(?:\r\n{_FIELD})*")
_FIELDS = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)")


class _SimpleMessage(Message):
    """A :class:`Message` of well-formed fields with a by-name index.

    :meth:`get` and :meth:`get_all` answer exactly as :class:`Message` would
    (``compat32`` hands ASCII values back unchanged and wraps 8-bit ones in a
    :class:`~email.header.Header`), without its linear scan. Private to
    :func:`parse_headers` (never mutated).
    """

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        super().__init__()
        self._headers = headers
        index: dict[str, list[tuple[str, str]]] = {}
        for name, value in headers:
            index.setdefault(name.lower(), []).append((name, value))
        self._index = index

    def _fetch(self, name: str, value: str) -> object:
        return value if value.isascii() else self.policy.header_fetch_parse(name, value)

    def get(self, name: str, failobj: object = None) -> object:  # type: ignore[override]
        values = self._index.get(name.lower())
        return self._fetch(*values[0]) if values else failobj

    def get_all(self, name: str, failobj: object = None) -> object:  # type: ignore[override]
        values = self._index.get(name.lower())
        return [self._fetch(k, v) for k, v in values] if values else failobj


def _simple_message(raw: bytes) -> Message | None:
    """The :class:`Message` the stdlib header parser would build, for simple blocks only.

    None when the block is not well-formed "Name: value" fields with CRLF line
    ends (bare CR or LF, a first line that is a continuation, a ``From ``
    envelope line, a line without a colon): the stdlib parser then decides.
    Bytes are decoded as the stdlib parser does (ASCII, surrogate escapes).
    """
    text = raw.decode("ascii", "surrogateescape")
    if text.startswith("\r\n"):
        head = ""
    else:
        end = text.find("\r\n\r\n")
        head = text if end < 0 else text[:end]
        if end < 0 and head.endswith("\r\n"):
            head = head[:-2]
    crlf = head.count("\r\n")
    if head.count("\r") != crlf or head.count("\n") != crlf:
        return None
    if not head:
        return _SimpleMessage([])
    if head.startswith("From ") or _BLOCK.fullmatch(head) is None:
        return None
    return _SimpleMessage(_FIELDS.findall(head))


def parse_headers(raw: bytes, internaldate: datetime | None = None) -> MessageFacts:
    """Parse a raw header block into :class:`MessageFacts`; never raises."""
    msg = _simple_message(raw)
    if msg is None:
        try:
            msg = _parser.parsebytes(raw)
        except Exception:  # noqa: BLE001 - the stdlib parser is lenient, but be sure
            msg = Message()
    return facts_from_message(msg, internaldate)


def is_contact(facts: MessageFacts, max_recipients: int) -> bool:
    """Whether the message counts as personal contact at all (before direction)."""
    return facts.automated is None and facts.recipient_count <= max_recipients and facts.sender is not None


def direction(facts: MessageFacts, me: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """``("sent", recipients)`` or ``("received", (sender,))`` or ``("", ())``.

    Sent = from one of my addresses to others; received = from someone else.
    My own addresses are never contacts.
    """
    if facts.sender is None:
        return "", ()
    if facts.sender.email in me:
        others = tuple(a.email for a in facts.recipients if a.email not in me)
        return ("sent", others) if others else ("", ())
    return "received", (facts.sender.email,)
