"""History: the facts past mail with one contact gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from worker.words.history import (
    Direction,
    PastMessage,
    history_facts,
    is_free_mail,
    signature_organization,
)
from worker.words.register import addressee

OUT, IN = Direction.OUT, Direction.IN


def at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


FORMAL_EN = [
    PastMessage(OUT, at(2015, 3, 2), "Berlin conference", "Dear Mr. Smith,\n\nThank you for the invitation.\n\nBest regards,\nSam"),
    PastMessage(IN, at(2015, 3, 3), "Re: Berlin conference", "Dear Sam,\n\nYou are welcome.\n\nBest regards,\nJohn Smith\nAcme Inc.\n\nOn Mon, Sam wrote:\n> Dear Mr. Smith,"),
    PastMessage(OUT, at(2015, 3, 5), "Re: Berlin conference", "Dear Mr. Smith,\n\nSee you there.\n\nBest regards,\nSam"),
    PastMessage(IN, at(2016, 4, 10), "Invoice #2231", "Dear Sam,\n\nPlease find the invoice.\n\nRegards,\nJohn"),
]  # fmt: skip

CASUAL_JA = [
    PastMessage(OUT, at(2014, 5, 1), "勉強会の資料", "太郎さん\n\nこんにちは。先日はありがとうございました。資料を送ります。\n\n--\nSam"),
    PastMessage(IN, at(2014, 5, 2), "Re: 勉強会の資料", "Samさん\n\nありがとうございます！助かります。\n\n山田", from_name="YAMADA Taro"),
    PastMessage(OUT, at(2014, 5, 3), "Re: 勉強会の資料", "太郎さん\n\nどういたしまして。また勉強会で会いましょう。"),
    PastMessage(IN, at(2014, 6, 1), "写真", "Samさん\n\n写真を送りますね。"),
]  # fmt: skip


def test_formal_english_history() -> None:
    facts = history_facts(FORMAL_EN, email="john@acme.example", name="John Smith")
    assert (facts.messages, facts.sent, facts.received, facts.exchanges) == (4, 2, 2, 3)
    assert facts.first == at(2015, 3, 2) and facts.last == at(2016, 4, 10)
    assert facts.last_from is IN
    assert (facts.language, facts.my_language, facts.their_language) == ("en", "en", "en")
    assert facts.register.formal and facts.register.title == "Mr."
    assert facts.my_greeting is not None and facts.my_greeting.title == "Mr."
    assert facts.their_greeting is not None and facts.their_greeting.name == "Sam"
    assert (facts.organization, facts.organization_source) == ("Acme Inc.", "signature")
    assert facts.domain == "acme.example" and facts.business
    # The thread with the most messages, not the last subject, is the anchor.
    assert facts.thread is not None
    assert (facts.thread.subject, facts.thread.messages) == ("Berlin conference", 3)
    assert facts.last_subject == "Invoice #2231"
    assert facts.topic is not None and facts.topic.text == "Berlin conference"


def test_casual_japanese_history_with_romaji_name() -> None:
    facts = history_facts(CASUAL_JA, email="taro.yamada@gmail.com")
    assert facts.name.family == "Yamada"  # from the latest display name, YAMADA Taro
    assert facts.language == "ja"
    assert facts.register.honorific == "さん"
    # 太郎さん cannot be matched to a romaji name: the name as written is kept.
    assert facts.register.name == "太郎"
    assert addressee(facts.register, facts.name, "ja") == "太郎さん"
    assert addressee(facts.register, facts.name, "en") == "Yamada-san"
    assert facts.domain is None and facts.organization is None and not facts.business
    assert facts.topic is not None and facts.topic.text == "勉強会の資料"
    assert facts.last_from is IN and facts.exchanges == 3


def test_company_prefix_in_the_name_is_the_organization() -> None:
    facts = history_facts(
        [
            PastMessage(
                IN,
                at(2019, 1, 10),
                "打ち合わせ",
                "お世話になっております。",
                "株式会社ABC 山田太郎",
            )
        ],
        email="yamada@abc.co.jp",
    )
    assert (facts.organization, facts.organization_source) == ("株式会社ABC", "name")
    assert facts.name.full == "山田太郎"
    assert facts.register.honorific == "様"
    assert facts.topic is None  # 打ち合わせ names no topic


def test_language_follows_bodies_not_names() -> None:
    facts = history_facts(
        [PastMessage(OUT, at(2018, 2, 1), "Hello", "Hi Taro,\n\nGreat to see you in Tokyo!")],
        email="t@example.com",
        name="山田太郎",
    )
    assert facts.language == "en"


def test_my_language_decides_over_theirs() -> None:
    facts = history_facts(
        [
            PastMessage(IN, at(2018, 2, 1), "x", "ありがとうございます。よろしくお願いします。"),
            PastMessage(OUT, at(2018, 2, 2), "x", "Thank you so much, see you soon."),
        ],
        email="t@example.com",
    )
    assert (facts.language, facts.their_language, facts.my_language) == ("en", "ja", "en")


def test_quoted_text_does_not_decide_the_language() -> None:
    body = (
        "Thanks, that works for me.\n\n2016年5月3日 10:00 山田 <y@example.jp>:\n> 了解しました。よろしくお願いします。"
        * 1
    )
    facts = history_facts([PastMessage(OUT, at(2016, 5, 4), "x", body)], email="y@example.jp")
    assert facts.language == "en"


def test_one_side_only_has_no_exchanges() -> None:
    facts = history_facts(
        [PastMessage(OUT, at(2016, 1, d), "x", "Hi") for d in (1, 2, 3)], email="a@example.com"
    )
    assert facts.exchanges == 0 and facts.last_from is OUT


def test_empty_history() -> None:
    facts = history_facts([], email="a@gmail.com", name="Jane Doe")
    assert facts.messages == 0 and facts.first is None and facts.thread is None
    assert facts.topic is None and facts.language is None
    assert facts.register.source == "default"
    data = facts.to_json()
    assert data["last_from"] is None and data["thread"] is None


def test_messages_in_any_order_and_offsets() -> None:
    tokyo = timezone(timedelta(hours=9))
    messages = [
        PastMessage(
            IN, datetime(2016, 5, 2, 8, 0, tzinfo=tokyo), "Re: Lisbon UX workshop", "Hi Sam"
        ),
        PastMessage(OUT, datetime(2016, 5, 1, 12, 0, tzinfo=UTC), "Lisbon UX workshop", "Hi Ana"),
    ]
    facts = history_facts(messages, email="ana@example.pt", name="Ana Silva")
    assert facts.first == datetime(2016, 5, 1, 12, 0, tzinfo=UTC)
    assert facts.last_from is IN
    assert facts.thread is not None and facts.thread.messages == 2


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True), ("yahoo.co.jp", True), ("mail.yahoo.co.jp", True), ("yahoo.fr", True),
        ("docomo.ne.jp", True), ("ezweb.ne.jp", True), ("i.softbank.jp", True),
        ("outlook.com", True), ("outlook.jp", True), ("hotmail.co.uk", True), ("icloud.com", True),
        ("me.com", True), ("example.ne.jp", True),
        ("acme.com", False), ("abc.co.jp", False), ("u-tokyo.ac.jp", False), ("example.org", False),
    ],
)  # fmt: skip
def test_free_mail_domains(domain: str, free: bool) -> None:
    assert is_free_mail(domain) is free


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("佐藤花子\n株式会社XYZ 営業部\nTel: 03-0000-0000", "株式会社XYZ"),
        ("John Smith\nHead of Design, Acme Inc.\n+1 555 0100", "Acme Inc."),
        ("Jane Doe\nAcme GmbH", "Acme GmbH"),
        ("Sam\nSent from my iPhone", None),
        ("John\nhttps://acme.example", None),
        ("", None),
    ],
)
def test_signature_organization(signature: str, expected: str | None) -> None:
    assert signature_organization(signature) == expected


def test_free_mail_is_never_an_organization() -> None:
    facts = history_facts(
        [PastMessage(IN, at(2016, 1, 1), "x", "Hi Sam,\n\nok\n\nBest,\nJohn")],
        email="john@gmail.com",
        name="John Smith",
    )
    assert facts.organization is None and facts.domain is None and not facts.business
    assert not facts.register.formal


def test_json_is_serialisable_and_documented() -> None:
    import worker.words.history as module

    data = history_facts(FORMAL_EN, email="john@acme.example", name="John Smith").to_json()
    json.dumps(data, ensure_ascii=False)
    for key in data:
        assert f"``{key}``" in (module.__doc__ or ""), key
    assert data["last_from"] == "them"
    assert data["first"] == "2015-03-02T09:00:00+00:00"
    round_trip = json.loads(json.dumps(data, ensure_ascii=False))
    assert round_trip["register"]["formality"] == "formal"
    assert round_trip["thread"]["topic"] == "Berlin conference"
