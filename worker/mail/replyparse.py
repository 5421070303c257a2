"""Whole-message parsing of a contact's reply.

The scan decides *that* a message is a reply from header fields alone; this
module reads the whole message once it is known to be one, to quote a line of
it in the thank-you prompt and to spot a tired correspondent
(:mod:`worker.gifts`).

Parsing uses ``mail-parser``, with the standard library as fallback: mail-parser
hands back 7-bit ISO-2022-JP bodies (the classic Japanese mail encoding) as raw
escape sequences, and it may fail on hostile input. :func:`parse_reply` never
raises; what it cannot read comes back empty.
"""

from __future__ import annotations

import email
import email.message
import email.parser
import email.policy
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from worker.mail.mimewords import decode_words, unraw

__all__ = ["Reply", "parse_reply", "strip_quoted", "first_line"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What Kizuna needs of a reply. Ids keep their angle brackets."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender_email: str  # lower case, "" when unknown
    sender_name: str
    date: datetime | None  # timezone-aware (UTC), None when missing or unparseable
    text: str  # the whole plain text body (HTML-only mail converted)
    new_text: str  # text without the quoted part and the signature


_MSGID = re.compile(r"<[^<>\s]+>")
_ISO2022_ESCAPES = ("\x1b$B", "\x1b$@", "\x1b(B", "\x1b(J", "\x1b$(D", "\x1b(I")


def parse_reply(raw: bytes) -> Reply:
    """Parse a whole message (RFC 5322 bytes) into a :class:`Reply`. Never raises."""
    try:
        data = bytes(raw)
    except Exception:  # noqa: BLE001 - whatever it was, it is no message
        data = b""
    try:
        return _parse(data)
    except Exception:  # hostile input: a reply with nothing in it beats a crash
        log.debug("reply could not be parsed", exc_info=True)
        return Reply(None, None, (), "", "", "", None, "", "")


def _parse(data: bytes) -> Reply:
    headers = _stdlib_headers(data)
    text = _mailparser_text(data)
    if text is None or _looks_iso2022(text) or _declares_iso2022(headers):
        text = _stdlib_text(data)
    text = _normalise(text)

    name, address = _sender(headers)
    refs = tuple(_MSGID.findall(_header(headers, "References")))
    in_reply_to_ids = _MSGID.findall(_header(headers, "In-Reply-To"))
    message_ids = _MSGID.findall(_header(headers, "Message-ID"))
    return Reply(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to_ids[0] if in_reply_to_ids else None,
        references=refs,
        subject=_header(headers, "Subject").strip(),
        sender_email=address,
        sender_name=name,
        date=_date(_header(headers, "Date")),
        text=text,
        new_text=strip_quoted(text),
    )


# --- headers (stdlib compat32: raw values, decoded here, never raising) -------


def _stdlib_headers(data: bytes) -> email.message.Message:
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)


def _header(msg: email.message.Message, name: str) -> str:
    """A header's first value, decoded (RFC 2047, raw ISO-2022-JP, 8-bit), or ""."""
    try:
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    except Exception:  # noqa: BLE001 - hostile mail: a header we cannot read is absent
        return ""
    if raw is None:
        return ""
    value = unraw(str(raw))
    value = re.sub(r"\r?\n[ \t]+", " ", value)
    return decode_words(value, unknown_charset="latin-1")


def _sender(msg: email.message.Message) -> tuple[str, str]:
    value = _header(msg, "From")
    if not value:
        return "", ""
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001 - hostile mail: no sender rather than no reply
        return "", ""
    for name, address in pairs:
        if address or name:
            return name.strip(), address.strip().lower()
    return "", ""


def _date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except Exception:  # noqa: BLE001 - the stdlib raises several kinds on garbage dates
        return None
    if parsed.tzinfo is None:  # "-0000": the offset is unknown, UTC is the honest guess
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _declares_iso2022(msg: email.message.Message) -> bool:
    return "iso-2022-jp" in _header(msg, "Content-Type").lower()


def _looks_iso2022(text: str) -> bool:
    return any(esc in text for esc in _ISO2022_ESCAPES)


# --- bodies -----------------------------------------------------------------


def _mailparser_text(data: bytes) -> str | None:
    """The plain text mail-parser finds (HTML converted), or None if it fails."""
    try:
        import mailparser

        parsed = mailparser.parse_from_bytes(data)
        plain = [part for part in parsed.text_plain if isinstance(part, str)]
        if plain:
            return "\n".join(plain)
        html = [part for part in parsed.text_html if isinstance(part, str)]
        return html_to_text("\n".join(html)) if html else ""
    except Exception:
        log.debug("mail-parser failed; falling back to the standard library", exc_info=True)
        return None


def _stdlib_text(data: bytes) -> str:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
        if not isinstance(content, str):
            return ""
        if part.get_content_subtype() == "html":
            return html_to_text(content)
        return content
    except Exception:
        log.debug("standard library could not read the body", exc_info=True)
        return ""


# Control characters left after decoding are binary junk (an image sent as
# "text/plain", a broken charset), not text anyone wrote.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip("\n")


