"""Did they sound tired, and what thank-you fits the favour?

The seed: thank people once they have helped, with a gift that fits the person
(a spa ticket for someone who sounds worn out). Kizuna adds: fit the favour
too. A reply earns a note; a call or advice, coffee or sweets; an introduction
or real work, a real gift. In Japan especially, wine for one e-mail would
embarrass the reader.

:func:`sounds_tired` reads the new text of a reply; greetings
(``大変ご無沙汰しております``, ``お疲れ様です``), words about the reader
(``お忙しいところ``, "I know you're busy"), negations ("not too busy") and
contrasts ("busy with the kids but all good", ``バタバタしていますが元気です``)
are not tiredness. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Favour", "GiftSuggestion", "sounds_tired", "gift_suggestion", "favour_label"]


class Favour(StrEnum):
    """What the contact did for you, smallest first."""

    REPLY = "reply"
    CALL = "call"
    ADVICE = "advice"
    INTRODUCTION = "introduction"  # an introduction or a referral
    WORK = "work"


_A = "['’]"
_I = re.IGNORECASE

_EN_TIRED = re.compile(
    r"\b(?:tired|exhausted|exhausting|worn[- ]out|drained|wiped out|knackered|shattered|"
    r"burn(?:ed|t)[- ]?out|burnout|running on (?:empty|fumes)|swamped|slammed|snowed under|"
    r"buried (?:in|under)|overwhelmed|overwhelming|overworked|overloaded|stressed(?: out)?|"
    r"stressful|under (?:a lot of|so much|huge|enormous|a ton of|heavy|real) (?:pressure|stress)|"
    r"(?:tough|rough|hard|difficult|brutal|draining|crazy|insane|trying|exhausting) "
    r"(?:year|few (?:weeks|months|years)|couple of (?:weeks|months)|time|stretch|patch|week|month|"
    r"season|spring|summer|autumn|fall|winter|quarter)|"
    r"(?:crazy|insanely|ridiculously|incredibly|extremely|super|really|so|very|terribly) busy|"
    r"hectic|stretched (?:thin|too thin)|at (?:my|the end of my) (?:limit|tether|rope)|"
    r"little sleep|barely (?:slept|sleeping)|not sleeping|sleep[- ]deprived|no sleep|"
    r"(?:a lot|too much|so much) on my plate|drowning|struggling|it{_A}s been a lot|"
    r"been a lot lately|haven{_A}t had a (?:day|weekend|break) off|no break|need a (?:break|holiday|"
    r"vacation|rest)|run(?:ning)? ragged|run off my feet|fried|worn down|a bit much|"
    r"(?:no|zero) energy|completely spent)\b".replace("{_A}", _A),
    _I,
)
# "not too busy", "no longer stressed", "less hectic now": a negation just before.
_EN_NEG = re.compile(
    rf"\b(?:not|no|no longer|never|isn{_A}t|aren{_A}t|wasn{_A}t|weren{_A}t|hardly|less|without|"
    rf"not (?:as|that|too|so)|nowhere near)\b(?:\s+\w+){{0,2}}\s*$",
    _I,
)
# About the reader, not the writer: "I know you're busy", "hope you're not too tired".
_EN_ABOUT_YOU = re.compile(
    rf"\byou(?:{_A}re| are|r| must be| seem| sound)?(?:\s+\w+){{0,2}}\s*$", _I
)
# "busy with the kids but all good": a positive turn after the tired words.
_EN_BUT_FINE = re.compile(
    r"^[^.!?\n]*?\b(?:but|though|although|yet)\b[^.!?\n]*?\b(?:all good|good(?! to)|great(?! to)|"
    r"fine|(?:all|doing|going|very) well|happy(?! to)|fun|loving it|love it|enjoying|can{_A}t complain|worth it|in a good way|rewarding|"
    r"exciting|fulfilling|thriving|wonderful|lovely)\b".replace("{_A}", _A),
    _I,
)
_EN_GOOD_BUSY = re.compile(r"\b(?:good|happy|fun) (?:kind of )?busy\b|busy in a good way", _I)

_JA_TIRED = re.compile(
    r"疲れ(?!様|さま)|つかれ(?!さま)|疲労|立て込|バタバタ|ばたばた|忙殺|多忙(?!の(?:ところ|中|折))|手一杯"
    r"|余裕が(?:なく|ない|ありませ)|しんど|ヘトヘト|へとへと|クタクタ|くたくた|寝不足|睡眠不足|激務"
    r"|残業(?:続き|ばかり|が続)|てんてこ舞い|追われ|体調を崩|参って(?:い|お|ま)|目が回る|息つく暇"
    r"|忙しく(?:て|、|しており|しています|しておりま)|忙しい(?:日々|毎日|です|状況|時期|一年|年)|忙しかった"
    r"|忙しくしており|大変(?:でした|です|な(?:一年|年|時期|毎日|状況|日々)|で(?:、|して))"
    r"|ストレス|プレッシャー|燃え尽き|限界|休む暇|寝る暇|ハード(?:な|で)|忙しすぎ|手が離せな"
)
# Greetings and words about the reader: お疲れ様です, 大変ご無沙汰, お忙しいところ, ご多忙の中.
_JA_NOT_ME = re.compile(
    r"お疲れ(?:様|さま)(?:です|でした|でございます)?|大変(?:ご無沙汰|お世話|失礼|恐縮|嬉し|うれし|ありがた|助か"
    r"|申し訳|光栄|楽し|勉強|お待たせ|驚|懐かし)|お忙しい(?:ところ|中|なか|ようでしたら|とは|と思)|ご多忙"
    r"|お疲れ(?:のところ|の中|でしょう|ではない)|(?:大変|忙しい)(?:かと|とは|と)思(?:います|いますが|うので)"
)
_JA_NEGATED = re.compile(
    r"(?:忙しく|いそがしく|疲れて|つかれて|大変で|バタバタして|しんどく|立て込んで)"
    r"(?:は|も)?(?:ない|なかった|ありません|ありませんでした|いない|いません|おりません|なく)"
    r"|(?:落ち着き|落ち着い)(?:ました|てきました|ています)"
)
_JA_BUT_FINE = re.compile(
    r"(?:が|けど|けれど|けれども|ものの|ながら|ですが|ますが|ましたが)、?[^。！？\n]*?"
    r"(?:元気|楽しく|楽しい|充実|順調|幸せ|おかげさまで|なんとか(?:やって|楽し)|充実)"
)


def _en_tired(text: str) -> bool:
    for m in _EN_TIRED.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if _EN_NEG.search(before) or _EN_ABOUT_YOU.search(before):
            continue
        sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        around = text[sentence_start : m.end() + 60]
        if _EN_GOOD_BUSY.search(around) or _EN_BUT_FINE.match(text[m.start() :]):
            continue
        return True
    return False


def _ja_tired(text: str) -> bool:
    cleaned = _JA_NOT_ME.sub("　", _JA_NEGATED.sub("　", text))
    for m in _JA_TIRED.finditer(cleaned):
        end = re.search(r"[。！？!?\n]", cleaned[m.end() :])
        rest = cleaned[m.end() : m.end() + (end.start() if end else 80)]
        if _JA_BUT_FINE.search(rest):
            continue
        return True
    return False


def sounds_tired(text: str) -> bool:
    """True when the writer of ``text`` says they are tired, overloaded or under strain.

    >>> sounds_tired("It's been a tough year, honestly.")
    True
    >>> sounds_tired("Busy with the kids but all good!")
    False
    >>> sounds_tired("大変ご無沙汰しております。")
    False
    >>> sounds_tired("最近は仕事が立て込んでいて……")
    True
    """
    if not text:
        return False
    return _en_tired(text) or _ja_tired(text)


@dataclass(frozen=True)
class GiftSuggestion:
    """A thank-you that fits the favour: ideas best first, and a one-line note on the scale."""

    favour: Favour
    tired: bool
    ideas: tuple[str, ...]
    note: str


_IDEAS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "reply": ("a warm thank-you note — for a reply, no gift is needed",),
        "small": (
            "a bag of good coffee or a coffee-shop gift card",
            "a box of nice chocolates or sweets",
            "a handwritten thank-you card",
        ),
        "small_tired": (
            "a box of good tea, for a quiet moment",
            "a bag of good coffee or a coffee-shop gift card",
            "a box of nice chocolates or sweets",
            "a handwritten thank-you card",
        ),
        "big": (
            "a good bottle of wine",
            "a gift card they can use as they like",
            "a handwritten thank-you letter to go with it",
        ),
        "big_tired": (
            "a spa or massage voucher, for some rest",
            "a good bottle of wine",
            "a gift card they can use as they like",
            "a handwritten thank-you letter to go with it",
        ),
    },
    "ja": {
        "reply": ("お礼のメールや手書きのお礼状（返信へのお礼に品物は要りません）",),
        "small": (
            "コーヒーギフト",
            "お菓子の詰め合わせ",
            "手書きのお礼状",
        ),
        "small_tired": (
            "ゆっくり味わえるお茶のギフト",
            "コーヒーギフト",
            "お菓子の詰め合わせ",
            "手書きのお礼状",
        ),
        "big": (
            "ワイン",
            "ギフトカード（好きなものを選んでもらえるように）",
            "品物に添える手書きのお礼状",
        ),
        "big_tired": (
            "スパやマッサージのギフト券（ゆっくり休んでもらえるように）",
            "ワイン",
            "ギフトカード（好きなものを選んでもらえるように）",
            "品物に添える手書きのお礼状",
        ),
    },
}

_NOTES: dict[str, dict[str, str]] = {
    "en": {
        "reply": "A reply deserves thanks, not a gift: a gift would feel like too much.",
        "small": "For a call or advice, something small says thank you without weighing on them.",
        "big": "An introduction or real work is a real favour: a real gift fits.",
    },
    "ja": {
        "reply": "返信へのお礼には、品物より言葉を。贈り物はかえって気を遣わせてしまいます。",
        "small": "お話やアドバイスへのお礼には、相手の負担にならないささやかな品がちょうどよいでしょう。",
        "big": "ご紹介やお仕事は大きなお力添えです。きちんとした贈り物がふさわしいでしょう。",
    },
}

_LABELS: dict[str, dict[Favour, str]] = {
    "en": {
        Favour.REPLY: "a reply",
        Favour.CALL: "a call",
        Favour.ADVICE: "advice",
        Favour.INTRODUCTION: "an introduction or referral",
        Favour.WORK: "real work",
    },
    "ja": {
        Favour.REPLY: "返信",
        Favour.CALL: "通話・面談",
        Favour.ADVICE: "アドバイス",
        Favour.INTRODUCTION: "紹介",
        Favour.WORK: "仕事の協力",
    },
}


def _lang(language: str) -> str:
    return "ja" if (language or "").lower().startswith("ja") else "en"


def favour_label(favour: Favour | str, language: str) -> str:
    """How the page, the add-on and the reminder mail name a favour, in one word each."""
    return _LABELS[_lang(language)][Favour(favour)]


def gift_suggestion(favour: Favour | str, tired: bool, language: str) -> GiftSuggestion:
    """Gift ideas scaled to ``favour``, best first; rest first for someone who sounded tired.

    A reply gets a note, never a gift; a call or advice gets coffee or sweets;
    an introduction or work gets a real gift (wine, a gift card; a spa
    voucher first when they sounded tired).
    """
    f = Favour(favour)
    lang = _lang(language)
    scale = (
        "reply" if f is Favour.REPLY else "small" if f in (Favour.CALL, Favour.ADVICE) else "big"
    )
    key = scale if scale == "reply" or not tired else f"{scale}_tired"
    return GiftSuggestion(f, bool(tired), _IDEAS[lang][key], _NOTES[lang][scale])
