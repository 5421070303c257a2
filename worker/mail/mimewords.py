"""RFC 2047 encoded words, decoded without ever raising.

One helper for every place that turns header text into readable text (the
contact rules, the automation verdict, the reply parser). Malformed words
(bad base64, unknown charsets) leave the text as written or fall back to a
lenient charset: hostile mail must never stop a scan.
"""

from __future__ import annotations

import email.header
from email.header import decode_header

__all__ = ["raw_text", "decode_text", "decode_words", "unraw"]


def decode_words(text: str, *, unknown_charset: str = "utf-8") -> str:
    """``text`` with its encoded words decoded.

    A word in a charset Python does not know is decoded as ``unknown_charset``
    (with replacement characters); text that ``decode_header`` cannot split
    at all comes back unchanged.

    >>> decode_words("=?utf-8?q?caf=C3=A9?= au lait")
    'café au lait'
    """
    if "=?" not in text:
        return text
    try:
        parts = decode_header(text)
    except Exception:  # noqa: BLE001 - e.g. "=?utf-8?b?a?=" (bad base64)
        return text
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(charset or "ascii", "replace"))
        except LookupError:
            out.append(chunk.decode(unknown_charset, "replace"))
    return "".join(out)


def unraw(value: str) -> str:
    """A raw header value as text: undo the parser's surrogate escapes and raw ISO-2022-JP
    (8-bit bytes read as UTF-8, else as Shift_JIS/cp932)."""
    if "\x1b" in value or not value.isascii():
        try:
            data = value.encode("utf-8", "surrogateescape")
        except UnicodeError:
            return value
        if b"\x1b" in data:
            return data.decode("iso-2022-jp", "replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp932", "replace")
    return value


#: Longer header text is cut before decoding: an encoded-word flood must stay cheap.
MAX_TEXT = 4096
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
        for chunk, charset in value._chunks:  # type: ignore[attr-defined]  # noqa: SLF001 - the raw chunks
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
    text = decode_words(raw_text(value)[:MAX_TEXT])
    text = text.replace("\x00", "")
    return " ".join(text.split())
