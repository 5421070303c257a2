"""Name keys and matching exported people to contacts: e-mail first, then an unambiguous name."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.social.facebook import read_facebook
from worker.social.linkedin import read_linkedin
from worker.social.match import (
    Ambiguous,
    MatchedBy,
    SharedBy,
    match_people,
    name_keys,
    person_keys,
)
from worker.social.people import Person, Source

FIXTURES = Path(__file__).parent / "fixtures" / "social"


def _li(first: str, last: str, email: str | None = None) -> Person:
    name = f"{last} {first}" if ord(first[0]) > 0x2E80 else f"{first} {last}"
    return Person(Source.LINKEDIN, name, first, last, email)


def _fb(name: str) -> Person:
    return Person(Source.FACEBOOK, name)


# (the person, a display name seen in mail): the same person.
SAME = [
    (_li("Taro", "Yamada"), "YAMADA Taro"),
    (_li("Taro", "Yamada"), "Yamada, Taro"),
    (_li("Taro", "Yamada"), "taro yamada"),
    (_li("Taro", "Yamada"), "Ｔａｒｏ　Ｙａｍａｄａ"),
    (_li("太郎", "山田"), "山田太郎"),
    (_li("太郎", "山田"), "山田 太郎"),
    (_li("太郎", "山田"), "山田　太郎"),
    (_li("太郎", "山田"), "株式会社ABC 山田太郎"),
    (_li("太郎", "山田"), "ABC株式会社 営業部 山田 太郎"),
    (_li("太郎", "山田"), "(株)ABC 山田太郎"),
    (_li("太郎", "山田"), "㈱ABC 山田太郎"),
    (_li("太郎", "山田"), "山田太郎（ABC）"),
    (_li("太郎", "山田"), "山田太郎 様"),
    (_li("太郎", "山田"), "山田太郎様"),
    (_li("太郎", "山田"), "山田 太郎 <taro@abc.example.jp>"),
    (_li("太郎", "山田"), "【ABC】山田太郎"),
    (_li("太郎", "山田"), "山田太郎／ABC"),
    (
        Person(Source.LINKEDIN, "太郎 山田", "山田", "太郎"),
        "山田太郎",
    ),  # names typed in the wrong columns
    (_li("ﾀﾛｳ", "ﾔﾏﾀﾞ"), "ヤマダ タロウ"),  # half-width katakana
    (_li("John", "Smith"), "John Smith (Acme)"),
    (_li("John", "Smith"), "John Smith | Acme Corp"),
    (_li("John", "Smith"), "John Smith - Acme"),
    (_li("John", "Smith"), "John Smith via Google Docs"),
    (_li("John", "Smith"), '"Smith, John"'),
    (_li("John", "Smith"), "Dr. John Smith"),
    (_li("John", "Smith"), "John A. Smith"),
    (_li("John", "Smith"), "Mr John Smith Jr."),
    (_li("Jane", "Doe, PhD"), "Jane Doe"),
    (_li("Jane", "Doe 🌱"), "Jane Doe"),
    (_li("José", "Álvarez"), "Jose Alvarez"),
    (_li("Zoë", "Quinn"), "ZOE QUINN"),
    (_li("Siobhán", "O'Brien"), "Siobhan OBrien"),
    (_li("Siobhán", "O’Brien"), "Siobhán O'Brien"),
    (_li("Łukasz", "Wójcik"), "Lukasz Wojcik"),
    (_li("Søren", "Kierkegaard"), "Soren Kierkegaard"),
    (_li("Jean-Luc", "Picard"), "Jean Luc Picard"),
    (_li("Jürgen", "Groß"), "Jurgen Gross"),  # ß folds to ss
    (_fb("田中 花子"), "田中花子"),
    (_fb("Taro Yamada"), "山田太郎 / Taro Yamada"),  # both scripts in one display name
]


@pytest.mark.parametrize(("person", "mail_name"), SAME)
def test_the_same_name_matches(person: Person, mail_name: str) -> None:
    result = match_people([person], [("x@example.com", [mail_name])])
    assert [(m.email, m.by) for m in result.matches] == [("x@example.com", MatchedBy.NAME)], (
        sorted(person_keys(person)),
        sorted(name_keys(mail_name)),
    )


# (the person, a display name seen in mail): not enough to say it is them.
DIFFERENT = [
    (_li("Taro", "Yamada"), "Taro"),  # a given name alone
    (_li("Taro", "Yamada"), "Jiro Yamada"),
    (_li("太郎", "山田"), "山田次郎"),
    (_li("太郎", "山田"), "ヤマダ タロウ"),  # another script: no reading is guessed
    (_li("太郎", "山田"), "Taro Yamada"),
    (_li("花子", "はが"), "はか 花子"),  # voicing marks are letters, not accents
    (_li("John", "Smith"), "john@smith.example"),
    (_li("John", "Smith"), "Acme Support"),
    (_li("Mary Ann", "Smith"), "Mary Smith"),
    (_fb("Jane"), "Jane"),
]


@pytest.mark.parametrize(("person", "mail_name"), DIFFERENT)
def test_a_different_name_does_not_match(person: Person, mail_name: str) -> None:
    result = match_people([person], [("x@example.com", [mail_name])])
    assert result.matches == () and result.unmatched == (person,)


def test_email_first_even_when_the_name_points_elsewhere() -> None:
    jane = _li("Jane", "Doe", "Jane.Doe@Work.example")
    result = match_people(
        [jane],
        [("home@jane.example", ["Jane Doe"]), ("jane.doe@work.example", ["J. D."])],
    )
    assert [(m.email, m.by) for m in result.matches] == [("jane.doe@work.example", MatchedBy.EMAIL)]


def test_an_unknown_email_falls_back_to_the_name() -> None:
    jane = _li("Jane", "Doe", "old@gone.example")
    result = match_people([jane], [("jane@new.example", ["Doe Jane"])])
    assert [(m.email, m.by) for m in result.matches] == [("jane@new.example", MatchedBy.NAME)]


def test_two_contacts_with_one_name_are_reported_not_guessed() -> None:
    john = _li("John", "Smith")
    result = match_people(
        [john],
        [("js@a.example", ["John Smith"]), ("john@b.example", ["SMITH John"]), ("x@c.example", [])],
    )
    assert result.matches == () and result.unmatched == (john,)
    assert result.ambiguous == (
        Ambiguous(john, ("john@b.example", "js@a.example"), SharedBy.CONTACTS),
    )
    assert result.counts == {"people": 1, "matched": 0, "unmatched": 1}


def test_two_names_of_one_contact_are_one_contact() -> None:
    result = match_people(
        [_li("太郎", "山田")],
        [("taro@abc.example.jp", ["山田太郎", "Yamada Taro", "山田 太郎 様"])],
    )
    assert [m.email for m in result.matches] == ["taro@abc.example.jp"]


def test_two_people_with_one_name_and_one_contact_are_reported() -> None:
    li, fb_only = _li("John", "Smith"), _li("John", "Smith")
    result = match_people([li, fb_only], [("js@a.example", ["John Smith"])])
    assert result.matches == ()
    assert [a.shared_by for a in result.ambiguous] == [SharedBy.PEOPLE, SharedBy.PEOPLE]


def test_a_name_match_yields_to_someone_elses_email_match() -> None:
    certain = _li("John", "Smith", "js@a.example")
    namesake = _li("John", "Smith")
    result = match_people([namesake, certain], [("js@a.example", ["John Smith"])])
    assert [(m.person, m.by) for m in result.matches] == [(certain, MatchedBy.EMAIL)]
    assert result.ambiguous == (Ambiguous(namesake, ("js@a.example",), SharedBy.PEOPLE),)
    assert result.unmatched == (namesake,)


def test_the_fixture_exports_against_a_mailbox_of_known_people() -> None:
    contacts = [
        ("jane@globex.example", ["Jane Doe"]),
        ("taro@abc.example.jp", ["株式会社ABC 山田太郎"]),
        ("jose.alvarez@example.org", ["J. Alvarez"]),
        ("hanako@umbrella.example.jp", ["佐藤 花子 様"]),
        ("js1@acme.example", ["John Smith"]),
        ("js2@other.example", ["SMITH John"]),
        ("tanaka@example.jp", ["田中花子"]),
        ("zoe@quinn.example", ["Zoe Quinn"]),
        ("ichiro@example.jp", ["鈴木 一郎"]),
    ]
    linkedin = match_people(read_linkedin(FIXTURES / "Connections.csv").people, contacts)
    assert linkedin.counts == {"people": 6, "matched": 4, "unmatched": 2}
    assert {m.person.name: (m.email, m.by) for m in linkedin.matches} == {
        "Jane Doe": ("jane@globex.example", MatchedBy.NAME),
        "山田 太郎": ("taro@abc.example.jp", MatchedBy.NAME),
        "José Álvarez": ("jose.alvarez@example.org", MatchedBy.EMAIL),
        "佐藤 花子": ("hanako@umbrella.example.jp", MatchedBy.NAME),
    }
    assert [p.name for p in linkedin.unmatched] == ["John Smith", "Ann Lee"]
    assert [a.person.name for a in linkedin.ambiguous] == ["John Smith"]
    facebook = match_people(read_facebook(FIXTURES / "your_friends.json").people, contacts)
    assert facebook.counts == {"people": 5, "matched": 3, "unmatched": 2}
    assert sorted(m.email for m in facebook.matches) == [
        "ichiro@example.jp", "tanaka@example.jp", "zoe@quinn.example",
    ]  # fmt: skip


def test_order_and_counts_hold_for_many() -> None:
    people = [_li(f"Given{i}", f"Family{i}") for i in range(50)]
    contacts = [(f"p{i}@example.com", [f"FAMILY{i} Given{i}"]) for i in range(0, 50, 2)]
    result = match_people(people, contacts)
    assert result.counts == {"people": 50, "matched": 25, "unmatched": 25}
    assert [m.email for m in result.matches] == [f"p{i}@example.com" for i in range(0, 50, 2)]


# --- properties of the keys -------------------------------------------------------

_LATIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèüöñçåø", min_size=2, max_size=8)
_KANJI = st.text(alphabet="山田太郎鈴木一佐藤花子高橋渡辺伊健次", min_size=1, max_size=3)
_NOISE = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "phd", "md", "mba",
          "jr", "sr", "ii", "iii", "iv", "esq", "cpa", "cfa", "pmp", "inc", "ltd", "llc",
          "corp", "co", "gmbh", "kk", "plc", "via"}  # fmt: skip
_NAME_WORDS = st.lists(_LATIN_WORD.filter(lambda w: w not in _NOISE), min_size=2, max_size=4)


@given(_NAME_WORDS, st.randoms(use_true_random=False))
def test_keys_ignore_case_and_word_order(words: list[str], rnd: object) -> None:
    shuffled = list(words)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    keys = name_keys(" ".join(words))
    assert keys and keys == name_keys(" ".join(shuffled).upper())
    assert keys == name_keys(", ".join(reversed(words)).title())


@given(_NAME_WORDS)
def test_keys_ignore_accents(words: list[str]) -> None:
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", " ".join(words)) if not unicodedata.combining(c)
    )
    assert name_keys(" ".join(words)) == name_keys(plain)


@given(_NAME_WORDS)
def test_keys_ignore_full_width_forms(words: list[str]) -> None:
    name = " ".join(words)
    wide = "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in name
    )
    assert name_keys(name) == name_keys(wide)


@given(_KANJI, _KANJI)
def test_japanese_spacing_does_not_matter(family: str, given_name: str) -> None:
    spaced, unspaced = name_keys(f"{family} {given_name}"), name_keys(family + given_name)
    if len(family + given_name) >= 2:
        assert spaced & unspaced == {family + given_name}
    else:
        assert spaced == unspaced == frozenset()


@given(
    _KANJI.filter(lambda s: len(s) >= 2),
    st.sampled_from(["様", " 様", "さん", " 殿", "（ABC）", " <a@b.jp>"]),
)
def test_japanese_honorifics_and_brackets_are_not_the_name(name: str, extra: str) -> None:
    assert name_keys(name + extra) == name_keys(name)


@given(st.text(max_size=40))
def test_keys_never_fail_and_are_stable(text: str) -> None:
    keys = name_keys(text)
    assert keys == name_keys(text)
    assert all(k and k == k.strip() for k in keys)
