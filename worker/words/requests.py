"""The request and the way out follow the reason.

A reconnection draft says why you write (the reason), asks one thing, and
gives the reader a graceful way out (the seed: *if the timing is bad, no
pressure; I'd love to stay in touch anyway*). :func:`classify_ask` reads what
the reason asks for; :func:`request_for` returns the ask and the exit worded for
that kind, so a reason that asks for an introduction is not answered with a
fixed "20-minute call".

Japanese comes at two levels, one per draft: ``"formal"`` (様, business keigo)
and ``"polite"`` (さん, です・ます with light keigo). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AskKind",
    "Request",
    "classify_ask",
    "request_for",
    "kizuna_sentences",
    "asks_already",
]


class AskKind(StrEnum):
    """What a reason asks of the reader."""

    INTRODUCTION = "introduction"  # an introduction or a referral
    ADVICE = "advice"  # their view, advice, feedback
    WORK = "work"  # a job, a project, a collaboration
    MEETING = "meeting"  # a call, a coffee, a meeting
    CATCH_UP = "catch_up"  # nothing but news


@dataclass(frozen=True)
class Request:
    """The ask and the exit for one draft, in one language and level."""

    kind: AskKind
    request: str
    exit: str


_EN = re.IGNORECASE
_PATTERNS: tuple[tuple[AskKind, re.Pattern[str]], ...] = (
    (
        AskKind.INTRODUCTION,
        re.compile(
            r"\bintroduc(?:e|ing|tion)|\brefer(?:ral|ring| me)\b|put me in touch|connect me"
            r"|\bconnect (?:us|with)|\bintro\b|warm intro|know (?:anyone|someone|somebody)"
            r"|(?:pass|forward) (?:my|me)|recommend me|vouch|"
            r"紹介|おつなぎ|お繋ぎ|つないで|繋いで|つなげて|ご存じの方|ご存知の方|知り合いの方|推薦|橋渡し",
            _EN,
        ),
    ),
    (
        AskKind.ADVICE,
        re.compile(
            r"\b(?:advice|advise|feedback|opinion|pick your brain|tips|pointers|guidance"
            r"|sanity[- ]check|review my|look over)|アドバイス|助言|ご意見|ご教示|ご指導|お知恵",
            _EN,
        ),
    ),
    (
        AskKind.WORK,
        re.compile(
            r"\b(?:hire|hiring|job|role|position|opening|vacanc|freelance|contract(?:or)?|consult"
            r"|collaborat|partner(?:ship)?|work together|work with you|working together|project "
            r"together|join (?:your|the) team|client|commission|gig|co-?found|invest)"
            r"|求人|採用|転職|ポジション|仕事をご一緒|お仕事|一緒に(?:仕事|働|取り組)|協業|業務委託|案件"
            r"|共同(?:で|研究|開発)|提携|出資|ご依頼",
            _EN,
        ),
    ),
    (
        AskKind.ADVICE,
        re.compile(
            r"\b(?:advice|advise|view|opinion|thoughts|feedback|perspective|input|tips|pointers"
            r"|what you think|pick your brain|learn from|your take|sanity[- ]check|guidance"
            r"|recommendation|experience with|insight|look over|look at my|review my)"
            r"|アドバイス|助言|ご意見|意見|ご相談|相談|お考え|ご感想|感想|ご教示|教えて|ご経験|見解|ご指導"
            r"|お知恵|知恵",
            _EN,
        ),
    ),
    (
        AskKind.MEETING,
        re.compile(
            r"\b(?:call|chat|coffee|meet(?:ing|up)?|lunch|dinner|drink|zoom|video|phone|talk"
            r"|in person|catch up over|get together)\b"
            r"|お茶|食事|ランチ|お会い|会って|会いたい|お話し|お話を|通話|電話|オンライン|面談|飲み",
            _EN,
        ),
    ),
)


# A reason that already asks, in its own words: Kizuna's request sentence would say it twice.
_ASKS_EN = re.compile(
    r"\?|\b(?:would|could|can|will|might) you\b|\bwould love (?:your|to)\b"
    r"|\bi(?:'d| would) (?:love|be grateful|appreciate|welcome)\b|\bwould (?:really )?appreciate\b"
    r"|\bif you (?:could|would|have|had|might)\b|\b(?:please|kindly)\b",
    re.IGNORECASE,
)
_ASKS_JA = re.compile(
    r"[?？]|ませんか|ませんでしょうか|いただけ|頂け|ください|下さい|お願い|伺え|伺いたい|ほしい|欲しい|もらえ"
)


def asks_already(text: str | None) -> bool:
    """Whether ``text`` (a reason) already asks something of the reader, in either language.

    A reason written as one sentence often carries its own ask ("...and would
    love your view on it."): the draft then needs no request sentence of
    Kizuna's on top, only the way out.

    >>> asks_already("I am moving into product design and would love your view on it.")
    True
    >>> asks_already("I moved to Lisbon last spring."), asks_already("転職を考えています。")
    (False, False)
    >>> asks_already("転職を考えています。ご意見を伺えませんか。")
    True
    """
    if not text:
        return False
    return bool(_ASKS_EN.search(text) or _ASKS_JA.search(text))


def classify_ask(reason: str | None, ask: str | None = None) -> AskKind:
    """What the reason asks for; with ``ask`` given (the reason split in two), only the ask counts.

    The first kind that matches wins, most specific first: an introduction
    over work, work over advice, advice over a call (a call is how, advice is
    what). Nothing recognised is a catch-up.
    """
    text = ask if ask and ask.strip() else (reason or "")
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return AskKind.CATCH_UP


_EN_TEXT: dict[AskKind, tuple[str, str]] = {
    AskKind.INTRODUCTION: (
        "If you think it makes sense, would you be open to introducing us? "
        "A short e-mail to both of us would be more than enough.",
        "If the timing is bad or it doesn't feel right, please don't worry about it. "
        "I'd be glad to stay in touch either way.",
    ),
    AskKind.ADVICE: (
        "Would you be open to sharing your view? A short reply would already help a lot, "
        "and if you'd rather talk, I'm glad to find a time that suits you.",
        "If you're too busy at the moment, please don't worry about it. "
        "I'd be glad to stay in touch either way.",
    ),
    AskKind.WORK: (
        "If it sounds like a fit, would you be open to talking it over? "
        "I'm happy to send more details first.",
        "If the timing is bad or it isn't the right fit, please don't worry about it. "
        "Perhaps we'll find a chance to work together another time.",
    ),
    AskKind.MEETING: (
        "Would you be open to a short call or a coffee sometime in the next few weeks, "
        "whenever suits you?",
        "If the timing is bad, please don't worry about it. "
        "I'd be glad to stay in touch either way.",
    ),
    AskKind.CATCH_UP: (
        "I'd love to hear what you've been up to, whenever you have a moment.",
        "There's no need to reply right away. I'm simply glad to be back in touch.",
    ),
}

_JA_TEXT: dict[str, dict[AskKind, tuple[str, str]]] = {
    "formal": {
        AskKind.INTRODUCTION: (
            "もし差し支えなければ、ご紹介をお願いできませんでしょうか。"
            "簡単なメールでおつなぎいただけるだけで、大変ありがたく存じます。",
            "もちろん、ご都合が合わない場合や難しい場合は、どうぞお気になさらないでください。"
            "これを機に、今後ともお付き合いいただけましたら幸いです。",
        ),
        AskKind.ADVICE: (
            "お手すきの際に、ご意見をお聞かせいただけませんでしょうか。"
            "メールで一言いただけるだけでも大変ありがたく、お話しいただける場合は、ご都合のよい時間に合わせます。",
            "もちろん、お忙しいようでしたら、どうぞお気になさらないでください。"
            "これを機に、今後ともお付き合いいただけましたら幸いです。",
        ),
        AskKind.WORK: (
            "もしご関心をお持ちいただけるようでしたら、一度お話しさせていただけませんでしょうか。"
            "先に詳しい資料をお送りすることもできます。",
            "もちろん、ご都合が合わない場合やご関心に沿わない場合は、どうぞお気になさらないでください。"
            "今回が難しくても、いつかご一緒にお仕事ができましたら嬉しく存じます。",
        ),
        AskKind.MEETING: (
            "もしよろしければ、近いうちに少しお話しするお時間をいただけませんでしょうか。"
            "日時は、ご都合に合わせます。",
            "もちろん、お忙しいようでしたら、どうぞお気になさらないでください。"
            "これを機に、今後ともお付き合いいただけましたら幸いです。",
        ),
        AskKind.CATCH_UP: (
            "お手すきの際に、近況をお聞かせいただけましたら嬉しく存じます。",
            "ご返信はどうぞお急ぎにならないでください。こうしてまたご連絡できたことを、嬉しく思っております。",
        ),
    },
    "polite": {
        AskKind.INTRODUCTION: (
            "もし差し支えなければ、ご紹介をお願いできないでしょうか。"
            "簡単なメールでつないでいただけるだけで、とても助かります。",
            "もちろん、タイミングが合わなかったり難しかったりしたら、どうぞ気にしないでください。"
            "これを機に、またやり取りできたら嬉しいです。",
        ),
        AskKind.ADVICE: (
            "お時間のあるときに、ご意見を聞かせていただけないでしょうか。"
            "メールで一言いただけるだけでもとても助かりますし、お話しできそうでしたら、ご都合のよい時間に合わせます。",
            "もちろん、忙しいようでしたら、どうぞ気にしないでください。これを機に、またやり取りできたら嬉しいです。",
        ),
        AskKind.WORK: (
            "もし興味を持っていただけたら、一度お話しできないでしょうか。"
            "先に詳しい内容をお送りすることもできます。",
            "もちろん、タイミングが合わなかったり、合わないと感じたりしたら、どうぞ気にしないでください。"
            "今回が難しくても、いつか一緒にお仕事ができたら嬉しいです。",
        ),
        AskKind.MEETING: (
            "もしよければ、近いうちにお茶でもしながら、少しお話しできないでしょうか。"
            "日時は、ご都合に合わせます。",
            "もちろん、タイミングが合わなければ、どうぞ気にしないでください。"
            "これを機に、またやり取りできたら嬉しいです。",
        ),
        AskKind.CATCH_UP: (
            "お時間のあるときに、近況を聞かせてもらえたら嬉しいです。",
            "返信は急がなくて大丈夫です。こうしてまた連絡できて、嬉しく思っています。",
        ),
    },
}


def request_for(kind: AskKind | str, language: str, level: str = "polite") -> Request:
    """The ask and the exit for ``kind`` in ``language`` ("en"/"ja").

    ``level`` matters for Japanese only: ``"formal"`` for a 様 draft, ``"polite"``
    for a さん draft; each text stays at that one level.
    """
    k = AskKind(kind)
    if language.lower().startswith("ja"):
        table = _JA_TEXT["formal" if level == "formal" else "polite"]
    else:
        table = _EN_TEXT
    request, exit_line = table[k]
    return Request(k, request, exit_line)


def kizuna_sentences() -> tuple[str, ...]:
    """Every sentence this module writes, for the tone checker to leave alone."""
    texts = [t for pair in _EN_TEXT.values() for t in pair]
    texts += [t for level in _JA_TEXT.values() for pair in level.values() for t in pair]
    out: list[str] = []
    for t in texts:
        out += [s for s in re.split(r"(?<=[.?!。？！])\s*", t) if s]
    return tuple(out)
