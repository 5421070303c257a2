"""Tired-sounding replies and gift ideas."""

from __future__ import annotations

import pytest

from worker.followup.gifts import gift_ideas, sounds_tired


@pytest.mark.parametrize(
    "text",
    [
        "I'm so tired these days.",
        "Work has been absolutely exhausting.",
        "Totally swamped with the launch.",
        "It's been a busy month!",
        "Things are hectic at home.",
        "Honestly a bit stressed.",
        "I feel overwhelmed.",
        "I burned out last year and I'm recovering.",
        "Never been busier!",
        "I know you're busy, but I have been swamped myself.",
        "最近ちょっと疲れ気味です。",
        "仕事が忙しくて、なかなか返信できずすみません。",
        "引っ越しでバタバタしていました。",
        "年末は本当に大変でした。",
        "最近余裕がなくて。",
        "正直しんどいです。",
    ],
)
def test_tired(text):
    assert sounds_tired(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Great to hear from you, let's meet soon!",
        "I'm not busy at all these days.",
        "Not too busy this month, happy to chat.",
        "No stress here, all good.",
        "I know you're busy, so no rush.",
        "Hope your week isn't too hectic.",
        "お疲れ様です。お元気ですか。",
        "最近は忙しくないので、いつでも大丈夫です。",
        "全然疲れていないですよ。",
        "元気にしています！",
    ],
)
def test_not_tired(text):
    assert sounds_tired(text) is False


def test_tired_ideas_put_rest_first():
    ideas = gift_ideas(True, "en")
    assert "spa" in ideas[0] and "massage" in ideas[0]
    assert "wine" in ideas[1]
    assert "gift card" in ideas[2]
    assert "handwritten" in ideas[3]


def test_rested_ideas():
    ideas = gift_ideas(False, "en")
    assert "wine" in ideas[0]
    assert "gift card" in ideas[1]
    assert "book" in ideas[2]
    assert "handwritten" in ideas[3]
    assert not any("spa" in idea for idea in ideas)


def test_japanese_ideas():
    tired = gift_ideas(True, "ja")
    assert tired[0].startswith("スパ・マッサージのギフト券")
    assert tired[1] == "ワイン"
    assert "ギフトカード" in tired[2]
    assert tired[3] == "手書きのお礼状"
    rested = gift_ideas(False, "ja")
    assert rested == ["ワイン", "ギフトカード", "相手が喜びそうな本", "手書きのお礼状"]


def test_language_tags_and_fallback():
    assert gift_ideas(True, "ja-JP") == gift_ideas(True, "ja")
    assert gift_ideas(False, "fr") == gift_ideas(False, "en")
    assert gift_ideas(False, "") == gift_ideas(False, "en")


def test_ideas_are_a_fresh_list():
    ideas = gift_ideas(True, "en")
    ideas.clear()
    assert gift_ideas(True, "en")
