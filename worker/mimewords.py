"""RFC 2047 encoded words, decoded without ever raising.

One helper for every place that turns header text into readable text (the
contact rules, the automation verdict, the reply parser). Malformed words
(bad base64, unknown charsets) leave the text as written or fall back to a
lenient charset: hostile mail must never stop a scan.
"""

from __future__ import annotations

from email.header import decode_header

__all__ = ["decode_words", "unraw"]


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
