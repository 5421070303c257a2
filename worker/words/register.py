"""Register: how the two of you greeted each other, and so how a draft greets.

This module is long because it reads greetings in two languages and writes
them back (greeting and closing per register): the reading and the writing
must agree, so they stay together.

Reads the opening lines of past mail bodies (quoted text and signatures
removed first, see :func:`split_body`) and finds the greeting:

=====================================  ==========================================
English                                Japanese
=====================================  ==========================================
``Dear Mr. Smith,`` (formal, title)    ``山田様`` / ``株式会社ABC 山田様`` (様: formal)
``Dear John,`` (formal, given name)    ``山田さん`` / ``太郎さん`` (さん)
``Dear Yamada-san,`` (formal, -san)    ``山田部長`` (a position: formal)
``Hi Mary,`` ``Hello Mary`` ``Mary,``  ``山田先生`` (先生 stays 先生)
``Dear Sir or Madam`` (formal, none)   ``拝啓`` / ``お世話になっております`` (formal)
=====================================  ==========================================

:func:`register_from` weighs them into a :class:`Register`: the user's own
latest greeting to the contact decides (how *you* wrote to *them* is what a
draft continues); else the contact's greetings to you set the formality;
else business mail (a company in the name, a company domain) is formal and
anything else casual.

:func:`greeting_line`, :func:`addressee` and :func:`closing` then give the
draft's first and last lines: a formal history gives ``Dear Mr. Smith,`` …
``Best regards,`` and ``山田様`` … ``何卒よろしくお願いいたします。``; a casual one
``Hi Mary,`` … ``Best,`` and ``太郎さん`` … ``よろしくお願いします。``. An English
draft never carries Japanese script in its greeting (``Hi 山田さん`` cannot
happen), and no greeting names a company.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from worker.words.language import choose, is_japanese_text
from worker.words.names import NameForm, PersonName, english_address, japanese_address, parse_name

__all__ = [
    "Formality",
    "Greeting",
    "Register",
    "BodyParts",
    "split_body",
    "find_greeting",
    "register_from",
    "addressee",
    "greeting_line",
    "closing",
]


class Formality(StrEnum):
    """Formal (``Dear``, 様) or casual (``Hi``, さん)."""

    FORMAL = "formal"
    CASUAL = "casual"


# --- bodies --------------------------------------------------------------------

# Where a quoted reply begins: "On Tue, 3 May 2016, Jane <j@x> wrote:",
# "2016年5月3日(火) 10:00 山田 <y@x>:", Outlook's "-----Original Message-----"
# and "From: ... Sent: ..." header blocks, "---- 元のメッセージ ----".
_QUOTE_HEADER_RE = re.compile(
    r"^(?:On .{4,200}wrote:?\s*$|.{0,200}(?:wrote|schrieb|a écrit|escribió)\s*:\s*$|"
    r"\d{4}年\d{1,2}月\d{1,2}日.{0,120}[:：]\s*$|.{0,200}(?:のメッセージ|書きました|さんは書きました)[:：]?\s*$|"
    r"-{2,}\s*(?:Original Message|Forwarded message|元のメッセージ|転送メッセージ|Original)\s*-{2,}.*$|"
    r"(?:From|差出人|送信者)\s*[:：].*$|_{8,}\s*$)",
    re.IGNORECASE,
)
# A signature starts at "-- " (RFC 3676), a rule of dashes, underscores, equals
# signs or box-drawing characters, or Japanese 「━━」/「――」 lines.
_SIGNATURE_RE = re.compile(r"^(?:--\s*|[-=_*~]{4,}\s*|[━─―－ー＿=＝*＊]{4,}\s*)$")
# Sign-offs after which the rest is the signature.
_SIGNOFF_RE = re.compile(
    r"^(?:best(?: regards| wishes)?|kind regards|warm regards|warmly|regards|cheers|thanks|"
    r"thank you|many thanks|sincerely|yours(?: sincerely| truly)?|all the best|talk soon|"
    r"take care|love|xo+)\s*[,!.]?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class BodyParts:
    """A body split into the writer's own ``text`` and their ``signature`` (may be ``""``)."""

    text: str
    signature: str


