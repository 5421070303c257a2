"""Language choice and how to address people."""

from __future__ import annotations

import pytest

from worker.errors import ConfigError
from worker.model import Contact
from worker.outreach.language import (
    choose_language,
    english_first_name,
    is_japanese_text,
    japanese_honorific_name,
)


def person(name: str = "", subject: str = "", japanese: bool = False) -> Contact:
    return Contact(
        email="p@example.com",
        name=name,
        first_contact=None,
        last_contact=None,
        last_sent=None,
        last_received=None,
        sent_count=1,
        received_count=1,
        last_subject=subject,
        japanese=japanese,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ひらがな", True),
        ("カタカナ", True),
        ("漢字", True),
        ("ｶﾀｶﾅ", True),
        ("Re: 打ち合わせ", True),
        ("佐々木", True),
        ("Lunch next week?", False),
        ("Ünïcödé café", False),
        ("", False),
    ],
)
def test_is_japanese_text(text: str, expected: bool) -> None:
    assert is_japanese_text(text) is expected


@pytest.mark.parametrize(
    ("setting", "contact", "expected"),
    [
        ("auto", person("Jane Doe", "Lunch"), "en"),
        ("auto", person("山田 太郎", "Lunch"), "ja"),
        ("auto", person("Taro Yamada", "来週の打ち合わせ"), "ja"),
        ("auto", person("Taro Yamada", "Lunch", japanese=True), "ja"),
        ("auto", person(), "en"),
        ("AUTO ", person("山田"), "ja"),
        ("ja", person("Jane Doe", "Lunch"), "ja"),
        ("en", person("山田 太郎", "打ち合わせ", japanese=True), "en"),
        ("EN", person("山田"), "en"),
    ],
)
def test_choose_language(setting: str, contact: Contact, expected: str) -> None:
    assert choose_language(setting, contact) == expected


def test_choose_language_rejects_unknown_setting() -> None:
    with pytest.raises(ConfigError) as info:
        choose_language("fr", person())
    assert info.value.key == "outreach.language"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("山田 太郎", "山田さん"),
        ("山田\u3000太郎", "山田さん"),  # full-width space
        ("山田太郎", "山田さん"),  # 4 kanji: first 2
        ("山田翼", "山田さん"),  # 3 kanji: first 2
        ("山田", "山田さん"),  # family name alone
        ("林", "林さん"),
        ("長谷川太郎", "長谷川さん"),  # known 3-character family name
        ("佐々木健", "佐々木さん"),
        ("佐々木 健", "佐々木さん"),
        ("小早川秀秋", "小早川さん"),  # 5+ kanji: first 3
        ("山田はなこ", "山田さん"),  # kanji then kana: the kanji run
        ("やまだ たろう", "やまださん"),
        ("やまだたろう", "やまだたろうさん"),  # kana only, unsplittable: whole
        ("山田太郎 様", "山田さん"),
        ("山田様", "山田さん"),
        ("山田 太郎（ACME株式会社）", "山田さん"),
        ("Taro Yamada 山田 太郎", "山田さん"),
        ("Jane Doe", None),
        ("Taro Yamada", None),
        ("", None),
        ("   ", None),
        ("様", None),
    ],
)
def test_japanese_honorific_name(name: str, expected: str | None) -> None:
    assert japanese_honorific_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe", "Jane"),
        ("Doe, Jane", "Jane"),
        ('"Doe, Jane"', "Jane"),
        ("Jane", "Jane"),
        ("Dr. Jane Doe", "Jane"),
        ("JANE DOE", "Jane"),
        ("jane doe", "Jane"),
        ("Mary-Ann O'Neil", "Mary-Ann"),
        ("Jane Doe (ACME)", "Jane"),
        ("", None),
        ("   ", None),
        ("jane@example.com", None),
        ("山田 太郎", None),
    ],
)
def test_english_first_name(name: str, expected: str | None) -> None:
    assert english_first_name(name) == expected
