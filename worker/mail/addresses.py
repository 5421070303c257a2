"""Address headers (From, To, Cc, Bcc) parsed into :class:`~worker.model.Address` lists.

Address headers repeat a lot (the same people write again and again), and
parsing them is the scan's costliest step: plain-string values are memoized,
by the whole list of values and, below that, by single mailbox. A value that
is not a plain list of mailboxes goes to the standard library's parser, which
stays the reference (``tests/test_fetchreader.py`` checks both agree).
"""

from __future__ import annotations

import email.utils
import functools
import re
from collections.abc import Iterable

from worker.mail.mimewords import decode_text, raw_text
from worker.model import Address

__all__ = ["addresses_of", "address_tuple", "is_address"]

_MEMO_SIZE = 8192


_BARE_ADDRESS = re.compile(r'[^\s@<>()\[\],;:"\\]+@[^\s@<>()\[\],;:"\\.][^\s@<>()\[\],;:"\\]*')


def is_address(text: str) -> bool:
    """True for a bare e-mail address as a person types one (``local@domain``).

    Loose on purpose (non-ASCII local parts and domains pass): it only tells
    an address from something that cannot be one.

    >>> is_address("Taro.Yamada@example.jp"), is_address("not an email"), is_address("a@")
    (True, False, False)
    >>> is_address("Alice <alice@example.net>"), is_address("a@b@c")
    (False, False)
    """
    return _BARE_ADDRESS.fullmatch(text.strip()) is not None


def addresses_of(values: Iterable[str]) -> list[Address]:
    values = tuple(values)
    if not all(type(v) is str for v in values):
        return _parse_addresses(values)
    return list(address_tuple(values))


@functools.lru_cache(maxsize=_MEMO_SIZE)
def address_tuple(values: tuple[str, ...]) -> tuple[Address, ...]:
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