def split_body(body: str) -> BodyParts:
    """The writer's own words and signature, without quoted text.

    Drops ``>`` lines and everything from a reply header (``On ... wrote:``,
    ``-----Original Message-----``, ``2016年5月3日 ... :``) on; the signature
    starts at ``-- ``, at a rule line, or after a sign-off (``Best,``).

    >>> split_body("Hi Jo,\\n\\nSee you!\\n\\nBest,\\nSam\\n> old").signature
    'Sam'
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own: list[str] = []
    for line in lines:
        stripped = line.strip()
        if _QUOTE_HEADER_RE.match(stripped):
            break
        if stripped.startswith((">", "＞", "|")):
            continue
        own.append(line.rstrip())
    cut = None
    for i, line in enumerate(own):
        if _SIGNATURE_RE.match(line) or line == "-- ":
            cut = (i, i + 1)
            break
    if cut is None:
        for i in range(len(own) - 1, -1, -1):
            if _SIGNOFF_RE.match(own[i].strip()) and len(own) - i <= 10:
                cut = (i + 1, i + 1)
                break
    if cut is None:
        return BodyParts("\n".join(own).strip(), "")
    return BodyParts("\n".join(own[: cut[0]]).strip(), "\n".join(own[cut[1] :]).strip())


# --- greetings -----------------------------------------------------------------

_EN_GREETING_RE = re.compile(
    r"^(?P<word>dear|hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening)|morning)"
    r"\b[\s,]*(?P<rest>.*?)[\s,!:.;—–-]*$",
    re.IGNORECASE,
)
_NAME_ONLY_RE = re.compile(
    r"^(?P<rest>(?:(?:Mr|Mrs|Ms|Dr|Prof|Mx)\.?\s)?[A-Z][\w'’\-]+(?:\s[A-Z][\w'’\-]+)?)\s*[,:]\s*$"
)
_GROUP_WORDS = frozenset(
    "all everyone everybody team folks guys there both you friends colleagues y'all".split()
)
_NO_NAME_FORMAL_RE = re.compile(
    r"^(?:dear\s+(?:sir|madam|sirs|sir or madam|sir/madam|colleague|colleagues)|to whom it may concern)\b",
    re.IGNORECASE,
)
_EN_TITLE_RE = re.compile(
    r"^(?P<title>Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor)\.?\s+(?P<name>.+)$", re.I
)
_TITLES = {"mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "miss": "Miss", "mx": "Mx.", "dr": "Dr.",
           "prof": "Prof.", "professor": "Prof."}  # fmt: skip

_JA_HONORIFICS = (
    "様", "さま", "さん", "殿", "先生", "くん", "君", "ちゃん",
    "社長", "部長", "課長", "係長", "室長", "所長", "局長", "支店長", "本部長", "次長", "主任",
    "教授", "専務", "常務", "会長",
)  # fmt: skip
_JA_FORMAL_HONORIFICS = frozenset(
    {"様", "さま", "殿", "社長", "部長", "課長", "係長", "室長", "所長", "局長", "支店長", "本部長",
     "次長", "主任", "教授", "専務", "常務", "会長"}
)  # fmt: skip
_JA_NAME_LINE_RE = re.compile(
    r"^(?P<name>[^、,。!！?？]{1,40}?)\s*(?P<hon>"
    + "|".join(sorted(_JA_HONORIFICS, key=len, reverse=True))
    + r")\s*(?:[、,。!！:：]|$)"
)
_JA_OPENERS = (
    ("拝啓", True), ("謹啓", True), ("前略", True), ("お世話になっております", True),
    ("お世話になります", True), ("いつもお世話に", True), ("ご無沙汰しております", True),
    ("大変ご無沙汰", True), ("初めまして", True), ("はじめまして", True),
    ("お疲れ様です", False), ("お疲れさまです", False), ("おつかれさまです", False),
    ("こんにちは", False), ("こんばんは", False), ("おはようございます", False),
    ("お久しぶりです", False), ("久しぶり", False), ("やあ", False), ("元気", False),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Greeting:
    """One greeting found at the top of a body.

    ``word``: the English greeting word as written (``"Dear"``, ``"Hi"``,
    ``"Hello"``, ``""`` for a bare ``Mary,``), ``""`` in Japanese. ``name``:
    the name as written, without title or honorific (``"Smith"``, ``"Mary"``,
    ``"山田"``), ``""`` when none. ``honorific``: ``"様"``, ``"さん"``,
    ``"先生"``, a position (``"部長"``) or ``"-san"``. ``title``: ``"Mr."``,
    ``"Dr."``... ``opener``: a Japanese opening phrase (``"拝啓"``,
    ``"お世話になっております"``). ``form``: which part of the addressee's name
    was used, when their :class:`PersonName` was given and it matched.
    """

    language: str
    formal: bool
    word: str = ""
    name: str = ""
    honorific: str | None = None
    title: str | None = None
    opener: str | None = None
    form: NameForm | None = None

    def to_json(self) -> dict[str, object]:
        """The greeting as a JSON object."""
        return {
            "language": self.language,
            "formal": self.formal,
            "word": self.word or None,
            "name": self.name or None,
            "honorific": self.honorific,
            "title": self.title,
            "opener": self.opener,
            "form": self.form.value if self.form else None,
        }


def _form_of(
    name: str, person: PersonName | None, title: str | None, honorific: str | None
) -> NameForm | None:
    if not name:
        return None
    if title:
        return NameForm.TITLE_FAMILY
    low = name.lower().replace(" ", "")
    if person is not None and person.is_person:
        given = {(g or "").lower() for g in (person.given, person.latin_given) if g}
        family = {
            (f or "").lower().replace(" ", "") for f in (person.family, person.latin_family) if f
        }
        full = person.full.lower().replace(" ", "")
        if low in given:
            return NameForm.GIVEN
        if low in family:
            return NameForm.FAMILY_SAN if honorific == "-san" else NameForm.FAMILY
        if low == full or (family and given and any(low.startswith(f) for f in family)):
            return NameForm.FULL
        return None
    if honorific == "-san":
        return NameForm.FAMILY_SAN
    return None


def _english_greeting(line: str, person: PersonName | None) -> Greeting | None:
    if _NO_NAME_FORMAL_RE.match(line):
        return Greeting(language="en", formal=True, word="Dear")
    match = _EN_GREETING_RE.match(line)
    word = ""
    if match:
        word = match.group("word")
        word = word[:1].upper() + word[1:].lower()
        rest = match.group("rest")
    else:
        only = _NAME_ONLY_RE.match(line)
        if not only:
            return None
        rest = only.group("rest")
    rest = rest.strip(" ,!.:;")
    if len(rest.split()) > 4 or len(line) > 60:
        return None
    if rest.lower().split()[:1] and rest.lower().split()[0] in _GROUP_WORDS:
        rest = ""
    title = None
    titled = _EN_TITLE_RE.match(rest)
    if titled:
        title = _TITLES[titled.group("title").lower()]
        rest = titled.group("name").strip()
    honorific = None
    if rest.lower().endswith("-san") or rest.lower().endswith(" san"):
        honorific = "-san"
        rest = rest[:-4].strip()
    if is_japanese_text(rest):
        return None  # "Hi 山田さん" is not a greeting Kizuna learns from
    formal = word == "Dear" or word == "Greetings" or title is not None
    return Greeting(
        language="en",
        formal=formal,
        word=word,
        name=rest,
        honorific=honorific,
        title=title,
        form=_form_of(rest, person, title, honorific),
    )


def _japanese_greeting(lines: list[str], person: PersonName | None) -> Greeting | None:
    name = ""
    honorific = None
    opener = None
    opener_formal = False
    for line in lines:
        compact = line.replace("\u3000", " ").strip()
        if not name:
            match = _JA_NAME_LINE_RE.match(compact)
            if match and is_japanese_text(match.group("hon")):
                parsed = parse_name(match.group("name"))
                if parsed.is_person:
                    name = parsed.family or parsed.given or parsed.full
                    if (
                        parsed.family
                        and parsed.given
                        and match.group("name").strip().endswith(parsed.given)
                    ):
                        name = parsed.full
                    honorific = match.group("hon")
        if opener is None:
            for phrase, formal in _JA_OPENERS:
                if phrase in compact:
                    opener, opener_formal = phrase, formal
                    break
    if not name and opener is None:
        return None
    if honorific == "さま":
        honorific = "様"
    formal = opener_formal or honorific in _JA_FORMAL_HONORIFICS or honorific == "先生"
    if honorific == "さん":
        formal = False  # さん is the casual register even after お世話になっております
    form = _form_of(name.replace(" ", ""), person, None, honorific) if name else None
    return Greeting(
        language="ja", formal=formal, name=name, honorific=honorific, opener=opener, form=form
    )


def find_greeting(body: str, person: PersonName | None = None) -> Greeting | None:
    """The greeting at the top of ``body`` (quoted text and signature ignored), or None.

    ``person`` is the addressee's parsed name: with it, :attr:`Greeting.form`
    says whether the given or the family name was used.

    >>> find_greeting("Dear Mr. Smith,\\n\\nThank you.").title
    'Mr.'
    >>> find_greeting("株式会社ABC\\n山田様\\n\\nお世話になっております。").honorific
    '様'
    >>> find_greeting("> Hi Mary,\\nThanks!") is None
    True
    """
    text = split_body(body).text
    lines = [line.strip() for line in text.split("\n") if line.strip()][:5]
    if not lines:
        return None
    if is_japanese_text(" ".join(lines[:3])):
        found = _japanese_greeting(lines, person)
        if found is not None:
            return found
    return _english_greeting(lines[0], person)


# --- register ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Register:
    """How a draft should greet and close.

    ``formality``: formal or casual. ``word``: the English greeting word the
    history used (``"Dear"``, ``"Hi"``, ``"Hello"``), None without one.
    ``form``: the name form the user used for the contact, None when not
    known. ``honorific``: ``"様"``, ``"さん"`` or ``"先生"`` for a Japanese
    draft (a position such as 部長 becomes 様: it may no longer be true).
    ``san``: the user wrote ``-san`` in English. ``title``: ``"Mr."``,
    ``"Ms."``, ``"Dr."``... seen in the user's greetings (never guessed).
    ``source``: ``"mine"`` (the user's own greetings), ``"theirs"`` (the
    contact's), ``"business"`` (no greeting; business mail) or ``"default"``.
    ``name``: the name the user last greeted them with, as written
    (``"太郎"`` for ``太郎さん`` to a contact known as ``YAMADA Taro``).
    """

    formality: Formality
    honorific: str
    word: str | None = None
    form: NameForm | None = None
    san: bool = False
    title: str | None = None
    source: str = "default"
    name: str | None = None

    @property
    def formal(self) -> bool:
        """True for the formal register."""
        return self.formality is Formality.FORMAL

    def to_json(self) -> dict[str, object]:
        """The register as a JSON object (see :mod:`worker.words.history` for the keys)."""
        return {
            "formality": self.formality.value,
            "honorific": self.honorific,
            "word": self.word,
            "name_form": self.form.value if self.form else None,
            "san": self.san,
            "title": self.title,
            "source": self.source,
            "name": self.name,
        }


def register_from(
    mine: Sequence[str],
    theirs: Sequence[str],
    person: PersonName,
    *,
    business: bool = False,
) -> Register:
    """The register of a draft from past bodies, each list oldest first.

    ``mine``: bodies the user sent the contact; ``theirs``: bodies the
    contact sent. The user's latest greeting decides; the contact's set the
    formality when the user's are unknown; else ``business`` gives formal,
    and anything else casual.

    >>> register_from(["Dear Mr. Smith,\\n\\nThanks."], ["Hi Sam,"], parse_name("John Smith")).title
    'Mr.'
    """
    my_greetings = [g for g in (find_greeting(b, person) for b in mine) if g is not None]
    their_greetings = [g for g in (find_greeting(b, None) for b in theirs) if g is not None]
    named = [g for g in my_greetings if g.name]
    if my_greetings:
        latest = my_greetings[-1]
        formal = latest.formal
        source = "mine"
    elif their_greetings:
        latest = their_greetings[-1]
        formal = latest.formal
        source = "theirs"
    else:
        formal = business or person.organization is not None
        return Register(
            formality=Formality.FORMAL if formal else Formality.CASUAL,
            honorific="様" if formal else "さん",
            source="business" if formal else "default",
        )
    last_named = named[-1] if named else None
    form = last_named.form if last_named else None
    title = next((g.title for g in reversed(named) if g.title), None) if formal else None
    ja_hon = next(
        (g.honorific for g in reversed(my_greetings) if g.language == "ja" and g.honorific), None
    )
    if ja_hon == "先生":
        honorific = "先生"
    elif ja_hon == "さん":
        honorific = "さん"
    elif ja_hon is not None:
        honorific = "様"  # 様, 殿 and positions (部長 may no longer be true)
    else:
        honorific = "様" if formal else "さん"
    english = [g for g in my_greetings if g.language == "en"] or (
        [g for g in their_greetings if g.language == "en"] if source == "theirs" else []
    )
    word = english[-1].word or None if english else None
    return Register(
        formality=Formality.FORMAL if formal else Formality.CASUAL,
        honorific=honorific,
        word=word,
        form=form,
        san=any(g.honorific == "-san" for g in my_greetings),
        title=title,
        source=source,
        name=last_named.name if last_named and source == "mine" else None,
    )


# --- the draft's first and last lines -----------------------------------------


def addressee(register: Register, person: PersonName, language: str) -> str | None:
    """The person's name as the draft's greeting writes it, or None for no name.

    English, Latin letters only: the form the user used before (``Mr. Smith``,
    ``John``, ``Yamada-san``); without one, a Japanese name gets
    ``Yamada-san``, a formal history with a title from the display name
    ``Dr. Doe``, and anyone else the given name. Japanese: family name and
    honorific (``山田様``, ``山田さん``), the given name where the user used it
    (``太郎さん``).

    >>> casual = register_from(["Hi Mary,"], [], parse_name("Mary Jones"))
    >>> addressee(casual, parse_name("Mary Jones"), "en")
    'Mary'
    >>> formal = register_from([], [], parse_name("株式会社ABC 山田太郎"))
    >>> addressee(formal, parse_name("株式会社ABC 山田太郎"), "ja")
    '山田様'
    """
    if not person.is_person:
        return None
    literal = _literal_name(register, person, language)
    if literal is not None:
        return literal
    if language == "ja":
        form = NameForm.GIVEN if register.form is NameForm.GIVEN else NameForm.FAMILY
        if register.form is NameForm.FULL:
            form = NameForm.FULL
        return japanese_address(person, register.honorific, form=form)
    candidates: list[NameForm] = []
    if register.form is not None:
        candidates.append(register.form)
        if register.form is NameForm.FAMILY and (person.japanese or register.san):
            candidates.insert(0, NameForm.FAMILY_SAN)
    if person.japanese or register.san:
        candidates.append(NameForm.FAMILY_SAN)
    if register.formal:
        candidates.append(NameForm.TITLE_FAMILY)
    candidates.append(NameForm.GIVEN)
    if person.japanese:
        candidates.append(NameForm.FAMILY_SAN)
    for form in candidates:
        if form is NameForm.FAMILY:
            continue  # "Hi Smith," is not how anyone is greeted
        found = english_address(person, form, title=register.title)
        if found and not is_japanese_text(found):
            return found
    return None


def _literal_name(register: Register, person: PersonName, language: str) -> str | None:
    """The name the user wrote, when their parsed name cannot show it.

    A contact known as ``YAMADA Taro`` whom the user greeted ``太郎さん``: a
    Japanese draft says ``太郎さん`` again. Only across scripts: an unmatched
    name in the same script may have been meant for someone else in copy.
    """
    if register.form is not None or not register.name:
        return None
    written_ja = is_japanese_text(register.name)
    if written_ja == is_japanese_text(person.full) or written_ja != (language == "ja"):
        return None
    if written_ja:
        return f"{register.name}{register.honorific}"
    if register.san:
        return f"{register.name}-san"
    return register.name if len(register.name.split()) == 1 else None


def greeting_line(register: Register, person: PersonName, language: str) -> str | None:
    """The draft's first line: ``Dear Mr. Smith,``, ``Hi Mary,``, ``Hello,``, ``山田様``.

    English always has a line (``Hello,`` when no name is known); Japanese
    gives None without a name, and the template opens without one.

    >>> greeting_line(register_from(["Dear Mr. Smith,"], [], parse_name("John Smith")),
    ...               parse_name("John Smith"), "en")
    'Dear Mr. Smith,'
    """
    name = addressee(register, person, language)
    if language == "ja":
        return name
    if name is None:
        return "Hello,"
    if register.formal:
        return f"Dear {name},"
    word = register.word if register.word in ("Hi", "Hello") else "Hi"
    return f"{word} {name},"


_CLOSINGS = {
    ("en", True): ("Best regards,", "Kind regards,", "With best regards,"),
    ("en", False): ("Best,", "Best wishes,", "Cheers,"),
    ("ja", True): ("何卒よろしくお願いいたします。", "今後ともどうぞよろしくお願い申し上げます。"),
    ("ja", False): ("どうぞよろしくお願いします。", "これからもよろしくお願いします。"),
}


def closing(register: Register, language: str, key: str) -> str:
    """The closing line, chosen for ``key`` (the contact's address) among a few.

    Never a farewell idiom: ``Best regards,``/``Kind regards,`` (formal),
    ``Best,``/``Cheers,`` (casual), ``何卒よろしくお願いいたします。`` (様),
    ``どうぞよろしくお願いします。`` (さん).
    """
    return choose(_CLOSINGS[(language, register.formal)], key, "closing")
