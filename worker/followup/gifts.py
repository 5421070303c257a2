"""Does a reply sound tired, and what would make a fitting thank-you gift?

Pure, cheap heuristics over the new text of a reply (see
:func:`worker.replyparse.strip_quoted`), in English and Japanese. The gift
prompt (:func:`worker.prompts.gift_prompt`) puts rest first for a tired
correspondent.
"""

from __future__ import annotations

import re

__all__ = ["sounds_tired", "gift_ideas"]

# English words and phrases of fatigue or overload.
_EN_TIRED = re.compile(
    r"\b(?:"
    r"tired|exhausted|exhausting|worn[- ]out|drained|wiped out|knackered|"
    r"swamped|slammed|snowed under|buried in work|"
    r"busy|busier|busiest|hectic|crazy (?:busy|week|month|time)|"
    r"stressed|stressful|stress|overwhelmed|overwhelming|overworked|"
    r"burn(?:ed|t)[- ]out|burnout|running on empty|"
    r"no time|little sleep|barely slept|sleep[- ]deprived|"
    r"rough (?:week|month|year|time)|hard (?:week|month|year|time)"
    r")\b",
    re.IGNORECASE,
)
# "not busy", "not too busy", "no stress", "not at all tired": a negation at
# most three words before the match cancels it. "never" does not: "never been
# busier" is a complaint.
_EN_NEGATION = re.compile(
    r"\b(?:not|no|no longer|isn't|aren't|wasn't|weren't|ain't|hardly|less|without)"
    r"(?:\s+\w+){0,2}\s*$",
    re.IGNORECASE,
)

# "I know you're busy", "hope your week isn't too hectic": about the reader.
_EN_ABOUT_READER = re.compile(r"\byou(?:'re| are|r)?(?:\s+\w+){0,2}\s*$", re.IGNORECASE)

# Japanese stems: 疲れ(た/ている), 忙し(い/くて), バタバタ, 大変, 余裕がな(い), しんど(い)...
_JA_TIRED = re.compile(
    r"疲れ|つかれ|お疲れ気味|忙し|いそがし|多忙|バタバタ|ばたばた|大変|余裕がな|余裕があり?ませ|"
    r"しんど|ヘトヘト|へとへと|クタクタ|くたくた|寝不足|睡眠不足|ストレス|激務|残業続き|"
    r"手一杯|てんてこ舞い|追われて"
)
# 忙しくない / 疲れていない / 大変ではない / 忙しくはありません: the stem followed by a negation.
_JA_NEGATED = re.compile(
    r"(?:忙しく|いそがしく|疲れて|つかれて|大変で|バタバタして|しんどく)"
    r"(?:は|も)?(?:ない|なかった|ありません|ありませんでした|いない|いません|なく)"
)
# "お疲れ様です" is a greeting, not a complaint.
_JA_GREETING = re.compile(r"お疲れ(?:様|さま)(?:です|でした)?")


def sounds_tired(text: str) -> bool:
    """True when ``text`` says its writer is tired, busy, stressed or overloaded.

    >>> sounds_tired("Work has been hectic lately.")
    True
    >>> sounds_tired("Not too busy these days, happy to chat!")
    False
    >>> sounds_tired("最近仕事でバタバタしています。")
    True
    """
    if not text:
        return False
    for match in _EN_TIRED.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if not _EN_NEGATION.search(before) and not _EN_ABOUT_READER.search(before):
            return True
    ja = _JA_GREETING.sub("", _JA_NEGATED.sub("", text))
    return bool(_JA_TIRED.search(ja))


_IDEAS: dict[str, dict[bool, tuple[str, ...]]] = {
    "en": {
        True: (
            "a spa or massage gift voucher, for some rest",
            "a good bottle of wine",
            "a gift card they can use at leisure",
            "a handwritten thank-you letter",
        ),
        False: (
            "a good bottle of wine",
            "a gift card",
            "a book you think they would enjoy",
            "a handwritten thank-you letter",
        ),
    },
    "ja": {
        True: (
            "スパ・マッサージのギフト券（ゆっくり休んでもらえるように）",
            "ワイン",
            "好きな時に使えるギフトカード",
            "手書きのお礼状",
        ),
        False: (
            "ワイン",
            "ギフトカード",
            "相手が喜びそうな本",
            "手書きのお礼状",
        ),
    },
}


def gift_ideas(tired: bool, language: str) -> list[str]:
    """Gift ideas, best first: rest first for a tired correspondent.

    ``language`` is "ja" or "en" (anything else, e.g. "ja-JP", is reduced to its
    primary tag, and an unknown language gets English).
    """
    primary = (language or "en").split("-", 1)[0].split("_", 1)[0].lower()
    ideas = _IDEAS.get(primary, _IDEAS["en"])
    return list(ideas[bool(tired)])
