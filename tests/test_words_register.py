"""Register: greetings read from past bodies, and the draft's first and last lines."""

from __future__ import annotations

import pytest

from worker.words.names import NameForm, parse_name
from worker.words.register import (
    Formality,
    Register,
    addressee,
    closing,
    find_greeting,
    greeting_line,
    register_from,
    split_body,
)

SMITH = parse_name("John Smith")
YAMADA = parse_name("株式会社ABC 山田太郎")


# --- bodies ----------------------------------------------------------------------


def test_split_body_drops_quotes_and_finds_the_signature() -> None:
    body = (
        "Hi Jo,\n\nSee you at the conference.\n\nBest,\nSam Carter\nACME Inc.\n\n"
        "On Mon, 2 May 2016, Jo <jo@example.com> wrote:\n> Dear Mr. Carter,\n> hi"
    )
    parts = split_body(body)
    assert parts.text == "Hi Jo,\n\nSee you at the conference.\n\nBest,"
    assert parts.signature == "Sam Carter\nACME Inc."


@pytest.mark.parametrize(
    "marker",
    [
        "-- ",
        "--",
        "━━━━━━━━━━",
        "――――――",
        "==========",
    ],
)
def test_signature_markers(marker: str) -> None:
    parts = split_body(f"山田様\n\nお世話になっております。\n\n{marker}\n佐藤花子\n株式会社XYZ")
    assert parts.text == "山田様\n\nお世話になっております。"
    assert parts.signature == "佐藤花子\n株式会社XYZ"


@pytest.mark.parametrize(
    "header",
    [
        "On Tue, 3 May 2016 at 10:00, Jane Doe <jane@example.com> wrote:",
        "2016年5月3日(火) 10:00 山田太郎 <yamada@example.co.jp>:",
        "-----Original Message-----",
        "From: Jane Doe <jane@example.com>",
        "差出人: 山田太郎",
        "________________________________",  # Outlook's rule before the quoted header
    ],
)
def test_quote_headers_end_the_own_text(header: str) -> None:
    parts = split_body(f"Thanks, that works.\n\n{header}\nDear Mr. Smith,\nold text")
    assert parts.text == "Thanks, that works."


# --- greetings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "formal", "word", "name", "title", "form"),
    [
        ("Dear Mr. Smith,\n\nThank you.", True, "Dear", "Smith", "Mr.", NameForm.TITLE_FAMILY),
        ("Dear Mr Smith\n", True, "Dear", "Smith", "Mr.", NameForm.TITLE_FAMILY),
        ("Dear Dr. Smith,", True, "Dear", "Smith", "Dr.", NameForm.TITLE_FAMILY),
        ("Dear John,\n\nok", True, "Dear", "John", None, NameForm.GIVEN),
        ("Dear John Smith,", True, "Dear", "John Smith", None, NameForm.FULL),
        ("Hi John,\nok", False, "Hi", "John", None, NameForm.GIVEN),
        ("hi john!\nok", False, "Hi", "john", None, NameForm.GIVEN),
        ("Hello John\n", False, "Hello", "John", None, NameForm.GIVEN),
        ("Hey John -", False, "Hey", "John", None, NameForm.GIVEN),
        ("John,\n\nSee you", False, "", "John", None, NameForm.GIVEN),
        ("Good morning John,", False, "Good morning", "John", None, NameForm.GIVEN),
        ("Hi all,\n", False, "Hi", "", None, None),
        ("Hi everyone!", False, "Hi", "", None, None),
        ("Dear Sir or Madam,", True, "Dear", "", None, None),
        ("To whom it may concern,", True, "Dear", "", None, None),
    ],
)
def test_english_greetings(
    body: str, formal: bool, word: str, name: str, title: str | None, form: NameForm | None
) -> None:
    greeting = find_greeting(body, SMITH)
    assert greeting is not None
    assert (greeting.language, greeting.formal, greeting.word) == ("en", formal, word)
    assert (greeting.name, greeting.title, greeting.form) == (name, title, form)


