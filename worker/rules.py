"""The contact rules, as pure functions over a message's header fields.

``../shared/CONTRACT.md`` ("Contact rules") is the specification. This module
turns one raw header block (what the scan fetches with
``BODY.PEEK[HEADER.FIELDS (...)]``) into :class:`~worker.model.MessageFacts`
and states the contact rule (:func:`is_contact`, :func:`direction`; the
store applies the same rule in SQL over all messages at once). It never
raises on hostile input: no Date, garbage Date, undecodable names, 8-bit
bytes, huge recipient lists.

It sits on the scan's hot path (100,000 messages), so :func:`parse_headers`
does not build an :class:`email.message.Message` for the usual block: it splits
well-formed "Name: value" fields with one regular expression into a mapping of
lower-case name to raw values, exactly as the stdlib header parser
(``compat32``) would read them, and both the contact facts and the automation
verdict work on that mapping. Values are decoded only where they need it
(8-bit bytes, RFC 2047 words, odd whitespace), and what repeats from message to
message (address lists, single mailboxes, subjects, senders, time zones) is
memoized. Any block that is not plainly well-formed goes to the stdlib parser
and :func:`facts_from_message`, which stay the reference: both paths give equal
facts for every input (``tests/test_rules.py`` checks that).
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from .automation import AUTOMATION_FIELDS, automation_reason, automation_reason_from_fields
from .mimewords import decode_words
from .model import Address, MessageFacts

#: A message's INTERNALDATE, parsed or as the server sent it (bytes: the scan
#: passes these, parsed only when the Date field is unusable).
InternalDate = datetime | bytes | None

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
            if (
                charset is not None
                and str(charset) == "unknown-8bit"
                or (not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text))
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
    text = decode_words(raw_text(value)[:_MAX_TEXT])
    text = text.replace("\x00", "")
    return " ".join(text.split())


def normalize_subject(subject: str) -> str:
    """The thread key of a subject: reply/forward prefixes removed, case folded."""
    return _PREFIX.sub("", subject).strip().casefold()


# Address headers repeat a lot (the same people write again and again), and
# parsing them is the scan's costliest step: plain-string values are memoized,
# by the whole list of values and, below that, by single mailbox.
_MEMO_SIZE = 8192


def _addresses(values: Iterable[str]) -> list[Address]:
    values = tuple(values)
    if not all(type(v) is str for v in values):
        return _parse_addresses(values)
    return list(_address_tuple(values))


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _address_tuple(values: tuple[str, ...]) -> tuple[Address, ...]:
    """The addresses of plain-string header values, memoized."""
    return tuple(_parse_addresses(values))


# Plain mailboxes ("Name <a@b.c>", "d@e.f", "\"Quoted\" <g@h.i>"), for which
# email.utils.getaddresses's answer is known exactly: the phrase's words joined
# by one space, quotes removed, the addr-spec as written. Anything else
# (comments, groups, escapes, domain literals) goes to getaddresses; 8-bit
# values are decoded first.
# Non-ASCII letters in a phrase are atom characters to getaddresses as to this
# pattern; only non-ASCII white space (which str.split would split on and
# getaddresses would not) sends a list to getaddresses.
_ADDR_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ADDR_SPEC = rf"{_ADDR_ATOM}(?:\.{_ADDR_ATOM})*@{_ADDR_ATOM}(?:\.{_ADDR_ATOM})*"
# A word: atom characters, "." and any non-ASCII character, written as the
# complement (the same set; a class spanning up to U+10FFFF takes the regex
# compiler tens of milliseconds at every start), or a simple quoted string.
_WORD = r"(?:[^\x00-\x20\"(),:;<>@\[\\\]\x7f]+|\"[^\"\\\r\n()]*\")"
_PHRASE = rf"{_WORD}(?:[ \t\r\n]+{_WORD})*"
_MAILBOX = rf"(?:(?:({_PHRASE})[ \t\r\n]*)?<({_ADDR_SPEC})>|({_ADDR_SPEC}))"
_PHRASE_WORDS = re.compile(r'"([^"]*)"|([^\s"]+)')
_WIDE_SPACE = re.compile(r"(?![\x00-\x7f])\s")


def _pair(phrase: str, routed: str, bare: str) -> tuple[str, str]:
    """getaddresses's (name, addr) of one ``_MAILBOX`` match."""
    if bare:
        return "", bare
    name = " ".join(q or a for q, a in _PHRASE_WORDS.findall(phrase)) if phrase else ""
    return name, routed


