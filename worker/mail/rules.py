"""The contact rules, as pure functions over a message's header fields.

``../shared/CONTRACT.md`` ("Contact rules") is the specification. This module
turns one raw header block (what the scan fetches with
``BODY.PEEK[HEADER.FIELDS (...)]``) into :class:`~worker.model.MessageFacts`
(the contact rule itself is applied in SQL, over all messages at once, by
:mod:`worker.store.contacts`). It never
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

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from worker.mail.addresses import address_tuple, addresses_of
from worker.mail.automation import (
    AUTOMATION_FIELDS,
    automation_reason,
    automation_reason_from_fields,
)
from worker.mail.dates import (
    CANONICAL_DATE,
    InternalDate,
    canonical_date,
    date_from_text,
    header_date,
)
from worker.mail.mimewords import MAX_TEXT, decode_text
from worker.model import MessageFacts

__all__ = [
    "FETCH_FIELDS",
    "parse_headers",
    "facts_from_message",
    "decode_text",
    "normalize_subject",
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


def normalize_subject(subject: str) -> str:
    """The thread key of a subject: reply/forward prefixes removed, case folded."""
    return _PREFIX.sub("", subject).strip().casefold()


_MEMO_SIZE = 8192


def _msgid(value: object) -> str | None:
    if value is None:
        return None
    match = _MSGID.search(decode_text(value))
    return match.group(0) if match else None


def facts_from_message(msg: Message, internaldate: InternalDate = None) -> MessageFacts:
    """The facts of one parsed header block (``compat32`` policy)."""
    senders = addresses_of(msg.get_all("from") or ())
    recipients = addresses_of(
        [*(msg.get_all("to") or ()), *(msg.get_all("cc") or ()), *(msg.get_all("bcc") or ())]
    )
    refs_raw = decode_text(msg.get("references"))
    automated = automation_reason(msg)  # never raises
    kizuna_id = msg.get("x-kizuna-id")
    kizuna_kind = msg.get("x-kizuna-kind")
    return MessageFacts(
        message_id=_msgid(msg.get("message-id")),
        date=header_date(msg.get("date"), internaldate),
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
    return value.isascii() and len(value) <= MAX_TEXT and "=?" not in value and "\x00" not in value


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
    if len(value) <= MAX_TEXT and _PLAIN_MSGID.fullmatch(value) is not None:
        return value
    match = _MSGID.search(_text(value))
    return match.group(0) if match else None


def _references(value: str) -> tuple[str, ...]:
    # Collapsing white space cannot change what _MSGID finds (it matches no white space).
    found = _MSGID.findall(value if _plain(value) else _text(value))
    return tuple(found[-50:])


def _date_value(value: str, internaldate: InternalDate) -> datetime:
    """``header_date(value, internaldate)`` for a raw field value.

    A raw value in the canonical form is its own decoded text, and a year
    below 9999 cannot overflow when converted to UTC, so the match gives the
    answer directly.
    """
    m = CANONICAL_DATE.fullmatch(value)
    if m is not None and m.group(7) != "-0000" and m.group(3) != "9999":
        try:
            return canonical_date(m)
        except ValueError:  # 31 Feb, hour 25, an offset of a day or more
            return date_from_text(None, internaldate)
    return date_from_text(_text(value), internaldate)


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
    senders = address_tuple(tuple(get("from") or ()))
    recipients = address_tuple((*(get("to") or ()), *(get("cc") or ()), *(get("bcc") or ())))
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
            else date_from_text(None, internaldate),  # date
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
        except Exception:  # noqa: BLE001, S110 - pragma: no cover - a bug here must not lose mail
            pass
    return _parse_headers_stdlib(raw, internaldate)