class _HTMLText(HTMLParser):
    """HTML to plain text; blockquotes and Gmail/Outlook quote blocks become "> " lines."""

    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote_depth = 0
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        css = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        quote = tag == "blockquote" or "gmail_quote" in css or "divRplyFwdMsg" in css
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append((tag, quote))
        if quote:
            self.quote_depth += 1
        if tag in self._BLOCK or quote:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip_depth:
            self.skip_depth -= 1
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _, quote in self.stack[i:]:
                    if quote:
                        self.quote_depth -= 1
                del self.stack[i:]
                break
        if tag in self._BLOCK or tag == "blockquote":
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = re.sub(r"\s+", " ", data)
        if not text.strip() and not self.lines[-1]:
            return
        if not self.lines[-1] and self.quote_depth:
            self.lines[-1] = "> " * self.quote_depth
        self.lines[-1] += text if self.lines[-1].strip() else text.lstrip()


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body. Never raises."""
    try:
        parser = _HTMLText()
        parser.feed(html)
        parser.close()
        lines = [line.rstrip() for line in parser.lines]
    except Exception:  # noqa: BLE001 - broken HTML still gives its words
        return re.sub(r"<[^>]*>", " ", html)
    return "\n".join(lines).strip("\n")


# --- quoted parts -------------------------------------------------------------

_SIGNATURE = re.compile(r"^--\s?$")
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|skrev|napisał|"
    r"書きました|のメール|のメッセージ)\s*[:：]\s*$",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_ATTRIBUTION_START = re.compile(r"^(?:On|Am|Le|El|Il|Op|Den|W dniu)\s", re.IGNORECASE)
# "2024年1月2日(火) 10:00 山田太郎 <taro@example.jp>:" (Gmail), "2024/01/02 10:00 ...:".
_JA_DATE_ATTRIBUTION = re.compile(
    r"^\s*\d{4}\s*[年/.-]\s*\d{1,2}\s*[月/.-]\s*\d{1,2}.*\d{1,2}:\d{2}.*[:：]\s*$"
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{3,}\s*(?:Original Message|Forwarded message|元のメッセージ|"
    r"転送されたメッセージ|Ursprüngliche Nachricht|Message d'origine)\s*-{3,}|"
    r"_{20,}|Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|差出人|送信者|Von|De)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Subject|送信日時|日時|宛先|件名|Gesendet|Envoyé)\s*\*?\s*[:：]",
    re.IGNORECASE,
)


def _is_cut(lines: list[str], i: int) -> bool:
    """Does line ``i`` start the quoted part (attribution, separator, header block)?"""
    line = lines[i].strip()
    if not line:
        return False
    if _SEPARATOR.match(line) or _JA_DATE_ATTRIBUTION.match(line):
        return True
    if _ATTRIBUTION_END.search(line) and (
        _ATTRIBUTION_START.match(line)
        or "さん" in line
        or "<" in line
        or "@" in line
        or _DIGIT.search(line)
    ):
        return True
    # "On Tue, Jan 2, 2024 at 10:00 AM Jane Doe <\njane@example.com> wrote:"
    if _ATTRIBUTION_START.match(line) and i + 1 < len(lines):
        if _ATTRIBUTION_END.search(lines[i + 1].strip()):
            return True
    # Outlook: "From: Jane" then "Sent: ..." / "Date: ..." within a few lines.
    if _HEADER_FROM.match(line):
        following = [ln for ln in lines[i + 1 : i + 5] if ln.strip()]
        return any(_HEADER_NEXT.match(ln) for ln in following)
    return False


def strip_quoted(text: str) -> str:
    """The new part of a reply: no ">" lines, attribution and below, or signature.

    Removes ">"-quoted lines anywhere; cuts at "On ..., X wrote:" and its
    translations, Japanese attributions ("2024年1月2日(火) 10:00 山田太郎 <...>:",
    "...さんは書きました:"), Outlook "-----Original Message-----" and
    "From: / Sent:" blocks, and a "-- " signature separator. A marker with
    nothing new above it (a bottom-posted reply) is dropped instead of cut at.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith((">", "＞")):
            continue
        if _SIGNATURE.match(line):
            break
        if _is_cut(lines, i):
            if any(k.strip() for k in kept):
                break
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


# --- a line worth quoting ------------------------------------------------------

_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|yo)\b[^.!?。]*[,!:]?$"
    r"|^[^\s]{1,20}(?:さん|様|さま|くん|ちゃん|先輩|先生)[、,。!！]?$"
    r"|^(?:こんにちは|こんばんは|おはようございます|お世話になっております|お疲れ様です)[。、!！]?$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？!?])")
_MAX_QUOTE = 160


def first_line(text: str) -> str:
    """A representative sentence of ``text`` to quote (at most 160 characters).

    Skips quoted lines and a bare greeting ("Hi Jane,", "山田さん、"); takes the
    first sentence of what follows, shortened at a word boundary with "…".
    """
    candidates = []
    for line in text.replace("\r", "\n").split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith((">", "＞")):
            continue
        if _SIGNATURE.match(stripped):
            break
        candidates.append(stripped)
    if not candidates:
        return ""
    body = [c for c in candidates if not (len(c) <= 40 and _GREETING.match(c))] or candidates
    line = body[0]
    sentences = [s for s in _SENTENCE_END.split(line) if s.strip()]
    quote = sentences[0].strip() if sentences else line
    # A very short first sentence ("Thanks!") says little: take the next one too.
    if len(quote) < 12 and len(sentences) > 1:
        quote = f"{quote} {sentences[1].strip()}" if quote[-1].isascii() else quote + sentences[1]
    if len(quote) > _MAX_QUOTE:
        cut = quote[: _MAX_QUOTE - 1]
        space = cut.rfind(" ")
        if space > _MAX_QUOTE // 2:
            cut = cut[:space]
        quote = cut.rstrip(" ,;:") + "…"
    return quote
