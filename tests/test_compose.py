"""Rendering reconnection and thank-you drafts from the shipped templates."""

from __future__ import annotations

import importlib.resources
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.errors import TemplateError
from worker.followup.thanks import render_thank_you
from worker.model import Contact
from worker.outreach.compose import (
    Draft,
    Profile,
    elapsed_in_words,
    re_subject,
    render_reconnection,
    render_template,
)

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
EXIT_EN = "If the timing is bad, no pressure at all — I'd love to stay in touch anyway."
EXIT_JA = "もしお忙しいようでしたら、どうぞお気遣いなく。これを機にまたつながれたら嬉しいです。"
REASON_EN = "I am moving into product design and would love your view on it"
REASON_JA = (
    "この春からプロダクトデザインの仕事に移ることになり、ぜひご意見を伺いたいと思っています。"
)


def make_contact(
    name: str = "Jane Doe",
    subject: str = "Re: Q3 roadmap",
    first: datetime | None = datetime(2012, 3, 1, tzinfo=UTC),
    last: datetime | None = datetime(2015, 4, 20, tzinfo=UTC),
) -> Contact:
    return Contact(
        email="jane@example.com",
        name=name,
        first_contact=first,
        last_contact=last,
        last_sent=last,
        last_received=last,
        sent_count=12,
        received_count=10,
        last_subject=subject,
        thread_count=6,
    )


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


PROFILE_EN = Profile(display_name="Taro Tanaka", reason=REASON_EN)
PROFILE_JA = Profile(
    display_name="田中 花子", reason=REASON_JA, signature="田中 花子\nhanako@example.jp"
)


# --- English -------------------------------------------------------------------


def test_reconnection_en_key_phrases() -> None:
    draft = render_reconnection(make_contact(), PROFILE_EN, "en", NOW)
    assert isinstance(draft, Draft)
    assert draft.language == "en"
    assert draft.subject == "Hello again from Taro Tanaka"
    paras = paragraphs(draft.body)
    assert paras[0] == "Hi Jane,"
    assert paras[1].startswith(
        "It's been about ten years since we last wrote about \"Q3 roadmap\" — I've thought of you"
    )
    # The reason, plainly and early, with a full stop added.
    assert any(REASON_EN + "." in p for p in paras[:3])
    assert "20-minute call" in draft.body
    assert "short reply with your view" in draft.body
    assert EXIT_EN in paras
    assert "keep" in draft.body.lower() or "stay in touch" in draft.body
    assert "since 2012" in draft.body
    assert draft.body.endswith("Warm regards,\nTaro Tanaka\n")
    assert "Re:" not in draft.body
    assert "sorry" not in draft.body.lower()
    assert len(draft.body) < 1200


def test_reconnection_en_for_a_japanese_name_uses_the_honorific() -> None:
    draft = render_reconnection(make_contact(name="山田 太郎"), PROFILE_EN, "en", NOW)
    assert draft.body.startswith("Hi 山田さん,\n")


@pytest.mark.parametrize(
    ("contact", "expected_opener"),
    [
        (
            make_contact(name="", subject="", first=None, last=None),
            "It's been a while since we last wrote — I've thought of you",
        ),
        (
            make_contact(name="", subject="", first=None),
            "It's been about ten years since we last wrote — I've thought of you",
        ),
        (
            make_contact(name="", last=None, first=None),
            'The last time we wrote, it was about "Q3 roadmap" — I\'ve thought of you',
        ),
    ],
)
def test_reconnection_en_missing_data(contact: Contact, expected_opener: str) -> None:
    draft = render_reconnection(contact, PROFILE_EN, "en", NOW)
    paras = paragraphs(draft.body)
    assert paras[0] == "Hi,"
    assert paras[1].startswith(expected_opener)
    assert "None" not in draft.body
    assert '""' not in draft.body
    assert "since 20" not in draft.body  # no first_contact year
    assert EXIT_EN in paras


def test_reconnection_en_without_a_reason_still_reads_well() -> None:
    draft = render_reconnection(make_contact(), Profile("Taro", reason="  "), "en", NOW)
    assert "I'm writing simply because I'd like to catch up." in draft.body
    assert "Here is why" not in draft.body
    assert "short reply with your news" in draft.body
    assert draft.body.endswith("Warm regards,\nTaro\n")


def test_thank_you_en() -> None:
    # the thank-you's words: tests/test_thanks.py; here, the rendering machinery
    draft = render_thank_you(
        make_contact(),
        PROFILE_EN,
        "en",
        "RE: Re: Hello again from Taro Tanaka",
        new_text="Hi Taro,\n\nSo good to hear from you!",
    )
    assert draft.subject == "Re: Hello again from Taro Tanaka"
    assert paragraphs(draft.body)[0] == "Hi Jane,"
    assert "Thank you for your reply" in draft.body
    assert draft.body.endswith("Warm regards,\nTaro Tanaka\n")


