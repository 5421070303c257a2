"""A lean reader for the scan's one FETCH: ``UID FETCH <uids> (UID INTERNALDATE BODY.PEEK[...])``.

This module is long because it is one streaming parser for one response
grammar, with the protocol cases real servers send; its parts make sense
only together.

imapclient (and imaplib below it) read a FETCH response line by line and
literal by literal, and build a list per message: about 2x the cost of just
streaming the bytes. The scan fetches one shape only, so this module sends the
command on imapclient's own connection and reads the answer straight from the
connection's buffered file in big chunks, parsing the ``* n FETCH (...)``
responses as they complete.

It handles what servers really send: literals ``{n}`` (also ``{n+}`` and
``~{n}``), quoted strings with escapes, ``NIL`` for the body, the items in any
order (UID after the body), lower-case item names, a section echo with quoted
field names, and untagged responses in between (``* 5 EXISTS``, ``* 3
EXPUNGE``, ``* 7 FETCH (FLAGS (\\Seen))``), which are handed to imaplib like
it would have stored them. The tagged ``OK`` ends the read; ``NO``/``BAD``
raise :class:`~worker.errors.FolderError`, a lost connection
:class:`~worker.errors.MailServerError`.

The imaplib object stays consistent: the tag comes from its own counter and
is retired, nothing of the response is left unread, and bytes the server sent
after the tagged line (an unsolicited update) are put back in front of its
file, so imapclient commands work afterwards.

The parser (:class:`FetchParser`) is pure and fed bytes, so tests can cut a
stream anywhere.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from typing import Any

from worker.errors import FolderError, MailServerError

__all__ = ["fetch_headers", "FetchParser", "FetchItem", "fetch_command", "uid_ranges"]

#: (uid, raw INTERNALDATE or None, raw header bytes)
FetchItem = tuple[int, bytes | None, bytes]

_CHUNK = 1 << 20
_LITERAL_END = re.compile(rb"~?\{(\d+)\+?\}$")
# Dovecot's (and most servers') exact shape, read without tokenizing: the
# response's head, then the section echo (compared as bytes when it is the one
# we sent: a regex walking its 200 bytes costs more than the rest of the
# message), then the literal's size.
_FAST_HEAD = re.compile(rb'\* \d+ FETCH \(UID (\d+) INTERNALDATE "([^"\\\r\n]*)" ')
_FAST_LITERAL = re.compile(rb" \{(\d+)\}\r\n")
_FAST_SECTION = re.compile(rb'BODY\[[^\]"\r\n]*\] \{(\d+)\}\r\n')
_UNTAGGED = re.compile(rb"\* (\d+) (\w+)", re.ASCII)
_TOKEN = re.compile(
    rb"[ \t]*(?:"
    rb"(\()|(\))"  # 1, 2: parentheses
    rb'|"((?:[^"\\]|\\.)*)"'  # 3: quoted string
    rb"|(~?\{\d+\+?\})$"  # 4: literal marker (end of a line)
    rb'|([^\s()"\[\]{}]+(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]"])*\])?(?:<\d+>)?)'  # 5: atom, section
    rb")",
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_LITERAL = object()


def uid_ranges(uids: Sequence[int]) -> str:
    """A compact IMAP sequence set for sorted UIDs: ``1:5,7,9:12``."""
    parts: list[str] = []
    if not uids:
        return ""
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def fetch_command(uids: str, fields: Sequence[str]) -> bytes:
    """The FETCH arguments for a UID set and header field names."""
    return f"UID FETCH {uids} (UID INTERNALDATE BODY.PEEK[{_section(fields)}])".encode("ascii")


def _section(fields: Sequence[str]) -> str:
    return f"HEADER.FIELDS ({' '.join(f.upper() for f in fields)})"


class FetchParser:
    """Incremental parser of one tagged command's responses.

    :meth:`feed` bytes, then take the complete messages from :meth:`items`.
    ``done`` turns true at the tagged completion; ``status`` and ``text`` hold
    it, ``rest`` any bytes after it; ``untagged`` collects other untagged
    responses as imaplib stores them: ``(type, data)``.
    """

    def __init__(self, tag: bytes, echo: bytes = b"") -> None:
        self.tag = tag
        self.echo = echo  # the section as sent, e.g. b"BODY[HEADER.FIELDS (FROM TO)]"
        self._tag_prefix = tag + b" "
        self.buf = b""
        self.pos = 0
        self.done = False
        self.status = b""
        self.text = b""
        self.rest = b""
        self.untagged: list[tuple[str, bytes]] = []
        self.bye = False

    def feed(self, data: bytes) -> list[FetchItem]:
        """Add bytes; return the messages completed by them."""
        if self.done:
            self.rest += data
            return []
        if self.pos:
            self.buf = self.buf[self.pos :] + data
            self.pos = 0
        else:
            self.buf += data
        return self._parse()

    def _parse(self) -> list[FetchItem]:
        out: list[FetchItem] = []
        buf = self.buf
        pos = self.pos
        end = len(buf)
        head = _FAST_HEAD.match
        literal = _FAST_LITERAL.match
        section = _FAST_SECTION.match
        echo = self.echo
        echo_end = len(echo)
        starts = buf.startswith
        literal_end = _LITERAL_END.search
        while not self.done:
            # Fast path: "* n FETCH (UID u INTERNALDATE "..." BODY[...] {n}\r\n<n bytes>)\r\n"
            m = head(buf, pos)
            if m is not None:
                after = m.end()
                sized = literal(buf, after + echo_end) if echo and starts(echo, after) else None
                if sized is None:
                    sized = section(buf, after)
                if sized is not None:
                    start = sized.end()
                    stop = start + int(sized.group(1))
                    if stop + 3 > end:
                        break
                    if buf[stop : stop + 3] == b")\r\n":
                        out.append((int(m.group(1)), m.group(2), buf[start:stop]))
                        pos = stop + 3
                        continue
            # General path: collect the whole response (lines and literals).
            segments: list[bytes] = []
            literals: list[bytes] = []
            cur = pos
            complete = False
            while True:
                eol = buf.find(b"\r\n", cur)
                if eol < 0:
                    break
                line = buf[cur:eol]
                lit = literal_end(line)
                if lit is None:
                    segments.append(line)
                    cur = eol + 2
                    complete = True
                    break
                size = int(lit.group(1))
                if eol + 2 + size > end:
                    break
                segments.append(line)
                literals.append(buf[eol + 2 : eol + 2 + size])
                cur = eol + 2 + size
            if not complete:
                break
            pos = cur
            item = self._response(segments, literals)
            if item is not None:
                out.append(item)
            if self.done:
                self.rest = buf[pos:]
                pos = end
        self.pos = pos
        if pos >= end:
            self.buf = b""
            self.pos = 0
        return out

    def _response(self, segments: list[bytes], literals: list[bytes]) -> FetchItem | None:
        first = segments[0]
        if first.startswith(self._tag_prefix):
            status, _, text = first[len(self._tag_prefix) :].partition(b" ")
            self.status = status.upper()
            self.text = text
            self.done = True
            return None
        if first.startswith(b"* "):
            m = _UNTAGGED.match(first)
            if m is not None and m.group(2).upper() == b"FETCH":
                return _fetch_item(segments, literals, len(m.group(0)))
            if m is not None:
                self.untagged.append((m.group(2).upper().decode("ascii"), m.group(1)))
            else:
                word, _, rest = first[2:].partition(b" ")
                kind = word.upper().decode("ascii", "replace")
                if kind == "BYE":
                    self.bye = True
                self.untagged.append((kind, rest))
            return None
        if first.startswith(b"+"):
            raise MailServerError(f"unexpected continuation request during FETCH: {first[:200]!r}")
        raise MailServerError(f"unexpected response during FETCH: {first[:200]!r}")


def _tokens(segments: list[bytes], literals: list[bytes], start: int) -> Iterator[Any]:
    """Tokens of a response: b"(", b")", atoms and strings (bytes), literal values."""
    for index, segment in enumerate(segments):
        pos = start if index == 0 else 0
        end = len(segment)
        while pos < end:
            m = _TOKEN.match(segment, pos)
            if m is None:
                if segment[pos:].strip():
                    raise MailServerError(
                        f"cannot parse FETCH response near {segment[pos : pos + 80]!r}"
                    )
                break
            pos = m.end()
            if m.group(1) is not None:
                yield b"("
            elif m.group(2) is not None:
                yield b")"
            elif m.group(3) is not None:
                yield ("q", _ESCAPE.sub(rb"\1", m.group(3)))
            elif m.group(4) is not None:
                yield ("q", literals[index])
            else:
                yield m.group(5)


def _fetch_item(segments: list[bytes], literals: list[bytes], start: int) -> FetchItem | None:
    """(uid, internaldate, header) of one ``* n FETCH (...)``; None without UID or body."""
    stack: list[list[Any]] = [[]]
    for token in _tokens(segments, literals, start):
        if token == b"(":
            stack.append([])
        elif token == b")":
            if len(stack) == 1:
                raise MailServerError("unbalanced parentheses in FETCH response")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1 or not stack[0] or not isinstance(stack[0][0], list):
        raise MailServerError(f"malformed FETCH response: {segments[0][:200]!r}")
    items = stack[0][0]
    uid: int | None = None
    internaldate: bytes | None = None
    header: bytes | None = None
    for i in range(0, len(items) - 1, 2):
        name, value = items[i], items[i + 1]
        if not isinstance(name, bytes):
            continue
        key = name.upper()
        if key == b"UID":
            try:
                uid = int(value)
            except (TypeError, ValueError):
                raise MailServerError(f"bad UID in FETCH response: {value!r}") from None
        elif key == b"INTERNALDATE":
            internaldate = _string(value)
        elif key.startswith(b"BODY[") or key.startswith(b"BINARY["):
            header = _string(value) or b""
    if uid is None or header is None:
        return None  # e.g. an unsolicited FLAGS update
    return uid, internaldate, header


def _string(value: Any) -> bytes | None:
    """An nstring: quoted or literal value, None for NIL."""
    if isinstance(value, tuple):
        data = value[1]
        return data if isinstance(data, bytes) else None
    if isinstance(value, bytes) and value.upper() != b"NIL":
        return value
    return None


class _Pushback:
    """A file whose first bytes are ``data``, then ``file`` (what imaplib reads)."""

    def __init__(self, data: bytes, file: io.BufferedIOBase) -> None:
        self._data = data
        self._file = file

    def _take(self, size: int) -> bytes:
        data, self._data = (self._data, b"") if size < 0 else (self._data[:size], self._data[size:])
        return data

    def readline(self, limit: int = -1) -> bytes:
        if not self._data:
            return self._file.readline(limit)
        idx = self._data.find(b"\n")
        if idx >= 0 and (limit < 0 or idx < limit):
            return self._take(idx + 1)
        if limit >= 0 and len(self._data) >= limit:
            return self._take(limit)
        head = self._take(-1)
        return head + self._file.readline(-1 if limit < 0 else limit - len(head))

    def read(self, size: int = -1) -> bytes:
        if not self._data:
            return self._file.read(size)
        head = self._take(size)
        if size < 0:
            return head + self._file.read()
        return head + (self._file.read(size - len(head)) if size > len(head) else b"")

    def read1(self, size: int = -1) -> bytes:
        if self._data:
            return self._take(size)
        return self._file.read1(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def fetch_headers(
    client: Any,
    uids: Sequence[int] | str,
    fields: Sequence[str],
    *,
    folder: str | None = None,
) -> Iterator[FetchItem]:
    """Yield ``(uid, raw INTERNALDATE, header bytes)`` for the UIDs in the selected folder.

    ``client`` is a logged-in :class:`imapclient.IMAPClient` with a folder
    selected (or its imaplib object). Messages are yielded as they arrive;
    the generator reads the whole response even if it is closed early.
    """
    imap = getattr(client, "_imap", client)
    if isinstance(uids, str):
        uid_set = uids
    else:
        uid_set = uid_ranges(sorted(uids))
    if not uid_set:
        return
    if imap.state != "SELECTED":
        raise FolderError(f"FETCH needs a selected folder (state {imap.state})", folder=folder)
    for typ in ("OK", "NO", "BAD"):
        imap.untagged_responses.pop(typ, None)
    tag = imap._new_tag()  # noqa: SLF001 - imaplib's own tag counter keeps it consistent
    parser = FetchParser(tag, f"BODY[{_section(fields)}]".encode("ascii"))
    where = f" of {folder}" if folder else ""
    broken = False
    try:
        try:
            imap.send(tag + b" " + fetch_command(uid_set, fields) + b"\r\n")
            read = imap.file.read1
        except (OSError, AttributeError) as exc:
            broken = True
            raise MailServerError(f"connection lost sending FETCH{where}: {exc}") from None
        while not parser.done:
            try:
                data = read(_CHUNK)
            except (OSError, ValueError) as exc:  # ValueError: read on a closed file
                broken = True
                raise MailServerError(f"connection lost during FETCH{where}: {exc}") from None
            if not data:
                broken = True
                raise MailServerError(
                    f"the server closed the connection during FETCH{where}"
                    + (" (BYE)" if parser.bye else "")
                )
            try:
                items = parser.feed(data)
            except MailServerError:
                broken = True  # the stream is out of step: nothing more can be read from it
                raise
            yield from items
    finally:
        if broken:
            _shutdown(imap)
        elif not parser.done:
            _drain(imap, parser)
        imap.tagged_commands.pop(tag, None)
        for typ, dat in parser.untagged:
            imap._append_untagged(typ, dat)  # noqa: SLF001
        if parser.rest:
            imap.file = _Pushback(parser.rest, imap.file)
    if parser.status != b"OK":
        text = parser.text.decode("utf-8", "replace")
        raise FolderError(
            f"FETCH{' in ' + folder if folder else ''} failed: {parser.status.decode('ascii', 'replace')} {text}",
            folder=folder,
        )


def _drain(imap: Any, parser: FetchParser) -> None:
    """Read to the tagged completion (the caller stopped early); close if that fails."""
    try:
        while not parser.done:
            data = imap.file.read1(_CHUNK)
            if not data:
                break
            parser.feed(data)
    except Exception:  # noqa: BLE001, S110 - a broken connection is closed below
        pass
    if not parser.done:
        _shutdown(imap)


def _shutdown(imap: Any) -> None:
    try:
        imap.shutdown()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection
        pass
