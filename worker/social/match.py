"""Matching exported people to the mailbox's contacts: by e-mail, else by name.

Pure functions. :func:`name_keys` turns a display name into the keys two
spellings of one name share: case, accents (for Latin letters), full- and
half-width forms, spacing (``鈴木一郎`` = ``鈴木 一郎``) and word order
(``Taro Yamada`` = ``YAMADA Taro``) do not matter, and what is not the name
(``株式会社ABC``, ``様``, ``(Acme)``, ``Dr.``, ``, PhD``) is left out.
:func:`match_people` matches each person by e-mail first, else by a name key
that points at exactly one contact; two candidates are reported, not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from worker.social.people import Person

__all__ = [
    "is_cjk_name",
    "name_keys",
    "person_keys",
    "MatchedBy",
    "Match",
    "SharedBy",
    "Ambiguous",
    "MatchResult",
    "match_people",
]

# Kana (with half-width katakana), CJK ideographs (with extension A and the
# compatibility block), 々 and ヶ, and Hangul: scripts written without spaces
# between family and given name, whose letters have no case or accents to fold.
_CJK = (
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30f6"
    "\uac00-\ud7af\u1100-\u11ff"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_BRACKETED_RE = re.compile(r"[(\[{<【「『〈《〔][^)\]}>】」』〉》〕]*[)\]}>】」』〉》〕]")
# Separators between a name and what follows it: "Jane Doe | Acme",
# "Jane Doe - Acme", "Jane Doe via Google Docs", "山田太郎／ABC".
_PARTS_RE = re.compile(r"\s+[-–—|/@]\s+|[|/／｜]|\s+via\s+", re.IGNORECASE)
_APOSTROPHES = "'’`´"
_ASCII_PUNCTUATION = re.compile(r"[^A-Za-z0-9]+")
# Letters that do not decompose into a base letter and a mark.
_FOLD = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)

_COMPANY_MARKS = ("株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)")
_DEPARTMENTS = ("事業部", "本部", "部門", "営業部", "開発部", "技術部", "総務部", "人事部",
                "経理部", "広報部", "企画部", "グループ", "チーム")  # fmt: skip
_JA_SUFFIXES = ("さま", "様", "さん", "殿", "氏", "先生", "くん", "君", "ちゃん")
# Titles, credentials and company words: not part of anyone's name key.
_LATIN_NOISE = frozenset(
    "mr mrs ms miss mx dr prof sir dame phd md mba jr sr ii iii iv esq cpa cfa pmp "
    "inc ltd llc corp co gmbh kk plc".split()
)


def is_cjk_name(text: str | None) -> bool:
    """True when ``text`` holds kana, kanji or hangul (names written without spaces).

    >>> is_cjk_name("山田"), is_cjk_name("ヤマダ"), is_cjk_name("Yamada")
    (True, True, False)
    """
    return bool(text) and _CJK_RE.search(text or "") is not None


def _fold_latin(text: str) -> str:
    """Case-fold and strip accents from everything but CJK characters.

    CJK characters are left alone: NFKD would split ``が`` into ``か`` and a
    combining mark, and dropping marks would make ``が`` equal ``か``.
    """
    if text.isascii():
        return text.casefold()
    out = []
    for ch in text:
        if _CJK_RE.match(ch):
            out.append(ch)
            continue
        for part in unicodedata.normalize("NFKD", ch.casefold()):
            if not unicodedata.combining(part):
                out.append(part)
    return "".join(out).translate(_FOLD)


def _strip_ja_suffix(token: str) -> str:
    for suffix in _JA_SUFFIXES:
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _tokens(part: str) -> list[str]:
    """The name words of one part of a display name, noise removed."""
    for mark in _APOSTROPHES:
        part = part.replace(mark, "")
    # Letters, marks and digits stay; punctuation, symbols and emoji separate words.
    cleaned = (
        _ASCII_PUNCTUATION.sub(" ", part)
        if part.isascii()
        else "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in part)
    )
    tokens = []
    for token in cleaned.split():
        if any(mark in token for mark in _COMPANY_MARKS) or token in _LATIN_NOISE:
            continue
        if is_cjk_name(token):
            if token.endswith(_DEPARTMENTS):
                continue
            token = _strip_ja_suffix(token)
            if not token:
                continue
        tokens.append(token)
    latin = [t for t in tokens if not is_cjk_name(t)]
    if sum(len(t) > 1 for t in latin) >= 2:  # "John A. Smith": the initial is optional
        tokens = [t for t in tokens if is_cjk_name(t) or len(t) > 1]
    return tokens


def name_keys(name: str | None) -> frozenset[str]:
    """The keys under which ``name`` matches another spelling of it; empty if none.

    A Latin-script name gives its words sorted (two words at least: a lone
    given name is too common to match on); a CJK name gives its words joined
    without spaces, in both orders (two characters at least). A display name
    with both (``山田太郎 Taro Yamada``) gives both kinds. Bracketed parts,
    e-mail addresses, what follows a separator (``|``, `` - ``, ``/``,
    ``via``), companies, departments, honorifics and credentials are dropped.

    >>> sorted(name_keys("YAMADA Taro")) == sorted(name_keys("Taro Yamada"))
    True
    >>> name_keys("株式会社ABC 鈴木一郎 様") & name_keys("鈴木 一郎")
    frozenset({'鈴木一郎'})
    >>> sorted(name_keys("Zoë Quinn (Acme)")), sorted(name_keys("Jane"))
    (['quinn zoe'], [])
    """
    if not name:
        return frozenset()
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\S*@\S*", " ", text)
    text = _BRACKETED_RE.sub(" ", text)
    text = _fold_latin(text)
    keys: set[str] = set()
    for part in _PARTS_RE.split(text):
        tokens = _tokens(part)
        latin = [t for t in tokens if not is_cjk_name(t)]
        cjk = [t for t in tokens if is_cjk_name(t)]
        if len(latin) >= 2:
            keys.add(" ".join(sorted(latin)))
        if cjk and sum(map(len, cjk)) >= 2:
            keys.add("".join(cjk))
            keys.add("".join(reversed(cjk)))
    return frozenset(keys)


def person_keys(person: Person) -> frozenset[str]:
    """The name keys of an exported person: of its full name, and of first and last apart.

    LinkedIn's two columns are joined both ways, so ``太郎`` / ``山田`` meets
    ``山田太郎`` in mail whichever column the member typed which name into.
    """
    keys = set(name_keys(person.name))
    if person.first and person.last:
        keys |= name_keys(f"{person.first} {person.last}")
    return frozenset(keys)


class MatchedBy(StrEnum):
    """How a person was matched to a contact."""

    EMAIL = "email"
    NAME = "name"


class SharedBy(StrEnum):
    """Why a name could not be matched: who else has it."""

    CONTACTS = "contacts"  # two or more contacts answer to the person's name
    PEOPLE = "people"  # two or more people of the export answer to one contact's name


@dataclass(frozen=True, slots=True)
class Match:
    """A person matched to the contact ``email``."""

    person: Person
    email: str
    by: MatchedBy


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A person whose name fits more than one contact, or a contact that fits more than one person.

    ``emails`` are the candidate contacts, sorted. Nothing is guessed: the
    person stays unmatched until an e-mail address (a later import, a later
    scan) decides.
    """

    person: Person
    emails: tuple[str, ...]
    shared_by: SharedBy


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Each person of an export, matched or not; people keep the export's order.

    ``unmatched`` includes the ambiguous people; ``ambiguous`` says why
    those were not matched. ``matched + unmatched == people``.
    """

    matches: tuple[Match, ...]
    unmatched: tuple[Person, ...]
    ambiguous: tuple[Ambiguous, ...]

    @property
    def counts(self) -> dict[str, int]:
        """The contract's ``{"people", "matched", "unmatched"}``."""
        matched, unmatched = len(self.matches), len(self.unmatched)
        return {"people": matched + unmatched, "matched": matched, "unmatched": unmatched}


