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
REASON_EN = "I am moving into product design and would love your view on it"
REASON_JA = (
    "この春からプロダクトデザインの仕事に移ることになり、ぜひご意見を伺いたいと思っています。"
)


def make_contact(
    name: str = "Jane Doe",
    subject: str = "Re: Q3 roadmap",
    first: datetime | None = datetime(2012, 3, 1, tzinfo=UTC),
    last: datetime | None = datetime(2015, 4, 20, tzinfo=UTC),
    email: str = "jane@gmail.com",  # free mail: no business register by domain
) -> Contact:
    return Contact(
        email=email,
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
# Without a history read from the mailbox (facts=None), a draft knows what the
# contact index knows: the name, the dates and the last subject.


def test_reconnection_en_structure() -> None:
    draft = render_reconnection(make_contact(), PROFILE_EN, "en", NOW)
    assert isinstance(draft, Draft)
    assert draft.language == "en"
    assert "Taro Tanaka" in draft.subject and "Hello again" not in draft.subject
    paras = paragraphs(draft.body)
    assert paras[0] == "Hi Jane,"
    # Warm opening without apology, then when we last wrote, in words.
    assert paras[1].startswith("I hope") and "spring 2015" in paras[1]
    assert REASON_EN + "." in paras[2]  # the reason, plainly and early, with a full stop
    assert "20-minute call" not in draft.body  # the request follows the reason (advice)
    # the reason asks for their view itself: no second request of Kizuna's, the exit follows
    assert draft.body.count("your view") == 1
    assert "don't worry" in paras[3]
    assert draft.body.endswith("Taro Tanaka\n")
    for banned in ("Re:", "sorry", "—", "thought of you", "good knowing you", '"Q3 roadmap"'):
        assert banned not in draft.body
    assert len(draft.body) < 1200


def test_reconnection_en_for_a_japanese_name_never_writes_japanese_script() -> None:
    draft = render_reconnection(make_contact(name="山田 太郎"), PROFILE_EN, "en", NOW)
    assert draft.body.startswith("Hi Yamada-san,\n")
    romaji = render_reconnection(make_contact(name="YAMADA Taro"), PROFILE_EN, "en", NOW)
    assert romaji.body.startswith("Hi Yamada-san,\n")  # not "Hi Yamada,"


@pytest.mark.parametrize(
    "contact",
    [
        make_contact(name="", subject="", first=None, last=None),
        make_contact(name="", subject="", first=None),
        make_contact(name="", last=None, first=None),
    ],
)
def test_reconnection_en_missing_data(contact: Contact) -> None:
    draft = render_reconnection(contact, PROFILE_EN, "en", NOW)
    paras = paragraphs(draft.body)
    assert paras[0] == "Hello,"
    assert "None" not in draft.body
    assert '""' not in draft.body
    assert "since 20" not in draft.body


def test_reconnection_en_without_a_reason_asks_only_for_news() -> None:
    draft = render_reconnection(make_contact(), Profile("Taro", reason="  "), "en", NOW)
    assert "what you've been up to" in draft.body
    assert "your view" not in draft.body
    assert draft.body.endswith("Taro\n")


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


def test_reconnection_ja_structure() -> None:
    contact = make_contact(name="山田 太郎", subject="Re: Q3 ロードマップ")
    draft = render_reconnection(contact, PROFILE_JA, "ja", NOW)
    assert draft.language == "ja"
    assert draft.subject.endswith("田中 花子です）")
    assert "より）" not in draft.subject
    paras = paragraphs(draft.body)
    assert paras[0] == "山田さん"
    assert paras[1].startswith("お久しぶりです。")
    assert "2015年の春" in paras[1]
    assert any(REASON_JA in p for p in paras[:3])
    assert draft.body.count("近況") <= 1
    assert "20分" not in draft.body
    assert "年からのご縁" not in draft.body
    assert "どうぞ気にしないでください" in draft.body
    for wording in ("お気遣いなく", "つながれ", "近況をお伝えしたくて", "申し訳", "すみません"):
        assert wording not in draft.body
    assert draft.body.endswith("田中 花子\nhanako@example.jp\n")
    assert len(draft.body) < 1200


def test_reconnection_ja_company_prefix_is_never_a_name() -> None:
    for name, expected in (("株式会社ABC 山田太郎", "山田様"), ("総務部 佐藤", "佐藤様")):
        contact = make_contact(name=name, email="x@abc.co.jp")
        draft = render_reconnection(contact, PROFILE_JA, "ja", NOW)
        assert paragraphs(draft.body)[0] == expected  # a company domain: business, 様
        assert "株式会社ABCさん" not in draft.body and "総務部さん" not in draft.body


def test_reconnection_ja_missing_data() -> None:
    contact = make_contact(name="", subject="", first=None, last=None)
    draft = render_reconnection(contact, Profile("田中", reason=""), "ja", NOW)
    assert "「」" not in draft.body
    assert "None" not in draft.body
    assert "年からのご縁" not in draft.body
    assert "経ちました" not in draft.body


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
    assert "Bcc:" not in draft.body.split("\n")[0]


def test_a_subject_that_is_no_topic_is_never_quoted() -> None:
    for subject in ("x" * 300, "Invoice #2231", "Re:", "photos", "lunch?"):
        draft = render_reconnection(make_contact(subject=subject), PROFILE_EN, "en", NOW)
        assert subject not in draft.body and subject not in draft.subject
        assert "spring 2015" in draft.body  # the plain "when" instead


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
    assert "Taro Tanaka" in draft.subject


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
    assert render_reconnection(make_contact(), PROFILE_EN, "en", NOW).subject.startswith("Taro")


def test_missing_override_dir_falls_back_to_defaults(tmp_path: Path) -> None:
    draft = render_reconnection(
        make_contact(), PROFILE_EN, "en", NOW, override_dir=tmp_path / "does-not-exist"
    )
    assert draft.subject.startswith("Taro Tanaka")


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