@pytest.mark.parametrize(
    ("body", "formal", "name", "honorific", "opener", "form"),
    [
        ("山田様\n\nお世話になっております。", True, "山田", "様", "お世話になっております", NameForm.FAMILY),
        ("株式会社ABC\n営業部 山田様\n\nお世話になっております。", True, "山田", "様", "お世話になっております", NameForm.FAMILY),
        ("山田太郎様\n\nいつもお世話になっております。", True, "山田太郎", "様", "お世話になっております", NameForm.FULL),
        ("山田さま\nこんにちは", True, "山田", "様", "こんにちは", NameForm.FAMILY),
        ("山田さん\nこんにちは", False, "山田", "さん", "こんにちは", NameForm.FAMILY),
        ("山田さん、お世話になっております。", False, "山田", "さん", "お世話になっております", NameForm.FAMILY),
        ("太郎さん、こんにちは！", False, "太郎", "さん", "こんにちは", NameForm.GIVEN),
        ("山田部長\nお疲れ様です。", True, "山田", "部長", "お疲れ様です", NameForm.FAMILY),
        ("山田先生\n\nご無沙汰しております。", True, "山田", "先生", "ご無沙汰しております", NameForm.FAMILY),
        ("拝啓 新緑の候、ますますご清栄のこととお慶び申し上げます。", True, "", None, "拝啓", None),
        ("お世話になっております。\nABCの佐藤です。", True, "", None, "お世話になっております", None),
        ("こんにちは！\n先日はありがとう。", False, "", None, "こんにちは", None),
    ],
)  # fmt: skip
def test_japanese_greetings(
    body: str,
    formal: bool,
    name: str,
    honorific: str | None,
    opener: str | None,
    form: NameForm | None,
) -> None:
    greeting = find_greeting(body, YAMADA)
    assert greeting is not None
    assert (greeting.language, greeting.formal, greeting.name) == ("ja", formal, name)
    assert (greeting.honorific, greeting.opener, greeting.form) == (honorific, opener, form)


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for the photos!\nSee you",
        "> Dear Mr. Smith,\n> thanks",
        "On Tue, 3 May 2016, Jane <j@example.com> wrote:\n> Hi John,",
        "",
        "   \n\n",
        "I think the Berlin conference was great, don't you?",
        "-- \nDear John,",  # a signature, not a greeting
    ],
)
def test_no_greeting(body: str) -> None:
    assert find_greeting(body, SMITH) is None


def test_quoted_greeting_is_ignored_and_the_own_one_found() -> None:
    greeting = find_greeting("> Dear Mr. Smith,\n> old\n\nHi John,\nthanks", SMITH)
    assert greeting is not None
    assert (greeting.word, greeting.name, greeting.formal) == ("Hi", "John", False)


# --- register ------------------------------------------------------------------------


def test_dear_mr_smith_history_stays_formal() -> None:
    """The issue: a contact always written to as ``Dear Mr. Smith`` got ``Hi John``."""
    register = register_from(
        ["Dear Mr. Smith,\n\nThank you for the call.", "Dear Mr. Smith,\n\nAttached."],
        ["Hi Sam,\n\nSure."],
        SMITH,
    )
    assert register.formality is Formality.FORMAL
    assert (register.title, register.source) == ("Mr.", "mine")
    assert greeting_line(register, SMITH, "en") == "Dear Mr. Smith,"
    assert closing(register, "en", "john@example.com") in (
        "Best regards,",
        "Kind regards,",
        "With best regards,",
    )


def test_casual_history_stays_casual() -> None:
    mary = parse_name("Mary Jones")
    register = register_from(["Hi Mary,\nsee you!"], ["Hey Sam!"], mary)
    assert register.formality is Formality.CASUAL
    assert greeting_line(register, mary, "en") == "Hi Mary,"
    assert closing(register, "en", "mary@example.com") in ("Best,", "Best wishes,", "Cheers,")


def test_hello_is_kept() -> None:
    mary = parse_name("Mary Jones")
    assert greeting_line(register_from(["Hello Mary,"], [], mary), mary, "en") == "Hello Mary,"


def test_my_greetings_weigh_more_than_theirs() -> None:
    register = register_from(["Hi John,\nthanks"], ["Dear Mr. Carter,\n\nThank you."], SMITH)
    assert register.formality is Formality.CASUAL
    assert register.source == "mine"


def test_my_latest_greeting_decides() -> None:
    register = register_from(["Dear Mr. Smith,", "Dear John,", "Hi John,"], [], SMITH)
    assert register.formality is Formality.CASUAL
    assert greeting_line(register, SMITH, "en") == "Hi John,"


def test_their_greetings_set_formality_when_mine_are_unknown() -> None:
    register = register_from(["Thanks, see attached."], ["Dear Mr. Carter,\n\nThank you."], SMITH)
    assert (register.formality, register.source) == (Formality.FORMAL, "theirs")
    # Their greeting names the user, not the contact: no title is learned.
    assert register.title is None
    assert greeting_line(register, SMITH, "en") == "Dear John,"


def test_dear_john_stays_dear_john() -> None:
    register = register_from(["Dear John,\n\nThank you."], [], SMITH)
    assert greeting_line(register, SMITH, "en") == "Dear John,"


def test_no_history_business_is_formal_else_casual() -> None:
    business = register_from([], [], YAMADA)  # a company prefix
    assert (business.formality, business.honorific, business.source) == (
        Formality.FORMAL,
        "様",
        "business",
    )
    by_domain = register_from([], [], parse_name("山田太郎"), business=True)
    assert by_domain.honorific == "様"
    friend = register_from([], [], parse_name("山田太郎"))
    assert (friend.formality, friend.honorific, friend.source) == (
        Formality.CASUAL,
        "さん",
        "default",
    )


