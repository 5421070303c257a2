"""How a draft may use what an export says someone does, and the words for it.

What LinkedIn says about a person (company and position) was true on the
day the export was made, as far as the person kept their profile current.
``Connected On`` does not date it: it is when the two of you connected,
years before perhaps, while the company and position are the profile's
at export time. So the age that matters is the export's
(:attr:`Export.as_of <worker.social.people.Export.as_of>`), and the rule is:

=================  ===========================================================
export age         what a draft says
=================  ===========================================================
up to a year       the present: "you're Head of Design at Globex these days"
one to three years the past, hedged: "last I saw, you were ... at Globex"
over three years   nothing: people change jobs every few years, and a wrong
                   guess about someone's job reads worse than no guess
=================  ===========================================================

Congratulations only when two imports show the change (:func:`is_new_role`):
one export says what someone does, never that it is new. Nothing is said
from a position without a company (a bare title reads oddly and often is a
headline, not a job), or from a position that is a headline (``Helping
startups grow | Advisor``).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from worker.words.language import is_japanese_text

__all__ = [
    "Recency",
    "CURRENT_DAYS",
    "DATED_DAYS",
    "recency",
    "is_new_role",
    "role_sentence",
]

#: An export at most this old describes someone's present.
CURRENT_DAYS = 365
#: An export at most this old may still be mentioned, as what was last seen.
DATED_DAYS = 3 * 365


class Recency(StrEnum):
    """How current an export's organization and position are."""

    CURRENT = "current"
    DATED = "dated"
    STALE = "stale"


def recency(as_of: date | None, today: date) -> Recency:
    """How current an export made on ``as_of`` is on ``today`` (unknown: stale).

    >>> recency(date(2025, 3, 1), date(2025, 9, 1)), recency(date(2023, 3, 1), date(2025, 9, 1))
    (<Recency.CURRENT: 'current'>, <Recency.DATED: 'dated'>)
    >>> recency(date(2020, 1, 1), date(2025, 9, 1)), recency(None, date(2025, 9, 1))
    (<Recency.STALE: 'stale'>, <Recency.STALE: 'stale'>)
    """
    if as_of is None:
        return Recency.STALE
    age = (today - as_of).days
    if age <= CURRENT_DAYS:
        return Recency.CURRENT
    if age <= DATED_DAYS:
        return Recency.DATED
    return Recency.STALE