def _address(name: str, addr: str) -> Address | None:
    """The :class:`Address` of one (name, addr) pair, None when it is no address."""
    addr = decode_text(addr).strip().strip("<>").lower()
    if "@" not in addr or " " in addr or len(addr) > 320:
        return None
    return Address(addr, decode_text(name).strip().strip('"').strip())


# One mailbox ("Name <a@b.c>") turns up in many different lists: each item of
# a list (the text between two separating commas) is memoized with its
# Address, so a new combination of known people costs neither parsing nor
# decoding. Commas outside quoted strings separate the items, and quotes only
# come in pairs; when every item is one plain mailbox (``_ITEM``), the list
# reads as getaddresses reads it, else getaddresses reads the whole list.
_ITEM = re.compile(rf"[ \t\r\n]*{_MAILBOX}[ \t\r\n]*")
# Items of a list with quoted strings: runs of non-comma text and "..." pairs.
_QUOTED_ITEMS = re.compile(r'[^",]+(?:"[^"]*"[^",]*)*|(?:"[^"]*"[^",]*)+')
_NOT_PLAIN = Address("", "")  # cached for an item that is no plain mailbox (a real Address has "@")


class _NotPlain(Exception):
    """An item of the list is no plain mailbox: getaddresses must read the whole list."""


def _items(joined: str) -> list[str] | None:
    """The comma-separated items of an address list, None when quotes do not pair up."""
    if '"' not in joined:
        return joined.split(",")
    items: list[str] = _QUOTED_ITEMS.findall(joined)
    return items if ",".join(items) == joined else None


def _mailbox(item: str) -> Address | None:
    """The Address of one list item (None if it is no address), memoized.

    Raises _NotPlain when the item is no plain mailbox.
    """
    address = _mailbox_or_not_plain(item)
    if address is _NOT_PLAIN:
        raise _NotPlain
    return address


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _mailbox_or_not_plain(item: str) -> Address | None:
    m = _ITEM.fullmatch(item)
    if m is None or not item.isascii() and _WIDE_SPACE.search(item) is not None:
        return _NOT_PLAIN
    return _address(*_pair(*m.groups()))


def _list_addresses(texts: list[str]) -> list[Address | None]:
    """``_address`` of each (name, addr) pair getaddresses finds in ``texts``."""
    joined = ", ".join(texts)
    items = _items(joined)
    if items is not None:
        try:
            return [_mailbox(item) for item in items]
        except _NotPlain:
            pass
    return [_address(name, addr) for name, addr in email.utils.getaddresses(texts)]


def _parse_addresses(values: Iterable[str]) -> list[Address]:
    found: list[Address] = []
    seen: set[str] = set()
    try:
        addresses = _list_addresses(
            [v if type(v) is str and v.isascii() else raw_text(v) for v in values]
        )
    except Exception:  # noqa: BLE001 - getaddresses fails on some hostile input
        addresses = []
    for address in addresses:
        if address is None or address.email in seen:
            continue
        seen.add(address.email)
        found.append(address)
    return found


