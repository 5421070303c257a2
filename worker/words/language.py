"""Language: which language a text is in, which one a draft is written in.

* :func:`is_japanese_text`: any kana or kanji?
* :func:`text_language`: ``"ja"``, ``"en"`` or None for a body of text, by
  the share of Japanese characters among its letters.
* :func:`bodies_language`: the language the two of you wrote in.
* :func:`draft_language`: ``[outreach] language`` (``auto | ja | en``) with
  what the two of you wrote in: the bodies first, then the subjects, then
  the contact's name (``YAMADA Taro`` with Japanese bodies is Japanese; a
  romaji name with English bodies is English).
* :func:`interface_language`: ``[account] language`` (``auto | ja | en``) for
  Kizuna's own words to the user; ``auto`` follows the locale.
* :func:`choose`: one of several phrasings, the same one every time for the
  same contact and slot, so two contacts get different drafts and one
  contact's draft does not change between runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from worker.errors import ConfigError

__all__ = [
    "LANGUAGES",
    "is_japanese_text",
    "text_language",
    "draft_language",
    "bodies_language",
    "interface_language",
    "choose",
]

LANGUAGES = ("ja", "en")
_SETTINGS = ("auto", *LANGUAGES)

_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30f6"
_JAPANESE_RE = re.compile(f"[{_KANA}{_KANJI}]")
_KANA_RE = re.compile(f"[{_KANA}]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Japanese share of letters from which a text counts as Japanese. Low on
# purpose: Japanese mail is full of Latin words (names, products, URLs), and
# one kanji character carries as much as a whole English word.
_JA_SHARE = 0.2
_MIN_LETTERS = 4

T = TypeVar("T")


def is_japanese_text(s: str | None) -> bool:
    """True when ``s`` contains at least one kana or kanji character.

    >>> is_japanese_text("Re: 打ち合わせの件"), is_japanese_text("Lunch?")
    (True, False)
    """
    return bool(s) and _JAPANESE_RE.search(s or "") is not None


def text_language(text: str | None) -> str | None:
    """``"ja"`` or ``"en"`` for a text, or None when it has too few letters to tell.

    Japanese needs kana (kanji alone are also Chinese) and a fair share of the
    letters; anything else with Latin letters is ``"en"``.

    >>> text_language("先日はありがとうございました。"), text_language("Thanks for lunch!")
    ('ja', 'en')
    >>> text_language("OK") is None
    True
    """
    if not text:
        return None
    ja = len(_JAPANESE_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if ja + latin < _MIN_LETTERS and ja < 2:
        return None
    if ja and _KANA_RE.search(text) and ja / (ja + latin / 4) >= _JA_SHARE:
        # Latin letters count a quarter: a word of five letters weighs about
        # as much as one or two Japanese characters.
        return "ja"
    return "en" if latin else None


def _majority(languages: Iterable[str | None]) -> str | None:
    counted = [lang for lang in languages if lang]
    if not counted:
        return None
    ja = counted.count("ja")
    en = len(counted) - ja
    if ja == en:
        return counted[-1]  # a tie: the latest one
    return "ja" if ja > en else "en"


def draft_language(
    setting: str,
    *,
    written: str | None = None,
    subjects: Sequence[str] = (),
    name: str = "",
) -> str:
    """The language of a draft: ``"ja"`` or ``"en"``.

    ``setting`` is ``[outreach] language``: ``"ja"``/``"en"`` force it;
    ``"auto"`` follows ``written``, the language the two of you wrote your
    bodies in (:attr:`worker.words.history.HistoryFacts.language`, or
    :func:`bodies_language`), else the subjects (oldest first), else the
    script of the contact's display ``name``, else English. An unknown
    setting raises :class:`~worker.errors.ConfigError` naming
    ``outreach.language``.

    >>> draft_language("auto", written="ja", name="YAMADA Taro")
    'ja'
    >>> draft_language("auto", written="en", name="山田太郎")
    'en'
    >>> draft_language("auto", subjects=["Re: 勉強会の資料"], name="Taro Yamada")
    'ja'
    """
    normalized = (setting or "").strip().lower()
    if normalized not in _SETTINGS:
        raise ConfigError(
            f"outreach.language must be one of auto, ja, en (got {setting!r})",
            key="outreach.language",
        )
    if normalized != "auto":
        return normalized
    if written in LANGUAGES:
        return written
    found = _majority(text_language(t) for t in subjects)
    if found:
        return found
    return "ja" if is_japanese_text(name) else "en"


def bodies_language(mine: Sequence[str], theirs: Sequence[str] = ()) -> str | None:
    """The language of the bodies the two of you wrote (quoted text already removed).

    The user's own bodies decide (majority; a tie goes to the latest), else
    the contact's; None when no body says.

    >>> bodies_language(["Thanks, see you in Berlin!"], ["ありがとうございます。楽しみにしています。"])
    'en'
    """
    return _majority(text_language(t) for t in mine) or _majority(text_language(t) for t in theirs)


def _locale_language(value: str) -> str | None:
    value = value.strip()
    if not value or value in ("C", "POSIX") or value.startswith(("C.", "POSIX.")):
        return None
    return "ja" if value.lower().startswith("ja") else "en"


def interface_language(setting: str, environ: Mapping[str, str]) -> str:
    """The language of Kizuna's own words to the user (``[account] language``).

    ``"ja"``/``"en"`` force it; ``"auto"`` reads ``LC_ALL``, then
    ``LC_MESSAGES``, then ``LANG`` (the first one set, as the C library
    does): ``ja_JP.UTF-8`` gives ``"ja"``, any other locale ``"en"``, and
    ``C``/``POSIX``/unset English.

    >>> interface_language("auto", {"LANG": "ja_JP.UTF-8"}), interface_language("auto", {})
    ('ja', 'en')
    """
    normalized = (setting or "").strip().lower()
    if normalized not in _SETTINGS:
        raise ConfigError(
            f"account.language must be one of auto, ja, en (got {setting!r})",
            key="account.language",
        )
    if normalized != "auto":
        return normalized
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            return _locale_language(value) or "en"
    return "en"


def choose(options: Sequence[T], key: str, slot: str) -> T:
    """One of ``options``, the same for the same ``key`` (a contact's address) and ``slot``.

    A stable hash (SHA-256, not Python's salted ``hash``), so a draft reads
    the same on every run and machine.

    >>> choose(["a", "b", "c"], "jane@example.com", "opening") == choose(
    ...     ["a", "b", "c"], "JANE@example.com", "opening")
    True
    """
    if not options:
        raise ValueError("choose() needs at least one option")
    digest = hashlib.sha256(f"{slot}\0{key.strip().lower()}".encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]
