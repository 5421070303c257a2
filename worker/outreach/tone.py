"""Check a draft's tone before it lands in Drafts.

The advice behind Kizuna: be direct but never demanding (someone you have not
written to for years owes you nothing), do not apologise for the silence, and
keep it short. :func:`check_tone` turns each of those into a human-readable
warning that names the phrase it found. It never changes the text.

Length limits (characters, whole text): English 1500, Japanese 800. Japanese
packs about twice the content into a character, so the two limits ask for
roughly the same reading time, a minute or two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_CHARS", "MAX_KUDASAI", "check_tone"]

DEFAULT_MAX_CHARS: dict[str, int] = {"en": 1500, "ja": 800}
# "〜してください" this many times or more reads as a list of orders.
MAX_KUDASAI = 3


@dataclass(frozen=True)
class _Rule:
    kind: str  # "demanding" or "apologetic"
    pattern: re.Pattern[str]
    advice: str


def _en(phrase: str) -> re.Pattern[str]:
    """A case-insensitive, word-bounded pattern; spaces match any whitespace."""
    body = r"\s+".join(phrase.split())
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


_DEMANDING = "demanding phrase"
_APOLOGETIC = "apologetic phrase"
_EN_DEMAND_ADVICE = "ask, don't demand: they owe you nothing after years apart"
_EN_APOLOGY_ADVICE = "open warmly instead: no need to apologise for the silence"
_JA_DEMAND_ADVICE = "率直に、でも要求しない: ask, don't demand"
_JA_APOLOGY_ADVICE = "ご無沙汰のお詫びは不要: open warmly without apologising"

_APOSTROPHE = "['’]"

_RULES: dict[str, tuple[_Rule, ...]] = {
    "en": (
        *(
            _Rule(_DEMANDING, _en(p), _EN_DEMAND_ADVICE)
            for p in (
                "ASAP",
                "as soon as possible",
                "you must",
                "I need you to",
                "you need to",
                "you have to",
                "urgent",
                "urgently",
                "immediately",
                "right away",
                "no later than",
                "without delay",
                "I expect you to",
            )
        ),
        *(
            _Rule(_APOLOGETIC, re.compile(p, re.IGNORECASE), _EN_APOLOGY_ADVICE)
            for p in (
                r"(?<!\w)sorry\s+(?:for|about)\s+(?:not|the|my|being|losing|having)\b[^.!?\n,—–]*",
                rf"(?<!\w)sorry\s+(?:it{_APOSTROPHE}s|it\s+has|I{_APOSTROPHE}ve|I\s+have"
                rf"|I\s+haven{_APOSTROPHE}t|I\s+didn{_APOSTROPHE}t|we\s+lost|I\s+lost)\b[^.!?\n,—–]*",
                r"(?<!\w)I\s+apologi[sz]e\b",
                r"(?<!\w)(?:my\s+)?apologies\b",
                r"(?<!\w)forgive\s+me\b",
            )
        ),
    ),
    "ja": (
        *(
            _Rule(_DEMANDING, re.compile(p), _JA_DEMAND_ADVICE)
            for p in ("大?至急", "必ず", "今すぐ", "早急", "絶対に", "直ちに", "期限厳守")
        ),
        *(
            _Rule(_APOLOGETIC, re.compile(p), _JA_APOLOGY_ADVICE)
            for p in (
                "申し訳",
                "すみません",
                "すいません",
                "ごめんなさい",
                "お詫び",
                "失礼いたしました",
            )
        ),
    ),
}


def check_tone(text: str, language: str, max_chars: int | None = None) -> list[str]:
    """Warnings for demanding, pressuring or apologetic phrasing and over-long text.

    ``language`` is ``"en"`` or ``"ja"``. ``max_chars`` overrides
    :data:`DEFAULT_MAX_CHARS` for the length check. English phrases match
    case-insensitively on word boundaries (``"urgent"`` but not
    ``"insurgent"``); each warning quotes the text as found, once per rule,
    with a count when it occurs more than once. An empty list means the tone
    is fine.

    >>> check_tone("Please reply ASAP.", "en")
    ['demanding phrase "ASAP": ask, don\\'t demand: they owe you nothing after years apart']
    """
    if language not in _RULES:
        raise ValueError(f"language must be one of {', '.join(_RULES)} (got {language!r})")
    warnings: list[str] = []
    for rule in _RULES[language]:
        matches = [m.group().strip() for m in rule.pattern.finditer(text)]
        if matches:
            count = f" ({len(matches)} times)" if len(matches) > 1 else ""
            warnings.append(f'{rule.kind} "{" ".join(matches[0].split())}"{count}: {rule.advice}')
    if language == "ja":
        kudasai = text.count("ください") + text.count("下さい")
        if kudasai >= MAX_KUDASAI:
            warnings.append(
                f'demanding phrase "ください" ({kudasai} times): '
                "お願いが続くと命令口調に聞こえます — vary the requests"
            )
    limit = DEFAULT_MAX_CHARS[language] if max_chars is None else max_chars
    if len(text) > limit:
        warnings.append(
            f"too long: {len(text)} characters (keep it under {limit}); "
            "a short note is easier to answer"
        )
    return warnings