# --- Japanese ------------------------------------------------------------------


def test_reconnection_ja_key_phrases() -> None:
    contact = make_contact(name="山田 太郎", subject="Re: Q3 ロードマップ")
    draft = render_reconnection(contact, PROFILE_JA, "ja", NOW)
    assert draft.language == "ja"
    assert draft.subject == "お久しぶりです（田中 花子より）"
    paras = paragraphs(draft.body)
    assert paras[0] == "山田さん"
    assert paras[1].startswith("ご無沙汰しております。田中 花子です。")
    assert "「Q3 ロードマップ」の件でやりとりしてから、約10年が経ちました。" in paras[1]
    assert "山田さんのこと" in paras[1]
    assert any(REASON_JA in p for p in paras[:3])
    assert "近況" in draft.body
    assert "20分" in draft.body
    assert EXIT_JA in paras
    assert "2012年からのご縁" in draft.body
    assert "よろしくお願いいたします" in draft.body
    assert draft.body.endswith("田中 花子\nhanako@example.jp\n")
    # Polite form, and no apology for the silence.
    assert "です。" in draft.body and "ます。" in draft.body
    for apology in ("申し訳", "すみません", "ごめんなさい"):
        assert apology not in draft.body
    assert len(draft.body) < 1200


def test_reconnection_ja_missing_data() -> None:
    contact = make_contact(name="", subject="", first=None, last=None)
    draft = render_reconnection(contact, Profile("田中", reason=""), "ja", NOW)
    paras = paragraphs(draft.body)
    assert paras[0] == "こんにちは。"
    assert "当時のこと" in paras[1]
    assert "「」" not in draft.body
    assert "None" not in draft.body
    assert "年からのご縁" not in draft.body
    assert "経ちました" not in draft.body
    assert EXIT_JA in paras


def test_reconnection_ja_english_reason_keeps_its_full_stop() -> None:
    draft = render_reconnection(make_contact(name="山田 太郎"), PROFILE_EN, "ja", NOW)
    assert REASON_EN + "." in draft.body
    assert REASON_EN + "。" not in draft.body


def test_thank_you_ja() -> None:
    draft = render_thank_you(
        make_contact(name="山田太郎"),
        PROFILE_JA,
        "ja",
        "Ｒｅ：お久しぶりです",
        new_text="花子さん\n\nお久しぶりです！ご連絡ありがとうございます。",
    )
    assert draft.subject == "Re: お久しぶりです"
    paras = paragraphs(draft.body)
    assert paras[0] == "山田さん"
    assert "ありがとうございます" in paras[1]
    assert "近況" in draft.body


def test_thank_you_empty_subject_falls_back() -> None:
    assert render_thank_you(make_contact(), PROFILE_EN, "en", "").subject == "Re: Thank you"
    ja = render_thank_you(make_contact(name="山田"), PROFILE_JA, "ja", "re:")
    assert ja.subject == "Re: ありがとうございました"


# --- helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Re: Lunch"),
        ("Re: Lunch", "Re: Lunch"),
        ("RE: Lunch", "Re: Lunch"),
        ("re: Lunch", "Re: Lunch"),
        ("Re: RE: re:Lunch", "Re: Lunch"),
        ("Re[2]: Lunch", "Re: Lunch"),
        ("  Re :  Lunch  ", "Re: Lunch"),
        ("Ｒｅ：ランチ", "Re: ランチ"),
        ("AW: Lunch", "Re: Lunch"),
        ("Fwd: Lunch", "Re: Fwd: Lunch"),
        ("Return of the Jedi", "Re: Return of the Jedi"),
        ("Re: Lunch\r\nBcc: evil@example.com", "Re: Lunch Bcc: evil@example.com"),
    ],
)
def test_re_subject(subject: str, expected: str) -> None:
    assert re_subject(subject) == expected


def test_subject_and_names_never_span_lines() -> None:
    contact = make_contact(name="Jane\r\nBcc: x@y", subject="Re: a\nb")
    draft = render_reconnection(contact, Profile("Me\nYou", reason="r"), "en", NOW)
    assert "\n" not in draft.subject and "\r" not in draft.subject
    assert '"a b"' in draft.body


def test_long_last_subject_is_shortened() -> None:
    draft = render_reconnection(make_contact(subject="x" * 300), PROFILE_EN, "en", NOW)
    assert "x" * 79 + "…" in draft.body
    assert "x" * 79 in draft.body and "x" * 80 not in draft.body


