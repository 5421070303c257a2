"""Which language to write in, and how to address the person.

Pure string rules, no I/O:

* :func:`is_japanese_text`: does a string contain kana or kanji?
* :func:`choose_language`: ``[outreach] language`` (``auto | ja | en``) and a
  contact give ``"ja"`` or ``"en"``.
* :func:`japanese_honorific_name`: ``"山田 太郎"`` -> ``"山田さん"``.
* :func:`english_first_name`: ``"Doe, Jane"`` -> ``"Jane"``.
"""

from __future__ import annotations

import re

from worker.errors import ConfigError
from worker.model import Contact

__all__ = [
    "LANGUAGES",
    "is_japanese_text",
    "choose_language",
    "japanese_honorific_name",
    "english_first_name",
]

LANGUAGES = ("ja", "en")
_SETTINGS = ("auto", *LANGUAGES)

# Hiragana, katakana (incl. the prolonged sound mark), half-width katakana,
# CJK ideographs (with extension A and compatibility ideographs) and the
# iteration mark 々. Han characters alone are also Chinese; for a mailbox
# this is the useful approximation.
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30f6"
_JAPANESE_RE = re.compile(f"[{_KANA}{_KANJI}]")
_KANJI_RUN_RE = re.compile(f"^[{_KANJI}]+")
_ALL_KANJI_RE = re.compile(f"^[{_KANJI}]+$")

# Brackets that hold a company, a reading or a department, not the name:
# "山田 太郎（ACME）", "山田太郎 [営業部]", "Yamada (山田)".
_BRACKETED_RE = re.compile(r"[(（\[［【<〈《「『][^)）\]］】>〉》」』]*[)）\]］】>〉》」』]")
# Honorifics already written after the name; we add our own "さん".
_JA_SUFFIXES = ("さま", "様", "さん", "サン", "殿", "氏", "先生", "くん", "君", "ちゃん")
# Common family names of three characters, so that "長谷川太郎" gives
# "長谷川さん" rather than the two-character guess "長谷さん".
_THREE_CHAR_FAMILY_NAMES = frozenset(
    {
        "長谷川", "佐々木", "五十嵐", "久保田", "小野寺", "大久保", "小笠原", "宇都宮",
        "長谷部", "阿久津", "曽我部", "大和田", "小山田", "日比野", "宇佐美",
        "竹之内", "大河内", "小田切", "東海林", "美濃部", "波多野", "小宮山",
    }
)  # fmt: skip
# Titles that are not a first name: "Dr. Jane Doe" -> "Jane".
_EN_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "dame"})


def is_japanese_text(s: str | None) -> bool:
    """True when ``s`` contains at least one kana or kanji character.

    >>> is_japanese_text("Re: 打ち合わせの件"), is_japanese_text("Lunch?")
    (True, False)
    """
    if not s:
        return False
    return _JAPANESE_RE.search(s) is not None


def choose_language(setting: str, contact: Contact) -> str:
    """The language of a draft for ``contact``: ``"ja"`` or ``"en"``.

    ``setting`` is ``[outreach] language``: ``"ja"`` and ``"en"`` force that
    language; ``"auto"`` picks ``"ja"`` when the contact is flagged
    ``japanese`` or its name or last subject contains Japanese, else ``"en"``.
    Any other setting raises :class:`~worker.errors.ConfigError` (a
    ``ValueError``) naming ``outreach.language``.
    """
    normalized = (setting or "").strip().lower()
    if normalized not in _SETTINGS:
        raise ConfigError(
            f"outreach.language must be one of auto, ja, en (got {setting!r})",
            key="outreach.language",
        )
    if normalized != "auto":
        return normalized
    if contact.japanese or is_japanese_text(contact.name) or is_japanese_text(contact.last_subject):
        return "ja"
    return "en"


def _strip_suffix(token: str) -> str:
    """``"山田様"`` -> ``"山田"``; leaves a bare suffix alone."""
    for suffix in _JA_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return token[: -len(suffix)]
    return token


def _family_from_unspaced(token: str) -> str:
    """Guess the family name in a Japanese name written without a space.

    The heuristic, family name first as in Japanese order:

    * a known three-character family name at the start (``長谷川``,
      ``佐々木``...) is the family name;
    * kanji followed by kana (``山田はなこ``): the leading kanji run;
    * all kanji: 1-2 characters are the family name alone (``山田``); 3-4
      characters give the first 2 (``山田太郎`` -> ``山田``, the most common
      split); 5 or more give the first 3;
    * anything else (kana only, ``やまだたろう``) cannot be split and is used
      whole.
    """
    for family in _THREE_CHAR_FAMILY_NAMES:
        if token.startswith(family):
            return family
    if _ALL_KANJI_RE.match(token):
        if len(token) <= 2:
            return token
        if len(token) <= 4:
            return token[:2]
        return token[:3]
    run = _KANJI_RUN_RE.match(token)
    if run and len(run.group()) < len(token):
        return run.group()
    return token


def japanese_honorific_name(name: str | None) -> str | None:
    """``"<family name>さん"`` for a Japanese name, else None.

    Japanese names are written family name first: with a space (ASCII or
    full-width) the first Japanese word is the family name; without one,
    :func:`_family_from_unspaced` guesses. Bracketed parts (a company, a
    department) and honorifics already present (``様``, ``さん``...) are
    ignored. Returns None for an empty or non-Japanese name.

    >>> japanese_honorific_name("山田 太郎"), japanese_honorific_name("山田太郎 様")
    ('山田さん', '山田さん')
    >>> japanese_honorific_name("Jane Doe") is None
    True
    """
    if not name:
        return None
    cleaned = _BRACKETED_RE.sub(" ", name).replace('"', " ")
    tokens = [t for t in cleaned.split() if is_japanese_text(t)]
    tokens = [t for t in (_strip_suffix(t) for t in tokens) if t not in _JA_SUFFIXES]
    if not tokens:
        return None
    family = tokens[0] if len(tokens) > 1 else _family_from_unspaced(tokens[0])
    return f"{family}さん"


def english_first_name(name: str | None) -> str | None:
    """The given name to greet with: ``"Jane Doe"`` and ``"Doe, Jane"`` give ``"Jane"``.

    Titles (``Dr.``, ``Ms.``...) are skipped; an all-upper or all-lower name
    is title-cased (``"JANE DOE"`` -> ``"Jane"``). Returns None for an empty
    name, an email address, or a Japanese name (use
    :func:`japanese_honorific_name` for those).
    """
    if not name:
        return None
    cleaned = _BRACKETED_RE.sub(" ", name).strip().strip("\"'").strip()
    if not cleaned or "@" in cleaned or is_japanese_text(cleaned):
        return None
    if "," in cleaned:
        family, _, given = cleaned.partition(",")
        cleaned = given.strip() or family.strip()
    tokens = [t for t in cleaned.split() if t.rstrip(".").lower() not in _EN_TITLES]
    if not tokens:
        return None
    first = tokens[0].strip(".,;:\"'")
    if not first:
        return None
    if first.isupper() or first.islower():
        first = first[:1].upper() + first[1:].lower()
    return first
