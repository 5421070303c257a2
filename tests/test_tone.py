"""Tone checks: demanding, apologetic and over-long drafts, and clean defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.followup.thanks import render_thank_you
from worker.model import Contact
from worker.outreach.compose import Profile, render_reconnection
from worker.outreach.tone import DEFAULT_MAX_CHARS, check_tone

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Please send it ASAP.", "ASAP"),
        ("please reply asap", "asap"),
        ("Please answer as soon as possible.", "as soon as possible"),
        ("Please answer AS SOON\nAS POSSIBLE.", "AS SOON AS POSSIBLE"),
        ("You must call me.", "You must"),
        ("I need you to review this.", "I need you to"),
        ("You need to read this.", "You need to"),
        ("You have to help me.", "You have to"),
        ("This is urgent.", "urgent"),
        ("URGENT: please read", "URGENT"),
        ("I urgently need advice.", "urgently"),
        ("Reply immediately.", "immediately"),
        ("Call me right away.", "right away"),
        ("Answer no later than Friday.", "no later than"),
        ("Please act without delay.", "without delay"),
        ("I expect you to answer.", "I expect you to"),
    ],
)
def test_demanding_english_phrases(text: str, phrase: str) -> None:
    warnings = check_tone(text, "en")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f'demanding phrase "{phrase}"')


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Sorry for not keeping in touch!", "Sorry for not keeping in touch"),
        ("Hi Jane, sorry for the long silence.", "sorry for the long silence"),
        ("Sorry it's been so long.", "Sorry it's been so long"),
        ("Sorry I haven't written, life got busy.", "Sorry I haven't written"),
        ("I apologize for the silence.", "I apologize"),
        ("I apologise for being quiet.", "I apologise"),
        ("My apologies for the delay.", "My apologies"),
    ],
)
def test_apologetic_english_phrases(text: str, phrase: str) -> None:
    warnings = check_tone(text, "en")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f'apologetic phrase "{phrase}"')


@pytest.mark.parametrize(
    "text",
    [
        "The insurgents were immediate neighbours.",  # word boundaries
        "I'm sorry to hear about your move.",  # sympathy, not an apology for silence
        "Must-see show, and you mustard fans will love it.",
        "If the timing is bad, no pressure at all — I'd love to stay in touch anyway.",
    ],
)
def test_harmless_english_text_is_clean(text: str) -> None:
    assert check_tone(text, "en") == []


def test_repeated_phrase_is_reported_once_with_a_count() -> None:
    warnings = check_tone("ASAP please. Really, ASAP. asap!", "en")
    assert warnings == [
        'demanding phrase "ASAP" (3 times): ask, don\'t demand: they owe you nothing after years apart'
    ]


def test_several_problems_each_get_a_warning() -> None:
    warnings = check_tone("Sorry for not writing. I need you to answer ASAP.", "en")
    assert len(warnings) == 3
    joined = "\n".join(warnings)
    for phrase in ("Sorry for not writing", "I need you to", "ASAP"):
        assert f'"{phrase}"' in joined


@pytest.mark.parametrize(
    ("text", "phrase", "kind"),
    [
        ("至急ご返信ください。", "至急", "demanding"),
        ("大至急お願いします。", "大至急", "demanding"),
        ("必ずお返事をお願いします。", "必ず", "demanding"),
        ("今すぐご連絡をお願いします。", "今すぐ", "demanding"),
        ("早急にご対応をお願いします。", "早急", "demanding"),
        ("絶対にお願いします。", "絶対に", "demanding"),
        ("直ちにご返信をお願いします。", "直ちに", "demanding"),
        ("長らくご連絡せず申し訳ありません。", "申し訳", "apologetic"),
        ("ご無沙汰してすみません。", "すみません", "apologetic"),
        ("連絡しなくてごめんなさい。", "ごめんなさい", "apologetic"),
        ("ご無沙汰のお詫びを申し上げます。", "お詫び", "apologetic"),
    ],
)
def test_japanese_phrases(text: str, phrase: str, kind: str) -> None:
    warnings = check_tone(text, "ja")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f'{kind} phrase "{phrase}"')


def test_japanese_many_kudasai_read_as_orders() -> None:
    text = "資料を見てください。意見をください。返事をください。"
    warnings = check_tone(text, "ja")
    assert len(warnings) == 1
    assert '"ください" (3 times)' in warnings[0]
    assert check_tone("資料を見てください。ご意見をいただけると嬉しいです。", "ja") == []


def test_english_rules_do_not_apply_to_japanese_and_back() -> None:
    assert check_tone("ASAP", "ja") == []
    assert check_tone("至急", "en") == []


@pytest.mark.parametrize("language", ["en", "ja"])
def test_length_limit_default_and_override(language: str) -> None:
    limit = DEFAULT_MAX_CHARS[language]
    char = "a" if language == "en" else "あ"
    assert check_tone(char * limit, language) == []
    warnings = check_tone(char * (limit + 1), language)
    assert len(warnings) == 1
    assert f"{limit + 1} characters" in warnings[0]
    assert f"under {limit}" in warnings[0]
    assert check_tone(char * 50, language, max_chars=40)[0].startswith("too long: 50")


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError):
        check_tone("hello", "fr")


# --- the shipped templates are clean -------------------------------------------


def _contact(name: str, subject: str, full: bool) -> Contact:
    first = datetime(2009, 2, 1, tzinfo=UTC) if full else None
    last = datetime(2014, 11, 3, tzinfo=UTC) if full else None
    return Contact(
        email="p@example.com",
        name=name,
        first_contact=first,
        last_contact=last,
        last_sent=last,
        last_received=last,
        sent_count=9,
        received_count=7,
        last_subject=subject,
        thread_count=4,
    )


CASES = [
    (
        "en",
        "Jane Doe",
        "Re: Q3 roadmap",
        "I am moving into product design and would love your view.",
    ),
    (
        "ja",
        "山田 太郎",
        "Re: 来期の計画",
        "プロダクトデザインの仕事に移ることになり、ご意見を伺いたいと思っています。",
    ),
]


@pytest.mark.parametrize(("language", "name", "subject", "reason"), CASES)
@pytest.mark.parametrize("full", [True, False])
def test_default_templates_produce_no_warnings(
    language: str, name: str, subject: str, reason: str, full: bool
) -> None:
    profile = Profile("Taro Tanaka", reason)
    contact = _contact(name if full else "", subject if full else "", full)
    reconnection = render_reconnection(contact, profile, language, NOW)
    thanks = render_thank_you(contact, profile, language, "Re: hello")
    for draft in (reconnection, thanks):
        text = f"{draft.subject}\n\n{draft.body}"
        assert check_tone(text, language) == []
    # Also clean without a reason.
    bare = render_reconnection(contact, Profile("Taro Tanaka", ""), language, NOW)
    assert check_tone(bare.body, language) == []