START = datetime(2010, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "en", "ja"),
    [
        (3, "a few days", "数日"),
        (12, "a few weeks", "数週間"),
        (365 * 10 - 1, "about ten years", "約10年"),
        (45, "about a month", "約1か月"),
        (100, "about three months", "約3か月"),
        (365, "about a year", "約1年"),
        (420, "over a year", "1年以上"),
        (540, "a year and a half", "1年半"),
        (670, "almost two years", "2年近く"),
        (365 * 3 + 200, "over three years", "3年以上"),
        (365 * 4 - 40, "almost four years", "4年近く"),
        (365 * 10 + 20, "about ten years", "約10年"),
        (365 * 25 + 20, "about 25 years", "約25年"),
    ],
)
def test_elapsed_in_words(days: int, en: str, ja: str) -> None:
    end = START + timedelta(days=days)
    assert elapsed_in_words(START, end, "en") == en
    assert elapsed_in_words(START, end, "ja") == ja
    # Order does not matter.
    assert elapsed_in_words(end, START, "en") == en


def test_elapsed_in_words_mixes_timezones_and_naive() -> None:
    tokyo = datetime(2015, 1, 1, 8, 0, tzinfo=UTC).astimezone()
    assert elapsed_in_words(datetime(2005, 1, 1), tokyo, "en") == "about ten years"


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError):
        elapsed_in_words(START, NOW, "fr")
    with pytest.raises(ValueError):
        render_reconnection(make_contact(), PROFILE_EN, "fr", NOW)


def test_profile_signature_defaults_to_display_name() -> None:
    assert Profile("Taro", "r").signature == "Taro"
    assert Profile("Taro", "r", signature="T.\nACME").signature == "T.\nACME"


# --- templates: packaging, overrides, errors -----------------------------------

TEMPLATE_NAMES = (
    "reconnection_en.txt.j2",
    "reconnection_ja.txt.j2",
    "thank_you_en.txt.j2",
    "thank_you_ja.txt.j2",
)


def test_defaults_ship_inside_the_package() -> None:
    files = importlib.resources.files("worker.defaults.templates")
    for name in TEMPLATE_NAMES:
        assert files.joinpath(name).is_file(), name


def test_defaults_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    draft = render_reconnection(make_contact(), PROFILE_EN, "en", NOW)
    assert draft.body.startswith("Hi Jane,")


def test_override_dir_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "reconnection_en.txt.j2").write_text(
        "Subject: Custom for {{ addressee }}\n\nYo {{ addressee }}! {{ reason }} ({{ elapsed }})\n",
        encoding="utf-8",
    )
    draft = render_reconnection(make_contact(), PROFILE_EN, "en", NOW, override_dir=tmp_path)
    assert draft.subject == "Custom for Jane"
    assert draft.body == f"Yo Jane! {REASON_EN}. (about ten years)\n"
    # Templates the user did not override still come from the package.
    thanks = render_thank_you(make_contact(), PROFILE_EN, "en", "Hi", override_dir=tmp_path)
    assert thanks.subject == "Re: Hi"
    assert "Thank you for your reply" in thanks.body
    # Without the override directory, the default is used.
    assert render_reconnection(make_contact(), PROFILE_EN, "en", NOW).subject.startswith("Hello")


def test_missing_override_dir_falls_back_to_defaults(tmp_path: Path) -> None:
    draft = render_reconnection(
        make_contact(), PROFILE_EN, "en", NOW, override_dir=tmp_path / "does-not-exist"
    )
    assert draft.subject == "Hello again from Taro Tanaka"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("Subject: x\n\n{% if addressee %}unclosed\n", "syntax error"),
        ("Subject: x\n\nHello {{ no_such_variable }}\n", "undefined"),
        ("Hello {{ addressee }}, no subject line\n", "Subject"),
        ("Subject: only a subject\n\n\n", "empty body"),
    ],
)
def test_broken_override_raises_template_error(tmp_path: Path, source: str, fragment: str) -> None:
    (tmp_path / "reconnection_en.txt.j2").write_text(source, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        render_reconnection(make_contact(), PROFILE_EN, "en", NOW, override_dir=tmp_path)
    assert "reconnection_en.txt.j2" in str(info.value)
    assert fragment in str(info.value)


def test_missing_template_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="gift_en.txt.j2"):
        render_template("gift_en.txt.j2", {}, "en")
    with pytest.raises(TemplateError, match="not found"):
        render_template("../pyproject.toml", {}, "en")
