"""Reminder prompts: texts, and the mail that carries them."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta, timezone
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

import pytest

from worker.followup.prompts import (
    KINDS,
    Prompt,
    build_prompt_message,
    contact_words,
    gift_prompt,
    keep_in_touch_prompt,
    thank_you_prompt,
)
from worker.mail.automation import automation_reason

LAST = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)


def all_prompts(language: str) -> list[Prompt]:
    return [
        thank_you_prompt(
            "Jane Doe", "jane@example.com", "So good to hear from you!", "Re: Long time", language
        ),
        gift_prompt("Jane Doe", "jane@example.com", True, language),
        keep_in_touch_prompt("Jane Doe", "jane@example.com", LAST, language, now=NOW),
    ]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_kinds(language):
    assert [p.kind for p in all_prompts(language)] == ["thank-you", "gift", "keep-in-touch"]
    assert KINDS == ("thank-you", "gift", "keep-in-touch")


def test_english_thank_you():
    p = thank_you_prompt(
        "Jane Doe", "jane@example.com", "So good to hear from you!", "Re: Long time", "en"
    )
    assert p.subject == "[Kizuna] Say thank you to Jane Doe"
    assert "jane@example.com" in p.body
    assert "> So good to hear from you!" in p.body
    assert "Drafts folder" in p.body
    assert 'subject "Re: Long time"' in p.body


def test_japanese_thank_you():
    p = thank_you_prompt(
        "山田太郎", "taro@example.jp", "ご無沙汰しております。", "Re: お久しぶりです", "ja"
    )
    assert p.subject == "[Kizuna] 山田太郎さんにお礼を"
    assert "> ご無沙汰しております。" in p.body
    assert "「下書き」フォルダ" in p.body and "「Re: お久しぶりです」" in p.body
    assert "taro@example.jp" in p.body


def test_thank_you_without_name_or_excerpt():
    p = thank_you_prompt("", "jane@example.com", "", "", "en")
    assert p.subject == "[Kizuna] Say thank you to jane@example.com"
    assert ">" not in p.body.split("replied", 1)[1].split("Drafts", 1)[0]
    assert "Drafts folder" in p.body


def test_multiline_excerpt_is_quoted_line_by_line():
    p = thank_you_prompt("Jane", "j@example.com", "line one\nline two", "Re: x", "en")
    assert "> line one\n> line two" in p.body


def test_gift_prompt_asks_what_they_did_and_shows_the_scale():
    p = gift_prompt("Jane Doe", "jane@example.com", False, "en", reminder_id=7)
    assert p.subject == "[Kizuna] A thank-you gift for Jane Doe?"
    assert "What did Jane Doe do for you?" in p.body
    lines = [ln for ln in p.body.splitlines() if ln.startswith("- ")]
    assert [ln.split(":")[0] for ln in lines] == [
        "- a reply",
        "- a call or advice",
        "- an introduction, a referral or real work",
    ]
    assert "no gift is needed" in lines[0] and "coffee" in lines[1] and "wine" in lines[2]
    assert "kizuna reminders favour 7 call" in p.body
    assert "Done" in p.body and "Dismiss" in p.body  # the page's words
    assert "spa" not in p.body and "tired" not in p.body


def test_gift_prompt_puts_rest_first_for_a_tired_contact():
    tired = gift_prompt("Jane Doe", "jane@example.com", True, "en")
    big = next(ln for ln in tired.body.splitlines() if ln.startswith("- an introduction"))
    assert big.index("spa") < big.index("wine")
    assert "sounded tired" in tired.body
    ja = gift_prompt("山田太郎", "taro@example.jp", True, "ja")
    assert ja.subject == "[Kizuna] 山田太郎さんへの贈り物"
    big = next(ln for ln in ja.body.splitlines() if ln.startswith("- 紹介"))
    assert big.index("スパ") < big.index("ワイン")
    assert "「完了」" in ja.body and "「見送る」" in ja.body


@pytest.mark.parametrize("language", ["en", "ja"])
def test_gift_prompt_follows_the_favour(language):
    reply = gift_prompt("Jane Doe", "jane@example.com", True, language, favour="reply").body
    call = gift_prompt("Jane Doe", "jane@example.com", False, language, favour="call").body
    work = gift_prompt("Jane Doe", "jane@example.com", False, language, favour="work").body
    for text in (reply, call, work):
        assert "kizuna reminders favour" not in text  # already told
    if language == "en":
        assert "What they did: a reply." in reply and "wine" not in reply and "spa" not in reply
        assert "What they did: a call." in call and "coffee" in call and "wine" not in call
        assert "What they did: real work." in work and "wine" in work
    else:
        assert "していただいたこと：返信。" in reply and "ワイン" not in reply
        assert "コーヒーギフト" in call and "ワイン" not in call
        assert "していただいたこと：仕事の協力。" in work and "ワイン" in work


def test_gift_prompt_says_when_they_replied():
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert (
        "replied to you on 2026-03-01."
        in gift_prompt("Jane", "j@example.com", False, "en", replied_at=when).body
    )
    assert (
        "2026年3月1日に返信をいただきました"
        in gift_prompt("山田", "y@example.jp", False, "ja", replied_at=when).body
    )


@pytest.mark.parametrize(
    ("kind", "en", "ja"),
    [
        ("offers_help", "offered help or advice", "お力添えの申し出"),
        ("proposes_time", 'proposed a time: "Thursday at 3"', "「Thursday at 3」と日時のご提案"),
        ("declines", "can't help right now", "今は難しい"),
        ("glad_only", "glad to hear from you", "連絡を喜んで"),
        ("unknown", "add a line answering what they wrote", "いただいた返信へのひとこと"),
    ],
)
def test_thank_you_prompt_says_what_the_draft_answers(kind, en, ja):
    args = ("Jane Doe", "jane@example.com", "x", "Re: hi")
    assert en in thank_you_prompt(*args, "en", reply_kind=kind, proposed_time="Thursday at 3").body
    assert ja in thank_you_prompt(*args, "ja", reply_kind=kind, proposed_time="Thursday at 3").body


@pytest.mark.parametrize(
    ("name", "email", "en", "ja"),
    [
        ("株式会社ABC 山田 太郎", "taro@abc.example", "山田 太郎", "山田 太郎さん"),
        ("Acme Inc. - John Smith", "john@acme.example", "John Smith", "John Smith さん"),
        ("株式会社ABC", "info@abc.example", "info@abc.example", "info@abc.example"),
        ("", "jane@example.com", "jane@example.com", "jane@example.com"),
    ],
)
def test_prompts_name_the_person_never_the_company(name, email, en, ja):
    assert contact_words(name, email, "en") == en
    assert contact_words(name, email, "ja") == ja
    assert thank_you_prompt(name, email, "", "", "en").subject == f"[Kizuna] Say thank you to {en}"
    assert thank_you_prompt(name, email, "", "", "ja").subject == f"[Kizuna] {ja}にお礼を"
    for prompt in all_prompts("en") + all_prompts("ja"):
        assert "株式会社" not in prompt.subject


def test_keep_in_touch_prompt():
    en = keep_in_touch_prompt("Jane Doe", "jane@example.com", LAST, "en", now=NOW)
    assert en.subject == "[Kizuna] Keep in touch with Jane Doe"
    assert "2024-01-02" in en.body and "181 days ago" in en.body
    ja = keep_in_touch_prompt("山田太郎", "taro@example.jp", LAST, "ja", now=NOW)
    assert ja.subject == "[Kizuna] 山田太郎さんに近況を"
    assert "2024年1月2日" in ja.body and "181日前" in ja.body


def test_keep_in_touch_accepts_other_zones_and_naive():
    tokyo = timezone(timedelta(hours=9))
    p = keep_in_touch_prompt("J", "j@x.example", LAST.astimezone(tokyo), "en", now=NOW)
    assert "181 days ago" in p.body
    p = keep_in_touch_prompt("J", "j@x.example", LAST.replace(tzinfo=None), "en", now=NOW)
    assert "181 days ago" in p.body


def test_hostile_name_cannot_inject_headers():
    p = thank_you_prompt("Eve\r\nBcc: x@evil.example", "eve@example.com", "hi", "Re: x", "en")
    assert "\n" not in p.subject and "\r" not in p.subject
    msg = build_prompt_message(p, "me@example.com", "me@example.com", "Me\nX-Evil: 1")
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert back["Bcc"] is None and back["X-Evil"] is None


@pytest.mark.parametrize("language", ["en", "ja"])
def test_message_round_trip(language):
    for prompt in all_prompts(language):
        msg = build_prompt_message(prompt, "me@example.com", "me@example.com", "Me Myself")
        raw = msg.as_bytes()
        assert raw.isascii()  # quoted-printable on the wire
        back = email.message_from_bytes(raw, policy=email.policy.default)
        assert back["X-Kizuna-Kind"] == prompt.kind
        assert back["Auto-Submitted"] == "auto-generated"
        assert back["Subject"] == prompt.subject
        assert back["From"].addresses[0].addr_spec == "me@example.com"
        assert back["From"].addresses[0].display_name == "Me Myself"
        assert back["To"] == "me@example.com"
        assert back.get_content_type() == "text/plain"
        assert back.get_content_charset() == "utf-8"
        assert back["Content-Transfer-Encoding"] == "quoted-printable"
        assert back.get_content() == prompt.body
        assert back["Message-ID"].startswith("<") and back["Message-ID"].endswith("@example.com>")
        assert parsedate_to_datetime(back["Date"]).tzinfo is not None


def test_quote_survives_the_round_trip():
    p = thank_you_prompt(
        "山田太郎", "taro@example.jp", "元気です！またお茶しましょう。", "Re: x", "ja"
    )
    raw = build_prompt_message(p, "me@example.jp", "me@example.jp", "私").as_bytes()
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert "> 元気です！またお茶しましょう。" in back.get_content()
    assert back["From"].addresses[0].display_name == "私"


def test_fresh_message_ids():
    p = all_prompts("en")[0]
    ids = {
        build_prompt_message(p, "me@example.com", "me@example.com", "Me")["Message-ID"]
        for _ in range(20)
    }
    assert len(ids) == 20


def test_own_prompts_are_automated_for_the_scan():
    """Kizuna must never mistake its own prompt for personal contact."""
    for prompt in all_prompts("en") + all_prompts("ja"):
        raw = build_prompt_message(prompt, "me@example.com", "me@example.com", "Me").as_bytes()
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        assert automation_reason(headers) == "auto-submitted"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        build_prompt_message(Prompt("party", "s", "b"), "me@example.com", "me@example.com", "Me")


def test_address_without_domain_still_gets_a_message_id():
    msg = build_prompt_message(all_prompts("en")[0], "me", "me", "Me")
    assert msg["Message-ID"].endswith("@kizuna.invalid>")