_MONTH_NUMBERS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# The canonical RFC 5322 form, for which parsedate_to_datetime's result is plain.
# ASCII digits only: a date in other digits is left to parsedate_to_datetime.
_CANONICAL_DATE = re.compile(
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


def _canonical_date(m: re.Match[str]) -> datetime:
    """The datetime of a ``_CANONICAL_DATE`` match (not "-0000"); ValueError when impossible."""
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
    m = _CANONICAL_DATE.fullmatch(text)
    if m is None or m.group(7) == "-0000":  # "-0000" means no zone known: a naive datetime
        return email.utils.parsedate_to_datetime(text)
    return _canonical_date(m)


def _date(value: object, internaldate: InternalDate) -> datetime:
    return _date_from_text(None if value is None else decode_text(value), internaldate)


def _date_from_text(text: str | None, internaldate: InternalDate) -> datetime:
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


def _msgid(value: object) -> str | None:
    if value is None:
        return None
    match = _MSGID.search(decode_text(value))
    return match.group(0) if match else None


def facts_from_message(msg: Message, internaldate: InternalDate = None) -> MessageFacts:
    """The facts of one parsed header block (``compat32`` policy)."""
    senders = _addresses(msg.get_all("from") or ())
    recipients = _addresses(
        [*(msg.get_all("to") or ()), *(msg.get_all("cc") or ()), *(msg.get_all("bcc") or ())]
    )
    refs_raw = decode_text(msg.get("references"))
    automated = automation_reason(msg)  # never raises
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


# A well-formed header block: "Name: value" lines, folded lines after.
# For such a block the stdlib parser's result is known exactly (compat32
# ``header_source_parse``): the name before the first colon, the value with
# leading blanks of its first line stripped and folded lines kept as they are.
# Once every CR is known to start a CRLF, ``[^\r]`` is "to the end of the line"
# (and much cheaper for the regex engine than ``[^\r\n]``). Anchored at line
# starts, the pattern matches once per well-formed field; a block is
# well-formed when it matches once per line that is not a continuation.
_FIELDS = re.compile(r"^([\041-\071\073-\176]+):[ \t]*([^\r]*(?:\r\n[ \t][^\r]*)*)", re.MULTILINE)
# The same for a block without folded lines (most): no repeated group, which
# costs the regex engine more than the characters it reads.
_UNFOLDED_FIELDS = re.compile(r"^([\041-\071\073-\176]+):[ \t]*([^\r]*)", re.MULTILINE)


def _split_fields(raw: bytes) -> list[tuple[str, str]] | None:
    """The (name, raw value) pairs the stdlib header parser would read, for simple blocks only.

    None when the block is not well-formed "Name: value" fields with CRLF line
    ends (bare CR or LF, a first line that is a continuation, a ``From ``
    envelope line, a line without a colon): the stdlib parser then decides.
    Bytes are decoded as the stdlib parser does (ASCII, surrogate escapes), so
    8-bit values come out exactly as ``Message.raw_items`` would give them.
    """
    text = raw.decode("ascii", "surrogateescape")
    if text.startswith("\r\n"):
        return []
    end = text.find("\r\n\r\n")
    head = text if end < 0 else text[:end]
    if end < 0 and head.endswith("\r\n"):
        head = head[:-2]
    if not head:
        return []
    crlf = head.count("\r\n")
    if head.count("\r") != crlf or head.count("\n") != crlf or head.startswith("From "):
        return None
    folds = head.count("\r\n ") + head.count("\r\n\t")
    pairs: list[tuple[str, str]] = (_FIELDS if folds else _UNFOLDED_FIELDS).findall(head)
    if len(pairs) != crlf + 1 - folds:
        return None  # a line that is neither a field nor a continuation
    return pairs


def _plain(value: str) -> bool:
    """Whether :func:`decode_text` of ``value`` only collapses its white space.

    True for short ASCII text without an encoded word and without NUL, which is
    almost every Date, Message-ID, References and most subjects.
    """
    return value.isascii() and len(value) <= _MAX_TEXT and "=?" not in value and "\x00" not in value


# Decoded values that were not plain, memoized: encoded subjects and names
# repeat (a thread's replies, the same sender), and decode_header is slow.
# Subjects are memoized even when plain: a thread's subject comes back again.


def _text(value: str) -> str:
    """``decode_text(value)`` for a raw field value, at the least cost."""
    if _plain(value):
        return " ".join(value.split())
    return _decoded(value)


_decoded = functools.lru_cache(maxsize=_MEMO_SIZE)(decode_text)


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _subject(value: str) -> str:
    """``decode_text(value)`` of a raw Subject, memoized."""
    return _text(value)


# A Message-ID as decode_text leaves it: ASCII between angle brackets, without
# white space, NUL or an encoded word's "=?" (a raw value matching this is its
# own decoded text and its own _MSGID match).
_PLAIN_MSGID = re.compile(r"<(?!>)[!-;?-~]*(?:=(?!\?)[!-;?-~]*)*>")


def _msgid_text(value: str) -> str | None:
    """``_msgid(value)`` for a raw field value."""
    if len(value) <= _MAX_TEXT and _PLAIN_MSGID.fullmatch(value) is not None:
        return value
    match = _MSGID.search(_text(value))
    return match.group(0) if match else None


def _references(value: str) -> tuple[str, ...]:
    # Collapsing white space cannot change what _MSGID finds (it matches no white space).
    found = _MSGID.findall(value if _plain(value) else _text(value))
    return tuple(found[-50:])


def _date_value(value: str, internaldate: InternalDate) -> datetime:
    """``_date(value, internaldate)`` for a raw field value.

    A raw value in the canonical form is its own decoded text, and a year
    below 9999 cannot overflow when converted to UTC, so the match gives the
    answer directly.
    """
    m = _CANONICAL_DATE.fullmatch(value)
    if m is not None and m.group(7) != "-0000" and m.group(3) != "9999":
        try:
            return _canonical_date(m)
        except ValueError:  # 31 Feb, hour 25, an offset of a day or more
            return _date_from_text(None, internaldate)
    return _date_from_text(_text(value), internaldate)


# MessageFacts of all its fields in their order, without its Python-level
# __new__ (a scan makes one per message). The order is MessageFacts._fields;
# the tests hold this path equal to facts_from_message, which names them.
_new_facts = tuple.__new__


def _facts_from_fields(
    fields: Mapping[str, Sequence[str]], internaldate: InternalDate
) -> MessageFacts:
    """The facts of split fields (``{lower-case name: raw values}``).

    Equal to :func:`facts_from_message` of the stdlib parser's Message of the
    same block. Raw values stand in for what ``compat32``'s ``Message.get``
    returns: ASCII values are the same strings, and an 8-bit value's
    :class:`~email.header.Header` (one ``unknown-8bit`` chunk) reads the same
    through :func:`raw_text` as the surrogate-escaped string itself.
    """
    get = fields.get
    senders = _address_tuple(tuple(get("from") or ()))
    recipients = _address_tuple((*(get("to") or ()), *(get("cc") or ()), *(get("bcc") or ())))
    automated = automation_reason_from_fields(fields)  # never raises
    message_id = get("message-id")
    date = get("date")
    subject = get("subject")
    in_reply_to = get("in-reply-to")
    references = get("references")
    kizuna_id = get("x-kizuna-id")
    kizuna_kind = get("x-kizuna-kind")
    return _new_facts(
        MessageFacts,
        (
            _msgid_text(message_id[0]) if message_id else None,  # message_id
            _date_value(date[0], internaldate)
            if date
            else _date_from_text(None, internaldate),  # date
            senders[0] if senders else None,  # sender
            recipients,  # recipients
            _subject(subject[0]) if subject else "",  # subject
            _msgid_text(in_reply_to[0]) if in_reply_to else None,  # in_reply_to
            _references(references[0]) if references else (),  # references
            automated,  # automated
            len(recipients),  # recipient_count
            _text(kizuna_id[0]) or None if kizuna_id else None,  # kizuna_id
            _text(kizuna_kind[0]) or None if kizuna_kind else None,  # kizuna_kind
        ),
    )


def _by_name(pairs: list[tuple[str, str]]) -> Mapping[str, Sequence[str]]:
    """``{lower-case name: values in message order}`` of (name, value) pairs."""
    # A comprehension of one-value tuples is the cheapest build for the usual
    # block, where no name repeats; when one does (two To fields, say), the
    # comprehension kept only the last value, so gather them all.
    fields: dict[str, Sequence[str]] = {name.lower(): (value,) for name, value in pairs}
    if len(fields) < len(pairs):
        lists: dict[str, list[str]] = {}
        for name, value in pairs:
            lists.setdefault(name.lower(), []).append(value)
        return lists
    return fields


def _parse_headers_stdlib(raw: bytes, internaldate: InternalDate = None) -> MessageFacts:
    """:func:`parse_headers` through the stdlib parser and :func:`facts_from_message`.

    The reference the fast path is held to, and what decides every block the
    fast path does not take.
    """
    try:
        msg = _parser.parsebytes(raw)
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient, but be sure
        msg = Message()
    return facts_from_message(msg, internaldate)


def parse_headers(raw: bytes, internaldate: InternalDate = None) -> MessageFacts:
    """Parse a raw header block into :class:`MessageFacts`; never raises."""
    pairs = _split_fields(raw)
    if pairs is not None:
        try:
            return _facts_from_fields(_by_name(pairs), internaldate)
        except Exception:  # noqa: BLE001 - pragma: no cover - a bug here must not lose mail
            pass
    return _parse_headers_stdlib(raw, internaldate)


def is_contact(facts: MessageFacts, max_recipients: int) -> bool:
    """Whether the message counts as personal contact at all (before direction)."""
    return (
        facts.automated is None
        and facts.recipient_count <= max_recipients
        and facts.sender is not None
    )


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