def test_sama_history_stays_sama() -> None:
    register = register_from(["山田様\n\nお世話になっております。"], [], YAMADA)
    assert register.honorific == "様"
    assert greeting_line(register, YAMADA, "ja") == "山田様"
    assert closing(register, "ja", "y@example.co.jp") in (
        "何卒よろしくお願いいたします。",
        "今後ともどうぞよろしくお願い申し上げます。",
    )


def test_san_history_stays_san_even_for_a_company_name() -> None:
    register = register_from(["山田さん\n\nこんにちは。"], [], YAMADA)
    assert register.honorific == "さん"
    assert greeting_line(register, YAMADA, "ja") == "山田さん"


def test_given_name_history_is_used() -> None:
    taro = parse_name("山田 太郎")
    register = register_from(["太郎さん、こんにちは！"], [], taro)
    assert addressee(register, taro, "ja") == "太郎さん"
    romaji = parse_name("Taro Yamada")
    english = register_from(["Hi Taro,\n\nthanks"], [], romaji)
    assert greeting_line(english, romaji, "en") == "Hi Taro,"


def test_position_becomes_sama_and_sensei_stays() -> None:
    boss = register_from(["山田部長\nお疲れ様です。"], [], YAMADA)
    assert greeting_line(boss, YAMADA, "ja") == "山田様"
    teacher = register_from(["山田先生\n\nご無沙汰しております。"], [], YAMADA)
    assert greeting_line(teacher, YAMADA, "ja") == "山田先生"


def test_no_japanese_script_in_an_english_greeting() -> None:
    """The issue: English drafts said ``Hi 山田さん,``."""
    for history in ([], ["山田さん\nこんにちは"], ["山田様\nお世話になっております。"]):
        for display in ("山田太郎", "株式会社ABC 山田太郎", "霧島晶", "やまだたろう"):
            person = parse_name(display)
            line = greeting_line(register_from(history, [], person), person, "en")
            assert line is not None
            assert not any("\u3040" <= c <= "\u9fff" for c in line), line


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], "Dear Yamada-san,"),  # company prefix: formal
        (["Dear Yamada-san,\n\nThank you."], "Dear Yamada-san,"),
        (["Hi Yamada-san!\n"], "Hi Yamada-san,"),
        (["Hi Taro,\n"], "Hi Taro,"),
        (["山田さん\nこんにちは"], "Hi Yamada-san,"),
        (["山田様\nお世話になっております。"], "Dear Yamada-san,"),
    ],
)
def test_english_drafts_to_japanese_names(history: list[str], expected: str) -> None:
    person = parse_name("株式会社ABC 山田太郎 (Taro Yamada)")
    assert greeting_line(register_from(history, [], person), person, "en") == expected


def test_romaji_uppercase_surname_is_yamada_san_not_hi_yamada() -> None:
    """The issue: ``YAMADA Taro`` got ``Hi Yamada,``."""
    person = parse_name("YAMADA Taro")
    assert greeting_line(register_from([], [], person), person, "en") == "Hi Yamada-san,"


def test_mr_only_when_history_says_so() -> None:
    person = parse_name("John Smith", "john@acme.example")
    formal = register_from([], [], person, business=True)
    assert greeting_line(formal, person, "en") == "Dear John,"
    doctor = parse_name("Dr. Jane Doe")
    assert greeting_line(register_from([], [], doctor, business=True), doctor, "en") == (
        "Dear Dr. Doe,"
    )


def test_company_alone_gets_a_neutral_greeting() -> None:
    company = parse_name("株式会社ABC")
    register = register_from([], [], company)
    assert greeting_line(register, company, "ja") is None
    assert greeting_line(register, company, "en") == "Hello,"
    department = parse_name("総務部")
    assert greeting_line(register_from([], [], department), department, "ja") is None


def test_closings_never_say_farewell() -> None:
    idioms = ("good knowing you", "farewell", "goodbye", "さようなら", "お元気で")
    for formality, honorific in ((Formality.FORMAL, "様"), (Formality.CASUAL, "さん")):
        register = Register(formality, honorific)
        for key in ("a@example.com", "b@example.com", "c@example.com", "d@example.com"):
            for language in ("en", "ja"):
                text = closing(register, language, key).lower()
                assert not any(idiom in text for idiom in idioms)


def test_closing_is_stable_per_contact() -> None:
    register = Register(Formality.CASUAL, "さん")
    assert closing(register, "en", "a@example.com") == closing(register, "en", "A@Example.com")
    choices = {closing(register, "en", f"p{i}@example.com") for i in range(20)}
    assert len(choices) > 1


def test_register_json() -> None:
    register = register_from(["Dear Mr. Smith,"], [], SMITH)
    assert register.to_json() == {
        "formality": "formal",
        "honorific": "様",
        "word": "Dear",
        "name_form": "title_family",
        "san": False,
        "title": "Mr.",
        "source": "mine",
        "name": "Smith",
    }