def _comparable(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", (text or "").casefold()).split())


def is_new_role(
    before: tuple[str | None, str | None] | None, after: tuple[str | None, str | None]
) -> bool:
    """True when an earlier import's ``(organization, position)`` differs from a later one's.

    Case, spacing and punctuation do not count as a change. With no earlier
    import (``before`` is None) nothing is known to be new.

    >>> is_new_role(("Initech", "Designer"), ("Globex", "Head of Design"))
    True
    >>> is_new_role(None, ("Globex", "Head of Design")), is_new_role(("Globex", "CTO"), ("GLOBEX", "CTO."))
    (False, False)
    """
    if before is None:
        return False
    return any(_comparable(b) != _comparable(a) for b, a in zip(before, after, strict=True))


# Roles one holds alone, said without an article: "you're Head of Design at Globex".
_NO_ARTICLE = frozenset(
    "head chief ceo cto cfo coo cmo cio ciso cpo cro founder co-founder cofounder president "
    "vice vp svp evp avp director managing general owner chair chairman chairwoman chairperson "
    "dean principal partner editor-in-chief".split()
)
# Initialisms read letter by letter that start with a vowel sound: "an SRE", "an MD".
_VOWEL_SOUND_LETTERS = set("aefhilmnorsx")
_CONSONANT_SOUND_PREFIXES = ("uni", "use", "usu", "uti", "eu", "one", "ure")
_HEADLINE_RE = re.compile(r"[|•·#]|\s-\s|https?://")


def _usable_position(position: str | None) -> str | None:
    """The position if it reads as a job title, not a headline; None otherwise."""
    if not position:
        return None
    position = " ".join(position.split())
    if _HEADLINE_RE.search(position) or len(position) > 60 or len(position.split()) > 8:
        return None
    return position


def _article(position: str) -> str:
    """``""``, ``"a "`` or ``"an "`` before an English job title."""
    first = position.split()[0]
    bare = first.strip(".,&/").lower()
    if bare in _NO_ARTICLE or "&" in position or "/" in first:
        return ""
    letters = first.strip(".,")
    if letters.isupper() and 1 < len(letters) <= 5:  # an initialism: "SRE", "MD", "UX"
        return "an " if letters[0].lower() in _VOWEL_SOUND_LETTERS else "a "
    if bare.startswith(_CONSONANT_SOUND_PREFIXES):
        return "a "
    if bare.startswith(("hour", "honest", "honor", "honour", "heir")) or bare[:1] in "aeiou":
        return "an "
    return "a "


def _without_organization(position: str | None, organization: str) -> str | None:
    """``"Head of Design at Globex"`` -> ``"Head of Design"`` when the company is Globex."""
    if not position:
        return position
    pattern = rf"\s*(?:\bat|@|,|\||-|–)\s*{re.escape(organization)}\.?\s*$"
    return re.sub(pattern, "", position, flags=re.IGNORECASE).strip() or None


def _contains(text: str, part: str) -> bool:
    return _comparable(part) != "" and f" {_comparable(part)} " in f" {_comparable(text)} "


def role_sentence(
    organization: str | None,
    position: str | None,
    language: str,
    recency: Recency,
    *,
    new: bool = False,
) -> str | None:
    """One sentence for a draft about what LinkedIn says the person does; None to say nothing.

    ``recency`` comes from :func:`recency` (the export's age); ``new`` from
    :func:`is_new_role`, and only counts while the export is current. The
    sentence stands alone, to follow the "it's been a while" paragraph; it
    states only what the export says, as seen on LinkedIn.

    >>> role_sentence("Globex", "Head of Design", "en", Recency.CURRENT)
    "I saw on LinkedIn that you're Head of Design at Globex these days."
    >>> role_sentence("Globex", "Software Engineer", "en", Recency.DATED)
    'Last I saw on LinkedIn, you were a Software Engineer at Globex.'
    >>> role_sentence("Globex", "Head of Design", "ja", Recency.CURRENT, new=True)
    '現在はGlobexでHead of Designをされていると、LinkedInで拝見しました。新しいお仕事、おめでとうございます。'
    >>> role_sentence("株式会社ABC", None, "ja", Recency.DATED)
    '以前LinkedInで拝見したときは、株式会社ABCにいらっしゃいましたね。'
    >>> role_sentence("Globex", "Head of Design", "en", Recency.STALE) is None
    True

    An English sentence names no company or position written in Japanese
    script ("you're a 営業部長 at 株式会社ABC" is no sentence to send); a
    Japanese one may name a Latin-script company.

    >>> role_sentence("株式会社ABC", "営業部長", "en", Recency.CURRENT) is None
    True
    """
    if language not in ("en", "ja"):
        raise ValueError(f"language must be 'en' or 'ja' (got {language!r})")
    organization = " ".join((organization or "").split()) or None
    if recency is Recency.STALE or organization is None:
        return None
    position = _usable_position(_without_organization(position, organization))
    if language == "en" and any(is_japanese_text(t) for t in (organization, position) if t):
        return None
    new = new and recency is Recency.CURRENT
    if language == "ja":
        return _japanese(organization, position, recency, new)
    return _english(organization, position, recency, new)


def _english(organization: str, position: str | None, recency: Recency, new: bool) -> str:
    if position is None:
        role = f"at {organization}"
    elif _contains(position, organization):  # "Head of Design at Globex" already says where
        role = f"{_article(position)}{position}"
    else:
        role = f"{_article(position)}{position} at {organization}"
    if recency is Recency.DATED:
        return f"Last I saw on LinkedIn, you were {role}."
    if new:
        return f"I saw on LinkedIn that you're now {role} — congratulations!"
    return f"I saw on LinkedIn that you're {role} these days."


def _japanese(organization: str, position: str | None, recency: Recency, new: bool) -> str:
    # 「〜をされている」fits any role, from 部長 to CEO to Designer; 「お勤め」
    # would not fit a founder. With no position, 「いらっしゃる」says only where.
    if recency is Recency.DATED:
        if position is None:
            return f"以前LinkedInで拝見したときは、{organization}にいらっしゃいましたね。"
        return f"以前LinkedInで拝見したときは、{organization}で{position}をされていましたね。"
    if position is None:
        sentence = f"現在は{organization}にいらっしゃると、LinkedInで拝見しました。"
    else:
        sentence = f"現在は{organization}で{position}をされていると、LinkedInで拝見しました。"
    if new:
        sentence += "新しいお仕事、おめでとうございます。"
    return sentence
