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
from datetime import UTC, datetime
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
        for chunk, charset in value._chunks:  # noqa: SLF001 - the raw chunks are what we need
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
    text = raw_text(value)
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


def _parse_addresses(values: Iterable[str]) -> list[Address]:
    found: list[Address] = []
    seen: set[str] = set()
    try:
        pairs = email.utils.getaddresses([raw_text(v) for v in values])
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


def _date(value: object, internaldate: datetime | None) -> datetime:
    if value is not None:
        try:
            parsed = email.utils.parsedate_to_datetime(decode_text(value))
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


def parse_headers(raw: bytes, internaldate: datetime | None = None) -> MessageFacts:
    """Parse a raw header block into :class:`MessageFacts`; never raises."""
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
