"""Language: of a text, of a draft, of Kizuna's own words."""

from __future__ import annotations

import pytest

from worker.errors import ConfigError
from worker.words.language import (
    bodies_language,
    choose,
    draft_language,
    interface_language,
    is_japanese_text,
    text_language,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("先日はありがとうございました。", "ja"),
        ("山田です。Berlin conference の資料を送ります。", "ja"),
        ("Slack と Zoom の URL はこちらです: https://example.com/very/long/path", "ja"),
        ("Thanks for lunch! See you in Berlin.", "en"),
        ("Thanks! 山田", "en"),  # a signature's name does not make it Japanese
        ("北京欢迎你", None),  # Han characters without kana: not Japanese; no Latin either
        ("OK", None),
        ("", None),
        (None, None),
    ],
)
def test_text_language(text: str | None, expected: str | None) -> None:
    assert text_language(text) == expected


def test_is_japanese_text() -> None:
    assert is_japanese_text("Re: 打ち合わせ")
    assert not is_japanese_text("Lunch?")
    assert not is_japanese_text(None)


def test_bodies_language_mine_first() -> None:
    assert bodies_language(["Hi Taro, thanks!"], ["ありがとうございます。"]) == "en"
    assert bodies_language([], ["ありがとうございます。", "はい、了解です。"]) == "ja"
    assert bodies_language(["OK"], ["ok"]) is None
    # A tie goes to the latest.
    assert bodies_language(["Thanks a lot!", "ありがとうございます。"]) == "ja"


@pytest.mark.parametrize(
    ("written", "subjects", "name", "expected"),
    [
        ("ja", [], "YAMADA Taro", "ja"),  # romaji name, Japanese bodies
        ("en", [], "Taro Yamada", "en"),  # romaji name, English bodies
        ("en", [], "山田太郎", "en"),  # what the two wrote decides over the name
        (None, ["Re: 勉強会の資料"], "Taro Yamada", "ja"),
        (None, ["Lunch", "Photos"], "山田太郎", "en"),
        (None, [], "山田太郎", "ja"),
        (None, [], "株式会社ABC 山田", "ja"),
        (None, [], "John Smith", "en"),
        (None, [], "", "en"),
    ],
)
def test_draft_language_auto(
    written: str | None, subjects: list[str], name: str, expected: str
) -> None:
    assert draft_language("auto", written=written, subjects=subjects, name=name) == expected


def test_draft_language_forced_and_invalid() -> None:
    assert draft_language("en", written="ja", name="山田") == "en"
    assert draft_language(" JA ", written="en") == "ja"
    with pytest.raises(ConfigError) as caught:
        draft_language("fr")
    assert caught.value.key == "outreach.language"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "", "LANG": "ja_JP.eucJP"}, "ja"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_interface_language_auto(environ: dict[str, str], expected: str) -> None:
    assert interface_language("auto", environ) == expected


def test_interface_language_forced_and_invalid() -> None:
    assert interface_language("ja", {"LANG": "en_US.UTF-8"}) == "ja"
    with pytest.raises(ConfigError) as caught:
        interface_language("de", {})
    assert caught.value.key == "account.language"


def test_choose_is_stable_and_spreads() -> None:
    options = ["a", "b", "c"]
    assert choose(options, "x@example.com", "slot") == choose(options, " X@example.com", "slot")
    picks = {choose(options, f"p{i}@example.com", "slot") for i in range(30)}
    assert picks == set(options)
    # Different slots are chosen independently.
    assert (
        len(
            {
                (choose(options, f"p{i}@e.com", "s1"), choose(options, f"p{i}@e.com", "s2"))
                for i in range(30)
            }
        )
        > 3
    )
    with pytest.raises(ValueError):
        choose([], "x", "slot")
