"""Phrasing: topics from subjects, "when we last wrote", subjects that say who you are."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from worker.words.phrasing import (
    Topic,
    japanese_opening,
    last_wrote,
    normalize_subject,
    subject_line,
    topic_of,
    topic_words,
    when_words,
)
from worker.words.register import Formality, Register

FORMAL = Register(Formality.FORMAL, "様")
CASUAL = Register(Formality.CASUAL, "さん")
NOW = datetime(2025, 6, 1, tzinfo=UTC)
SPRING_2016 = datetime(2016, 4, 10, tzinfo=UTC)
KEYS = [f"person{i}@example.com" for i in range(12)]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: FW: [team] Re: Berlin conference", "Berlin conference"),
        ("RE[2]: AW: Lisbon", "Lisbon"),
        ("Ｒｅ：勉強会", "勉強会"),
        ("返信: 転送: 勉強会の資料", "勉強会の資料"),
        ("【ご相談】新規プロジェクト", "新規プロジェクト"),
        ("(no subject)", ""),
        ("Re:", ""),
        ("   ", ""),
    ],
)
def test_normalize_subject(subject: str, expected: str) -> None:
    assert normalize_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "text", "language", "event"),
    [
        ("Berlin conference", "Berlin conference", "en", True),
        ("Re: Lisbon UX workshop", "Lisbon UX workshop", "en", True),
        ("Fwd: FW: Berlin conference", "Berlin conference", "en", True),
        ("Slides from the talk", "Slides from the talk", "en", False),
        ("Our trip to Kyoto", "Our trip to Kyoto", "en", False),
        ("Q3 budget review", "Q3 budget review", "en", False),
        ("Planning the offsite", "Planning the offsite", "en", False),
        ("勉強会の資料", "勉強会の資料", "ja", False),
        ("Re: 勉強会", "勉強会", "ja", True),
        ("勉強会の資料の件", "勉強会の資料", "ja", False),
        ("【ご相談】新規プロジェクトの件", "新規プロジェクト", "ja", True),
        ("翻訳プロジェクトについて", "翻訳プロジェクト", "ja", True),
    ],
)
def test_topics(subject: str, text: str, language: str, event: bool) -> None:
    assert topic_of(subject) == Topic(text, language, event)


@pytest.mark.parametrize(
    "subject",
    [
        "Re:", "photos", "Photos", "Invoice #2231", "Fwd: Invoice 2231", "Order No. 55123",
        "[JIRA-123] Fix login", "Ticket #88: printer", "lunch?", "Lunch", "hi", "Hello again",
        "(no subject)", "", "Thanks!", "Thanks for the photos", "Quick question",
        "Can we meet next week?", "Are you free tomorrow", "Happy birthday!", "Catching up",
        "Fix login", "Meeting tomorrow", "Dinner on Friday", "https://example.com/doc",
        "PLEASE READ", "Kyoto", "こんにちは", "ありがとうございました", "Re: Re: お礼",
        "明日の件", "来週の打ち合わせ", "来年の勉強会について", "写真", "ご相談", "請求書の件",
        "お元気ですか？", "先日はありがとうございました", "資料を送ります",
    ],
)  # fmt: skip
def test_not_topics(subject: str) -> None:
    assert topic_of(subject) is None


@pytest.mark.parametrize(
    ("subject", "language", "expected"),
    [
        ("Berlin conference", "en", "the Berlin conference"),
        ("Lisbon UX workshop", "en", "the Lisbon UX workshop"),
        ("Slides from the talk", "en", "the slides from the talk"),
        ("Our trip to Kyoto", "en", "our trip to Kyoto"),
        ("Planning the offsite", "en", "planning the offsite"),
        ("勉強会の資料", "en", None),  # a Japanese topic does not go into English
        ("勉強会の資料", "ja", "勉強会の資料"),
        ("Lisbon UX workshop", "ja", "Lisbon UX workshop"),  # an event name does
        ("Slides from the talk", "ja", None),  # a plain English phrase does not
    ],
)
def test_topic_words(subject: str, language: str, expected: str | None) -> None:
    topic = topic_of(subject)
    assert topic is not None
    assert topic_words(topic, language) == expected


@pytest.mark.parametrize(
    ("when", "en", "ja"),
    [
        (datetime(2016, 1, 20), "in early 2016", "2016年の初め"),
        (datetime(2016, 4, 10), "in spring 2016", "2016年の春"),
        (datetime(2016, 7, 10), "in summer 2016", "2016年の夏"),
        (datetime(2016, 10, 10), "in autumn 2016", "2016年の秋"),
        (datetime(2015, 12, 20), "in late 2015", "2015年の暮れ"),
        (datetime(2025, 2, 3), "in February", "2月"),
        (datetime(2025, 5, 20), "a few weeks ago", "数週間前"),
    ],
)
def test_when_words(when: datetime, en: str, ja: str) -> None:
    assert when_words(when, NOW, "en") == en
    assert when_words(when, NOW, "ja") == ja


def test_last_wrote_names_when_and_what_without_quoting() -> None:
    topic = topic_of("Re: Berlin conference")
    for key in KEYS:
        for register in (FORMAL, CASUAL):
            sentence = last_wrote("en", register, key, SPRING_2016, NOW, topic)
            assert "spring 2016" in sentence
            assert sentence.endswith("about the Berlin conference.")
            assert '"' not in sentence and "Re:" not in sentence


def test_last_wrote_japanese_registers() -> None:
    topic = topic_of("勉強会の資料")
    seen = set()
    for key in KEYS:
        sama = last_wrote("ja", FORMAL, key, SPRING_2016, NOW, topic)
        san = last_wrote("ja", CASUAL, key, SPRING_2016, NOW, topic)
        seen.add(san)
        assert "2016年の春" in sama and "勉強会の資料の件" in sama
        assert "させていただ" in sama
        assert "2016年の春" in san and "勉強会の資料のこと" in san
        assert "させていただ" not in san
        assert "「" not in sama + san
    assert "2016年の春に勉強会の資料のことでやり取りして以来ですね。" in seen


@pytest.mark.parametrize("subject", ["photos", "Invoice #2231", "lunch?", "Re:", ""])
def test_last_wrote_falls_back_to_plain_when(subject: str) -> None:
    topic = topic_of(subject)
    for key in KEYS[:4]:
        en = last_wrote("en", CASUAL, key, SPRING_2016, NOW, topic)
        assert "about" not in en and "spring 2016" in en
        ja = last_wrote("ja", FORMAL, key, SPRING_2016, NOW, topic)
        assert "件" not in ja and "2016年の春" in ja


def test_last_wrote_without_a_date() -> None:
    assert last_wrote("en", CASUAL, "a@example.com", None, NOW) == (
        "It has been a while since we last wrote."
    )
    assert last_wrote("ja", FORMAL, "a@example.com", None, NOW).endswith("。")


def test_phrasings_vary_between_contacts_and_not_between_runs() -> None:
    topic = topic_of("Berlin conference")
    sentences = {last_wrote("en", CASUAL, key, SPRING_2016, NOW, topic) for key in KEYS}
    assert len(sentences) >= 2
    assert last_wrote("en", CASUAL, "A@Example.com", SPRING_2016, NOW, topic) == last_wrote(
        "en", CASUAL, "a@example.com", SPRING_2016, NOW, topic
    )
    subjects = {subject_line("en", CASUAL, key, "Sam Carter") for key in KEYS}
    assert len(subjects) >= 2


def test_subject_lines() -> None:
    workshop = topic_of("Lisbon UX workshop")
    assert (
        subject_line(
            "en", FORMAL, "a@example.com", "Sam Carter", topic=workshop,
            purpose="a question about product design",
        )
        == "Sam Carter (Lisbon UX workshop): a question about product design"
    )  # fmt: skip
    assert subject_line("en", FORMAL, "a@example.com", "Sam Carter", purpose="advice") == (
        "Sam Carter: advice"
    )
    assert subject_line("ja", FORMAL, "a@example.com", "Sam Carter", topic=topic_of("勉強会")) == (
        "ご無沙汰しております（勉強会でお世話になったSam Carterです）"
    )
    assert subject_line("ja", CASUAL, "a@example.com", "Sam Carter", topic=topic_of("勉強会")) == (
        "お久しぶりです（勉強会でご一緒したSam Carterです）"
    )
    assert subject_line(
        "ja", FORMAL, "a@example.com", "Sam Carter", topic=topic_of("勉強会の資料")
    ) == ("ご無沙汰しております（勉強会の資料の件でお世話になったSam Carterです）")
    assert subject_line("ja", FORMAL, "a@example.com", "Sam Carter") == (
        "ご無沙汰しております（以前お世話になったSam Carterです）"
    )
    assert subject_line(
        "ja", FORMAL, "a@example.com", "Sam Carter", topic=topic_of("勉強会"),
        purpose="プロダクトデザインについてのご相談",
    ) == "プロダクトデザインについてのご相談（勉強会でお世話になったSam Carterです）"  # fmt: skip


def test_subject_line_never_quotes_a_non_topic() -> None:
    for subject in ("Invoice #2231", "photos", "lunch?"):
        for key in KEYS[:4]:
            line = subject_line("en", CASUAL, key, "Sam Carter", topic=topic_of(subject))
            assert subject.lower() not in line.lower()
            assert "Sam Carter" in line


def test_subjects_differ_for_different_histories() -> None:
    a = subject_line("en", CASUAL, "a@example.com", "Sam", topic=topic_of("Berlin conference"))
    b = subject_line("en", CASUAL, "a@example.com", "Sam", topic=topic_of("Lisbon UX workshop"))
    assert a != b


def test_japanese_opening() -> None:
    assert japanese_opening(FORMAL, "Sam Carter", topic_of("勉強会")) == (
        "ご無沙汰しております。勉強会でお世話になりましたSam Carterです。"
    )
    assert japanese_opening(CASUAL, "Sam Carter", topic_of("勉強会")) == (
        "お久しぶりです。勉強会でご一緒したSam Carterです。"
    )
    assert japanese_opening(CASUAL, "Sam Carter") == "お久しぶりです。Sam Carterです。"


def _all_japanese_sentences(register: Register) -> list[str]:
    out = []
    for key in KEYS:
        for subject in ("勉強会", "勉強会の資料", "photos", "Lisbon UX workshop"):
            topic = topic_of(subject)
            for when in (SPRING_2016, None, datetime(2025, 5, 20, tzinfo=UTC)):
                out.append(last_wrote("ja", register, key, when, NOW, topic))
            out.append(subject_line("ja", register, key, "Sam Carter", topic=topic))
            out.append(japanese_opening(register, "Sam Carter", topic))
    return out


def test_sama_register_has_no_casual_endings() -> None:
    """One politeness level: no 〜ね/〜よ and no plain forms in the 様 register."""
    for sentence in _all_japanese_sentences(FORMAL):
        assert not re.search(r"[ねよ][。！!）]?$", sentence), sentence
        assert "ですね" not in sentence and "だね" not in sentence
        assert "ご一緒した" not in sentence


def test_san_register_is_desu_masu_without_kenjougo() -> None:
    for sentence in _all_japanese_sentences(CASUAL):
        assert "させていただ" not in sentence and "申し上げ" not in sentence, sentence
        assert not re.search(r"(?:だ|だよ|じゃん)[。！]?$", sentence), sentence


def test_no_invented_sentiment_or_farewells_or_dash_piles() -> None:
    banned = (
        "thought of you", "think of you", "miss you", "good knowing you", "farewell",
        "思い出していました", "お気遣いなく", "つながれたら", "—", "–",
    )  # fmt: skip
    texts = _all_japanese_sentences(FORMAL) + _all_japanese_sentences(CASUAL)
    for key in KEYS:
        for register in (FORMAL, CASUAL):
            for subject in ("Berlin conference", "photos", ""):
                topic = topic_of(subject)
                texts.append(last_wrote("en", register, key, SPRING_2016, NOW, topic))
                texts.append(subject_line("en", register, key, "Sam Carter", topic=topic))
    for text in texts:
        assert not any(b in text.lower() for b in banned), text
