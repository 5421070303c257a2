"""A one-sentence reason that already asks: the draft adds no second request of its own."""

from __future__ import annotations

import pytest

from worker.words.requests import asks_already

ASKS = [
    "I am moving into product design and would love your view on it.",
    "Could you introduce me to someone on your design team?",
    "I'd be grateful for twenty minutes of your time.",
    "I would appreciate any advice on moving to Lisbon.",
    "If you have a moment, I'd love to hear how you made the switch.",
    "Any chance you're free for coffee next month?",
    "Please let me know if your team is hiring.",
    "転職を考えています。ご意見を伺えませんか。",
    "デザインチームの方をご紹介いただけないでしょうか。",
    "一度お話を伺いたいと思っています。",
    "近況を聞かせてください。",
    "お時間をいただけましたら幸いです。",
]
STATES = [
    "I moved to Lisbon last spring.",
    "I am moving into product design.",
    "I left the agency in March and I'm freelancing now.",
    "I'm not asking for anything; I just thought of our old project.",
    "この春から、プロダクトデザインの仕事に移ろうとしております。",
    "転職を考えています。",
    "昨年、リスボンに引っ越しました。",
    "",
]


@pytest.mark.parametrize("reason", ASKS)
def test_a_reason_that_asks(reason: str) -> None:
    assert asks_already(reason)


@pytest.mark.parametrize("reason", STATES)
def test_a_reason_that_only_tells(reason: str) -> None:
    assert not asks_already(reason)