def match_people(
    people: Iterable[Person], contacts: Iterable[tuple[str, Iterable[str]]]
) -> MatchResult:
    """Match ``people`` to ``contacts``: ``(email, display names seen in mail)`` pairs.

    A person whose e-mail is a contact's is matched to it. Otherwise a person
    is matched by name when the name keys (:func:`person_keys`,
    :func:`name_keys`) point at exactly one contact, and no other person of
    the export is matched to that contact by name or e-mail. Every other
    case is left unmatched, and the ambiguous ones listed.

    >>> from worker.social.people import Source
    >>> people = [Person(Source.LINKEDIN, "Taro Yamada", "Taro", "Yamada"),
    ...           Person(Source.LINKEDIN, "John Smith"), Person(Source.FACEBOOK, "Ann Lee")]
    >>> result = match_people(people, [("taro@example.jp", ["YAMADA Taro"]),
    ...     ("js@a.example", ["John Smith"]), ("john@b.example", ["Smith, John"])])
    >>> [(m.person.name, m.email) for m in result.matches], result.counts
    ([('Taro Yamada', 'taro@example.jp')], {'people': 3, 'matched': 1, 'unmatched': 2})
    >>> [(a.person.name, a.emails) for a in result.ambiguous]
    [('John Smith', ('john@b.example', 'js@a.example'))]
    """
    by_email: dict[str, str] = {}
    by_key: dict[str, set[str]] = defaultdict(set)
    for email, names in contacts:
        address = email.strip().lower()
        by_email[address] = address
        for name in names:
            for key in name_keys(name):
                by_key[key].add(address)

    ordered = list(people)
    found: list[tuple[Person, str, MatchedBy] | Ambiguous | None] = []
    claims: dict[str, int] = defaultdict(int)  # contact -> how many people matched it
    for person in ordered:
        if person.email and person.email.strip().lower() in by_email:
            address = person.email.strip().lower()
            found.append((person, address, MatchedBy.EMAIL))
            claims[address] += 1
            continue
        candidates = set().union(*(by_key.get(k, ()) for k in person_keys(person)))
        if len(candidates) == 1:
            address = next(iter(candidates))
            found.append((person, address, MatchedBy.NAME))
            claims[address] += 1
        elif candidates:
            found.append(Ambiguous(person, tuple(sorted(candidates)), SharedBy.CONTACTS))
        else:
            found.append(None)

    matches: list[Match] = []
    unmatched: list[Person] = []
    ambiguous: list[Ambiguous] = []
    for person, outcome in zip(ordered, found, strict=True):
        if isinstance(outcome, Ambiguous):
            ambiguous.append(outcome)
            unmatched.append(person)
        elif outcome is None:
            unmatched.append(person)
        else:
            _, address, by = outcome
            # An e-mail match is certain; a name match to a contact that
            # another person also claims is a guess between namesakes.
            if by is MatchedBy.NAME and claims[address] > 1:
                ambiguous.append(Ambiguous(person, (address,), SharedBy.PEOPLE))
                unmatched.append(person)
            else:
                matches.append(Match(person, address, by))
    return MatchResult(tuple(matches), tuple(unmatched), tuple(ambiguous))
