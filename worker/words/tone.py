"""Read a draft like a careful friend: does it push, presume, grovel or ramble?

This module is long because it holds the phrase rules of two languages, each
with its negations and its softer suggestion, next to the code that applies them.

The seed's third rule is *direct is not demanding*: someone you have not written
to for years owes you nothing. :func:`check_tone` reads a subject and a body and
returns one :class:`ToneWarning` per fault it finds:

- ``deadline``: a deadline or urgency (``by Friday``, ``ASAP``, ``今週中に``, ``至急``);
- ``demand``: an order (``I need you to``, ``you must``, ``〜してほしい``, ``必ず〜ください``);
- ``presumption``: their yes taken for granted (``I'm counting on you``, ``〜いただけますよね``);
- ``apology``: an apology for the silence (the seed says: don't);
- ``length``: more than :data:`MAX_READING_MINUTES` of reading;
- ``requests``: :data:`MAX_REQUESTS` or more distinct asks.

Both languages' rules run on every text, whatever the draft's language, so an
English reason inside a Japanese draft is read too. Each rule is negation-aware
(``no need to reply right away``, ``至急ではありません`` raise nothing), and
Japanese softeners (``お忙しいところ申し訳ありませんが``, ``突然のご連絡失礼いたします``)
are manners, not faults.

Kizuna's own words never raise a warning: the fixed sentences of
:mod:`worker.words.requests` and :mod:`worker.words.replies` are known here, and
a caller passes any other template text as ``kizuna_text``. Those spans are
masked before the phrase rules and the request count run; only the length,
which is what the reader lives through, counts the whole text.

Pure: no I/O, no configuration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

__all__ = [
    "Category",
    "ToneWarning",
    "MAX_READING_MINUTES",
    "MAX_REQUESTS",
    "check_tone",
    "count_requests",
    "reading_minutes",
    "text_language",
    "warning_text",
]

Category = Literal["deadline", "demand", "presumption", "apology", "length", "requests"]

# Reading speeds for adult native readers: about 240 English words a minute
# (Brysbaert 2019) and about 450 Japanese characters a minute (kana and kanji;
# punctuation not counted). The limit is in
# minutes so that the same content is "too long" in either language.
EN_WORDS_PER_MINUTE = 240
JA_CHARS_PER_MINUTE = 450
MAX_READING_MINUTES = 1.5
# Three separate asks already read as a to-do list for someone who owes you nothing.
MAX_REQUESTS = 3


@dataclass(frozen=True)
class ToneWarning:
    """One fault in a draft, for the person who reviews it.

    ``phrase`` is the text as found (empty for length and requests), ``quote``
    the clause shown to the person, ``language`` the language of the phrase
    (``"en"`` or ``"ja"``), ``suggestion`` a softer wording in that language,
    ``message`` the whole warning in that language, ``where`` ``"subject"`` or
    ``"body"``. ``str(w)`` is the message.
    """

    category: Category
    phrase: str
    quote: str
    language: str
    suggestion: str
    message: str
    where: str = "body"
    kind: str = ""  # which wording of the category: "deadline", "urgency", "order", ...
    count: int = 0  # the number behind a length (minutes) or requests warning

    def __str__(self) -> str:
        return self.message


# --- text helpers ---------------------------------------------------------------

_JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def text_language(text: str) -> str:
    """``"ja"`` when Japanese characters make up a real share of the text, else ``"en"``."""
    ja = len(_JA_CHAR.findall(text))
    en = len(_EN_WORD.findall(text))
    # A Japanese character carries about as much as half an English word.
    return "ja" if ja and ja >= en * 2 else "en"


def reading_minutes(text: str) -> float:
    """Minutes an adult native reader needs for ``text``; mixed text adds both parts."""
    ja = len(_JA_CHAR.findall(text))
    en = len(_EN_WORD.findall(text))
    return en / EN_WORDS_PER_MINUTE + ja / JA_CHARS_PER_MINUTE


_APOS = "['’]"


def _mask(text: str, spans: Iterable[str]) -> str:
    """``text`` with every occurrence of each span replaced by line breaks (same length).

    Line breaks rather than nothing: offsets stay put and a masked span still
    separates the sentences around it.
    """
    for span in sorted({s.strip() for s in spans if s and s.strip()}, key=len, reverse=True):
        if len(span) < 4:
            continue  # a tiny span would mask words inside the user's text
        text = text.replace(span, "\n" * len(span))
    return text


_CLAUSE_END = re.compile(r"[.!?;:。！？\n]|\s[—–]\s|,\s*(?:but|though|although)\b|\bbut\b")


def _clause_before(text: str, start: int) -> str:
    head = text[max(0, start - 160) : start]
    cut = 0
    for m in _CLAUSE_END.finditer(head):
        cut = m.end()
    return head[cut:]


def _clause_after(text: str, end: int) -> str:
    tail = text[end : end + 120]
    m = _CLAUSE_END.search(tail)
    return tail[: m.start()] if m else tail


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a match, at most about 90 characters, for the warning."""
    left = max(
        (m.end() for m in re.finditer(r"[.!?。！？\n]\s*|:\s+", text[:start])),
        default=0,
    )
    right_m = re.compile(r"[.!?。！？\n]").search(text, end)
    right = right_m.start() if right_m else len(text)
    quote = " ".join(text[left:right].split())
    if len(quote) > 90:
        phrase = " ".join(text[start:end].split())
        lo = max(0, start - 30)
        hi = min(len(text), end + 30)
        quote = " ".join(text[lo:hi].split())
        quote = ("…" if lo > left else "") + quote + ("…" if hi < right else "")
        if phrase not in quote:
            quote = phrase
    return quote.rstrip("、,")


# --- negation -------------------------------------------------------------------

# A negation up to five words before the phrase, inside its clause: "no need to
# reply right away", "there's nothing urgent", "it doesn't have to be this week".
_EN_NEG_BEFORE = re.compile(
    rf"\b(?:no|not|nothing|never|none|without|hardly|needn{_APOS}t|no\s+need|"
    rf"\w+n{_APOS}t|isn{_APOS}t|cannot)\b(?:\W+\w+){{0,5}}\W*$",
    re.IGNORECASE,
)
_EN_NEG_AFTER = re.compile(
    rf"^\W*(?:is|are|was|would\s+be)?\s*(?:not|n{_APOS}t|never)\b"
    r"|^\W*(?:isn|aren|wasn)\W?t\b|^\s*(?:is|are)?\s*(?:unnecessary|optional)\b",
    re.IGNORECASE,
)
# Japanese negates after the phrase: 至急ではありません, 今すぐでなくても, 今週中にとは言いません.
_JA_NEG_AFTER = re.compile(
    r"^(?:に|で)?(?:は|も)?(?:"
    r"なく|なけ|ない|ありません|ございません|じゃな|とは(?:言|申|思|限)|"
    r"には及|必要はな|必要はあり|でなく|ではな|でもな|でもあり|ではあり|とも限"
    r")"
    r"|^(?:に|で)?(?:は|も)?(?:言いません|申しません)"
    r"|^でなくて|^では(?:なく|ありません|ございません)|^という(?:わけ|こと)では"
)


def _negated_en(text: str, start: int, end: int) -> bool:
    return bool(
        _EN_NEG_BEFORE.search(_clause_before(text, start))
        or _EN_NEG_AFTER.search(_clause_after(text, end))
    )


_JA_NEG_LATER = re.compile(
    r"必要は(?:な|あり|ござい)|なくても|なくて(?:大丈夫|構|かま|いい|結構)|という(?:話|わけ|こと)では"
    r"|わけでは(?:な|あり)|には及びません|とは限りません|ではありません|ではないので|じゃないので"
)


def _negated_ja(text: str, start: int, end: int) -> bool:
    after = text[end : end + 16]
    stop = re.search(r"[。！？!?\n]", text[end:])
    rest = text[end : end + (stop.start() if stop else 60)]
    before = text[max(0, start - 12) : start]
    return bool(
        _JA_NEG_AFTER.search(after)
        or _JA_NEG_LATER.search(rest)
        or re.search(r"必ずしも[^。！？\n]*$", before)
    )


_JA_ASKED = re.compile(
    r"ください|下さい|いただ|頂|ほしい|欲しい|お願い|もらい|もらえ|くれ|返信|返事|回答|ご連絡|連絡を"
    r"|ご判断|ご確認|決めて|お知らせ|教えて"
)


def _ja_asked_nearby(text: str, m: re.Match[str]) -> bool:
    """A deadline noun (期限は今月末です) pushes when this sentence or the next asks something."""
    ends = [e.end() for e in re.finditer(r"[。！？!?\n]", text[m.end() :])][:2]
    rest = text[m.end() : m.end() + (ends[-1] if ends else 80)]
    return bool(_JA_ASKED.search(rest))


def _ja_reader_acts(text: str, m: re.Match[str]) -> bool:
    """False for the writer's own plans (今週中に東京に行くので…): only the reader's deadline pushes."""
    stop = re.search(r"[。！？!?\n]", text[m.end() :])
    rest = text[m.end() : m.end() + (stop.start() if stop else 60)]
    rest = re.split(r"ので|から、|ため", rest)[0]
    return bool(_JA_ASKED.search(m.group() + rest))


# --- rules ----------------------------------------------------------------------

Suggest = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class _Rule:
    category: Category
    kind: str
    language: str
    pattern: re.Pattern[str]
    suggest: Suggest
    negatable: bool = True
    # False when the phrase is only pushy if someone else, not the writer, must act.
    guard: Callable[[str, re.Match[str]], bool] | None = None


def _en(category: Category, kind: str, pattern: str, suggest: Suggest, **kw: object) -> _Rule:
    body = pattern.replace(" ", r"\s+")
    rx = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)
    return _Rule(category, kind, "en", rx, suggest, **kw)  # type: ignore[arg-type]


def _ja(category: Category, kind: str, pattern: str, suggest: Suggest, **kw: object) -> _Rule:
    return _Rule(category, kind, "ja", re.compile(pattern), suggest, **kw)  # type: ignore[arg-type]


_DAY = (
    r"(?:this\s+|next\s+|coming\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
)
_WHEN = (
    rf"(?:{_DAY}|tomorrow|tonight|today|noon|midnight|eod|eow|cob|close\s+of\s+business"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month|quarter|year)"
    r"|next\s+week|the\s+weekend|this\s+weekend|the\s+\d{1,2}(?:st|nd|rd|th)"
    r"|\d{1,2}(?::\d{2})?\s*(?:am|pm)"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|\d{1,2}/\d{1,2}|\d{1,2}(?:st|nd|rd|th)\s+of\s+\w+)"
)
_ACT = (
    r"(?:reply|respond|answer|get\s+back(?:\s+to\s+me)?|write\s+back|hear\s+back|let\s+me\s+know"
    r"|confirm|send|introduce|connect|decide|call|ring|email|e-mail|contact|forward|sign"
    r"|act|review|look\s+at|set\s+up|arrange|schedule|book|move|do\s+it|do\s+this)"
)


def _others_act(text: str, m: re.Match[str]) -> bool:
    """False for the writer's own plans ("I'll be in Tokyo by Friday", "I'll send it today")."""
    before = _clause_before(text, m.start())
    if re.search(
        r"\byou(?:r)?\b|\bplease\b|\bneed|\bwant|\bhop(?:e|ing)\b|\bwould\b", before, re.I
    ):
        return True
    return not re.search(
        rf"\b(?:I|we)(?:{_APOS}(?:ll|m|ve|d)|\s+(?:will|am|are|can|could|have|should|plan|leave|"
        r"arrive|fly|start|move|finish|get))\b|\bmy\b|\bour\b",
        before,
        re.I,
    )


_SOON_EN = "whenever you have a moment"


def _en_grateful(m: re.Match[str]) -> str:
    """ "I need you to introduce me to X" becomes "I'd be grateful if you could introduce me to X"."""
    if not re.search(r"(?:\bto|\byou|\bmust|\bthat|\bbetter)$", m.group(), re.I):
        return "I'd be grateful if you could …"
    rest = re.split(r"[.!?;:,\n]|\s[—–]\s", m.string[m.end() : m.end() + 80])[0].split()
    stop = {"by", "before", "asap", "today", "tonight", "tomorrow", "immediately", "within", "this"}
    kept: list[str] = []
    for w in rest:
        if w.lower() in stop:
            break
        if w.lower() not in ("please", "that", "you"):
            kept.append(w)
    rest = kept[:7]
    if not rest:
        return "I'd be grateful if you could …"
    return "I'd be grateful if you could " + " ".join(rest)


def _not_an_open_question(text: str, m: re.Match[str]) -> bool:
    """ "Let me know if this week or next works" offers a choice; it sets no deadline."""
    after = text[m.end() : m.end() + 20]
    return not (re.search(r"\b(?:if|whether)\b", m.group(), re.I) or re.match(r"\s+or\b", after))


_SOON_JA = "お手すきの際に"

_EN_RULES: tuple[_Rule, ...] = (
    # deadlines and urgency
    _en(
        "deadline", "deadline", rf"(?:by|before|no later than) {_WHEN}", _SOON_EN, guard=_others_act
    ),
    _en(
        "deadline",
        "deadline",
        rf"{_ACT}(?:\s+\S+){{0,6}}? (?:today|tonight|tomorrow"
        r"|(?:within|in) (?:the )?(?:next )?(?:\d+|a|an|one|two|three|24|48|72) (?:hours?|days?)"
        r"|this (?:week|weekend|month)|before the (?:weekend|end of the week))",
        _SOON_EN,
        guard=_not_an_open_question,
    ),
    _en(
        "deadline",
        "deadline",
        r"within (?:the next )?(?:24|48|72|\d+|one|two|three|a|an) "
        r"(?:hours?|(?:business |working )?days?)|within (?:the|a|one) week",
        _SOON_EN,
        guard=_others_act,
    ),
    _en(
        "deadline",
        "deadline",
        rf"(?:hard|firm|tight|strict) deadline|deadline for you|your deadline"
        rf"|deadline (?:is |on |of )?{_WHEN}",
        "if the timing works for you",
    ),
    _en(
        "deadline",
        "urgency",
        r"asap|a\.s\.a\.p\.?|as soon as (?:possible|you can|you're able)"
        r"|at your earliest convenience|the sooner the better|time[- ]sensitive"
        r"|urgent(?:ly)?(?! care)|urgency|(?:this|it) can't wait|pronto|chop[- ]chop|without delay|(?:a |your )?prompt "
        r"(?:reply|response|answer|attention)|promptly|in a hurry|hurry|quick turnaround",
        _SOON_EN,
    ),
    _en(
        "deadline",
        "urgency",
        rf"(?:{_ACT}|need)(?:\s+\S+){{0,6}}? (?:right away|immediately|straight away"
        r"|right now|at once|quickly|fast|now)",
        _SOON_EN,
    ),
    _en(
        "deadline",
        "urgency",
        r"(?:don't|do not) (?:keep me waiting|make me wait|wait too long)"
        r"|(?:I'm|I am|I'll be) waiting (?:for|on) your (?:reply|answer|response|decision)"
        r"|before it's too late|need (?:it|this|an answer|a response|your answer|your reply) "
        r"(?:by|soon|quickly|now|today)",
        _SOON_EN,
    ),
    # commands and demands
    _en(
        "demand",
        "order",
        r"I(?:'d| would)? need you to|I want you to|I expect you to|I('d| would) like you to"
        r"|I require you to|I insist|you need to|you have to|you've got to|you must(?! be\b| have "
        r"been\b|'ve\b| know\b| have had\b)|you('d| had) better(?: not)?|make sure (?:you|to|that|they|he|she|everyone|it)"
        r"|be sure to|don't forget to|do not forget to|you should (?:introduce|reply|respond|send"
        r"|get back|connect|help|call|put me|forward|agree|say yes)|you(?: are|'re) (?:required|expected) "
        r"to|it is (?:essential|imperative|mandatory|vital) that you|I need your (?:answer|reply"
        r"|response|decision|introduction|yes)",
        _en_grateful,
    ),
    _en(
        "demand",
        "order",
        r"(?:(?<=^)|(?<=[.!?:\n]\s)|(?<=[.!?:\n]))\s*(?:send|introduce|forward"
        r"|reply|respond|call|email|e-mail|connect|book|schedule|set up|arrange|put me|get back"
        r"|answer|sign|pass) (?:me|it|this|my|your|the|us|him|her|them|to)\b",
        "could you",
        negatable=False,
    ),
    # presumption
    _en(
        "presumption",
        "presume",
        r"(?:I'm|I am|we're|we are) counting on you|counting on your"
        r"|(?:I'm|I am) relying on you|(?:I'm|I am) (?:sure|certain|confident) (?:that )?you"
        r"(?:'ll| will| won't| would(?!n't)| can(?!'t|not)| could(?!n't)|'d)"
        r"|I know (?:that )?you(?:'ll| will| won't| can(?!'t|not)| wouldn't mind)"
        r"|I trust (?:that )?you(?:'ll| will| can)|I expect (?:that )?you(?:'ll| will)"
        r"|I assume (?:that )?you(?:'ll| will| can| don't mind| won't mind)"
        r"|I take it (?:that )?you|of course you(?:'ll| will| can)|surely you(?:'ll| will| can"
        r"| won't)|you won't (?:say no|refuse|mind|let me down)|you wouldn't (?:say no|refuse)"
        r"|you can't (?:say no|refuse)|you owe me|after all I(?:'ve| have) done"
        r"|I(?:'ve| have) already (?:told|promised) \w+(?: \w+)? (?:that )?you"
        r"|you'll be (?:happy|glad|delighted) to",
        "I'd be grateful if you could",
    ),
    # apologies for the silence
    _en(
        "apology",
        "apology",
        r"(?:so |very |really |terribly )?sorry (?:for|about) (?:not "
        r"(?:writing|being in touch|keeping in touch|staying in touch|reaching out|getting in touch"
        r"|writing sooner|calling)|the (?:long )?(?:silence|radio silence|gap)|my (?:long )?"
        r"(?:silence|absence)|(?:being|going) (?:out of touch|quiet|silent|mia|awol|so quiet)"
        r"|disappearing|dropping off|losing touch|falling out of touch|the years of silence"
        r"|neglecting)|sorry (?:it's|it has|that it's) been (?:so |such a )?(?:long|a while|ages"
        r"|forever)|sorry (?:I've|I have|I haven't|I've not) (?:been (?:so )?(?:quiet|silent|"
        r"absent|out of touch|bad at keeping in touch|mia)|written|kept in touch|been in touch)"
        r"|(?:I|we) (?:apologi[sz]e|must apologi[sz]e) for (?:the|my|not|being|our)"
        r"|(?:my )?apologies for (?:the|my|not|being)|forgive (?:me )?(?:for )?(?:the|my) (?:long )?"
        r"(?:silence|absence)|forgive me for (?:not|being|disappearing|the)|I feel (?:so |really )?"
        r"(?:bad|terrible|awful|guilty) (?:for|about) (?:not|the silence|being|losing|going)"
        r"|(?:I'm|I am) (?:terrible|awful|hopeless|the worst) at (?:keeping|staying) in touch"
        r"|(?:I'm|I am) ashamed",
        "It's been a while — I hope you're well",
        negatable=False,
    ),
)

_WD = r"(?:月|火|水|木|金|土|日)曜(?:日)?"


def _ja_hoshii(m: re.Match[str]) -> str:
    return m.group(1) + "いただけないでしょうか"


def _ja_yone(m: re.Match[str]) -> str:
    return m.group(1) + "いただけないでしょうか"


_JA_RULES: tuple[_Rule, ...] = (
    # deadlines and urgency
    _ja(
        "deadline",
        "deadline",
        r"(?:今週|今月|今日|本日|明日|明後日|週内|年内|月内|今年度|今年"
        r"|来週|週明け|月末|週末|年度内)(?:中|いっぱい|まで)(?:に|で)?",
        _SOON_JA,
        guard=_ja_reader_acts,
    ),
    _ja(
        "deadline",
        "deadline",
        rf"(?:{_WD}|[0-9０-９]+(?:日|時)|週末|月末|週明け|来週|明日|今日"
        rf"|[0-9０-９]+月[0-9０-９]+日)(?:の[^。、]{{0,6}})?(?:まで|中)に",
        _SOON_JA,
        guard=_ja_reader_acts,
    ),
    _ja(
        "deadline",
        "deadline",
        r"までに(?:ご|お)?(?:返信|返事|連絡|回答|ご回答|対応|お願い|送|決|紹介)",
        _SOON_JA,
        guard=_ja_reader_acts,
    ),
    _ja(
        "deadline",
        "deadline",
        r"期限(?:は|が|を|まで|厳守)|締め?切り?(?:は|が|まで)|デッドライン",
        _SOON_JA,
        guard=_ja_asked_nearby,
    ),
    _ja(
        "deadline",
        "urgency",
        r"大?至急|早急に|早急な|急ぎ(?:で|の(?:お願い|件|ご)|にて)|大急ぎ"
        r"|急いで(?:ご|お)?(?:返信|返事|連絡|対応|くださ|いただ|ほしい|もら)|ASAP|ＡＳＡＰ"
        r"|なるべく早く|なるべくはやく|できるだけ早く|出来るだけ早く|できる限り早く|一刻も早く|お早めに"
        r"|すぐ(?:に|にでも)?[^。！？\n]{0,14}?(?:ください|下さい|いただ|ほしい|欲しい|もらい|お願い|くれ|してね)"
        r"|今すぐ|ただちに|直ちに|即(?:日|座に|レス|答)|急を要|待ったなし"
        r"|一両日中|折り返し(?:至急|すぐ)",
        _SOON_JA,
    ),
    # commands and demands
    _ja(
        "demand",
        "hoshii",
        r"([^\s、。！？「」をがはに]{1,8}?(?:て|で))(?<!ないで)(?<!なくて)(?:ほしい|欲しい"
        r"|もらいたい|貰いたい|もらいたく)",
        _ja_hoshii,
    ),
    _ja(
        "demand",
        "kanarazu",
        r"必ず(?!しも)[^。！？\n]{0,30}?(?:ください|下さい|ように|お願い|してね"
        r"|すること|して(?:ほしい|もらい))",
        "「必ず」を外して「〜いただけると嬉しいです」",
    ),
    _ja(
        "demand",
        "order",
        r"(?<!ごめん)(?<!休み)(?<!やすみ)(?<!御免)なさい(?![ませ])"
        r"|(?:しろ|せよ|してくれ)(?=[。！!、\s]|よ|$)|すること[。！!]|するように(?:。|！|$)"
        r"|(?:いただか|もらわ|くれ)な(?:ければ|いと)(?:困|なり|いけ)|困ります"
        r"|(?:いただく|もらう)必要が(?:あり|ある|ござい)|(?:いただく|くれる|もらう|する|す)べき(?:です|だ|でしょう)"
        r"|ご(?:紹介|返信|連絡|対応|協力|回答|確認)いただきます(?:ので|。|$)",
        "「〜していただけますか」",
    ),
    # presumption
    _ja(
        "presumption",
        "presume",
        r"当然[^。！？\n]{0,30}?(?:もの|と)(?:と)?(?:思|考え|信じ|存じ)"
        r"|当然(?:ご|お)?[^。！？\n]{0,12}?(?:いただけ|くださ|くれ|もらえ)"
        r"|ものと(?:思って|考えて|信じて|存じて)"
        r"|(?:いただける|くださる|くれる|もらえる)(?:と信じて|はず)"
        r"|(?:頼りにして|あてにして|当てにして)(?:い|お)"
        r"|(?:断ら|断れ)ない(?:です)?よね|断る(?:わけ|はず)(?:が|は)な"
        r"|(?:ご協力|ご支援|お力添え|ご紹介)を(?:ご)?期待して",
        "「もしお力添えいただけたら嬉しいです」",
    ),
    _ja(
        "presumption",
        "yone",
        r"((?:ご|お)?[^\s、。！？「」をがはに]{0,8}?(?:して)?)(?:いただけ|頂け|くれ|もらえ"
        r"|ください|下さい)(?:ます|る)(?:よね|でしょうね)",
        _ja_yone,
    ),
    # apologies for the silence (not お忙しいところ申し訳ありませんが, not 突然のご連絡失礼いたします)
    _ja(
        "apology",
        "apology",
        r"(?:ご無沙汰|無沙汰|長らく|長い間|長いこと|ずっと|しばらく|何年も)"
        r"(?:(?!お忙し|ご多忙|突然|お手数|恐縮)[^。！？\n]){0,20}?"
        r"(?:申し訳|すみません|すいません|ごめん|お詫び|失礼(?:いた)?しました)"
        r"|連絡(?:を|も)?(?:せず|しないで|できず|しておらず|が途絶え|を怠|が途切れ|を絶や|し(?:そび|忘)れ)"
        r"[^。！？\n]{0,15}?(?:申し訳|すみません|すいません|ごめん|お詫び)"
        r"|音信不通[^。！？\n]{0,15}?(?:申し訳|すみません|ごめん|お詫び)|無沙汰(?:の|を)(?:お)?詫び"
        r"|筆不精で(?:すみません|申し訳|ごめん)|不義理(?:を|ばかり)",
        "「大変ご無沙汰しております」",
        negatable=False,
    ),
)


# --- messages -------------------------------------------------------------------

_EN_VERB = {
    "deadline": "sets a deadline",
    "urgency": "makes it urgent for them",
    "order": "reads as an order",
    "presume": "takes their yes for granted",
}
_JA_VERB = {
    "deadline": "は期限を切っています",
    "urgency": "は相手を急かしてしまいます",
    "order": "は命令や要求に聞こえます",
    "hoshii": "は要求に聞こえます",
    "kanarazu": "は相手に強く迫る言い方です",
    "presume": "は相手の承諾を前提にしています",
    "yone": "は相手の承諾を前提にしています",
    "apology": "はご無沙汰を詫びていますが、お詫びは要りません",
}
_EN_KIND = {"hoshii": "order", "kanarazu": "order", "yone": "presume"}


def _q(text: str, frame: str) -> str:
    """Quote ``text`` the way the surrounding sentence's language quotes."""
    text = text.strip("「」")
    return f"「{text}」" if frame == "ja" else f"“{text}”"


def _phrase_message(kind: str, quote: str, suggestion: str, lang: str) -> str:
    """The warning framed in ``lang``; the quote and the suggestion keep their own language."""
    q, sug = _q(quote, lang), _q(suggestion, lang)
    if lang == "ja":
        if kind == "apology":
            return f"{q}{_JA_VERB[kind]}。{sug}のように、温かく書き出してはいかがでしょう。"
        return f"{q}{_JA_VERB.get(kind, 'は強い言い方です')}。{sug}などはいかがでしょう。"
    if kind == "apology":
        return f"{q} apologises for the silence, and there's no need to; start warmly, e.g. {sug}"
    return f"{q} {_EN_VERB.get(_EN_KIND.get(kind, kind), 'is pushy')}; try {sug}"


def _length_message(minutes: float, lang: str) -> str:
    whole = max(2, math.ceil(minutes))
    if lang == "ja":
        return (
            f"読み終えるのに約{whole}分かかる長さです。1分ほどで読める短いメールのほうが返事をしやすいので、"
            "近況とお願いを一つずつに絞ってみてはいかがでしょう。"
        )
    return (
        f"This takes about {whole} minutes to read; a note they can read in a minute is easier "
        "to answer. Try keeping your news and one ask."
    )


def _requests_message(n: int, lang: str) -> str:
    if lang == "ja":
        return (
            f"お願いが{n}つあります。一つに絞ったほうが引き受けやすいので、"
            "いちばん大切なお願いだけを残してはいかがでしょう。"
        )
    return (
        f"This asks for {n} things; one clear ask is easier to say yes to. "
        "Try keeping the one that matters most."
    )


def warning_text(w: ToneWarning, user_language: str) -> str:
    """``w`` worded for someone who reads ``user_language`` ("en" or "ja").

    The quoted phrase and the softer wording stay in the phrase's own language:
    a Japanese user writing an English reason is told, in Japanese, what to
    write in English.
    """
    lang = "ja" if user_language.lower().startswith("ja") else "en"
    if w.category == "length":
        return _length_message(w.count, lang)
    if w.category == "requests":
        return _requests_message(w.count, lang)
    if lang == w.language:
        return w.message
    text = _phrase_message(w.kind, w.quote, w.suggestion, lang)
    if w.where == "subject":
        text = ("件名：" if lang == "ja" else "Subject: ") + text
    return text


# --- requests -------------------------------------------------------------------

_EN_ASK = re.compile(
    r"\b(?:could you|would you|can you|will you|might you|would it be possible|could I ask"
    r"|may I ask|if you could|if you would|if you'd|I(?:'d| would) (?:love|like|appreciate|be "
    r"(?:grateful|glad|thankful))(?: it)? (?:if|for) you|I was (?:hoping|wondering)|I(?:'m| am) "
    r"hoping (?:you|to get|for)|do you (?:know|have) (?:anyone|someone|any)|are you (?:open|able|"
    r"free|willing|around|available)|I need you|I want you|you (?:have|need) to|you must"
    r"|make sure|let me know (?:if|whether|what|when|who)|would you mind|any chance you"
    r"|is there any (?:chance|way) you)\b",
    re.IGNORECASE,
)
_EN_PLEASE = re.compile(
    r"\bplease\b(?!\s+(?:don't|do not|take care|feel free|ignore|say hi|say hello|give my|"
    r"don't worry|excuse|forgive|keep well|stay well|no pressure))",
    re.IGNORECASE,
)
_JA_ASK = re.compile(
    r"(?:いただけ|頂け|もらえ|くれ|願え)(?:ない|ませ)(?:ん)?(?:でしょう)?か|(?:いただけ|頂け|もらえ)ますか"
    r"|(?:いただけ|頂け|もらえ|くれ)(?:ると|たら|れば)(?:幸|嬉|うれし|助か|ありがた|光栄)"
    r"|(?<!よろしく)(?<!宜しく)お願い(?:でき|いたし|し|したく|したい|申し上げ)"
    r"|(?<!ない)(?<!ないで)(?<!自愛)(?<!伝え)(?<!なさらず)(?<!気をつけて)(?<!休んで)(?<!過ごし)(?<!ご安心)"
    r"(?<!ご放念)(?<!お大事に)(?:ください|下さい)"
    r"|(?<!ない)(?:て|で)(?:ほしい|欲しい|もらいたい)|ご教示|お聞かせ(?:いただ|くださ|ください)"
)
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")


def count_requests(text: str) -> int:
    """Distinct asks: sentences that ask something (a ``please`` alone counts when nothing else does).

    "Could you introduce me, and could you also review my CV?" is two asks; the
    four ``ください`` of "ご自愛ください" and friends are none.
    """
    n = 0
    for m in _SENTENCE.finditer(text):
        s = m.group()
        asks = len(_EN_ASK.findall(s)) + len(_JA_ASK.findall(s))
        if not asks and _EN_PLEASE.search(s):
            asks = 1
        n += asks
    return n


# --- the checker ----------------------------------------------------------------


@cache
def _builtin_kizuna_text() -> tuple[str, ...]:
    # Imported late: these modules import nothing from here, but keeping the
    # import out of module load keeps tone.py usable on its own.
    from . import replies, requests

    return (*requests.kizuna_sentences(), *replies.kizuna_sentences())


def _scan(text: str, where: str, lang: str) -> list[ToneWarning]:
    found: list[ToneWarning] = []
    seen: set[tuple[str, int]] = set()
    for rule in (*_EN_RULES, *_JA_RULES):
        for m in rule.pattern.finditer(text):
            if not m.group().strip():
                continue
            if rule.negatable:
                neg = _negated_en if rule.language == "en" else _negated_ja
                if neg(text, m.start(), m.end()):
                    continue
            if rule.guard is not None and not rule.guard(text, m):
                continue
            key = (rule.category, _sentence_index(text, m.start()))
            if key in seen:
                continue  # one warning per category and sentence is enough to act on
            seen.add(key)
            phrase = " ".join(m.group().split())
            suggestion = rule.suggest(m) if callable(rule.suggest) else rule.suggest
            quote = _sentence(text, m.start(), m.end())
            message = _phrase_message(rule.kind, quote, suggestion, rule.language)
            if where == "subject":
                message = ("件名：" if rule.language == "ja" else "Subject: ") + message
            found.append(
                ToneWarning(
                    category=rule.category,
                    phrase=phrase,
                    quote=quote,
                    language=rule.language,
                    suggestion=suggestion.strip("「」"),
                    message=message,
                    where=where,
                    kind=rule.kind,
                )
            )
    found.sort(key=lambda w: text.find(w.phrase) if w.phrase in text else len(text))
    return found


def _sentence_index(text: str, pos: int) -> int:
    return len(re.findall(r"[.!?。！？\n]", text[:pos]))


def check_tone(
    text: str,
    subject: str | None = None,
    *,
    language: str | None = None,
    kizuna_text: Iterable[str] = (),
) -> list[ToneWarning]:
    """Warnings for pushy, presuming, apologetic, long or ask-laden wording. Never edits.

    ``text`` is the body (or a reason alone), ``subject`` the subject line if
    any. ``language`` is the draft's language ("en"/"ja"); it words the length
    and request warnings, and defaults to :func:`text_language` of the body.
    Phrase warnings are in the phrase's own language (see :func:`warning_text`
    to word them for the user). ``kizuna_text`` holds spans of Kizuna's own
    template text: they raise no warning and add no ask. An empty list means
    the tone is fine.

    >>> [w.message for w in check_tone("Please get back to me by Friday.")]
    ['“Please get back to me by Friday” sets a deadline; try “whenever you have a moment”']
    >>> check_tone("No need to reply right away — there's nothing urgent.")
    []
    """
    lang = "ja" if (language or text_language(text)).lower().startswith("ja") else "en"
    spans = (*_builtin_kizuna_text(), *kizuna_text)
    masked = _mask(text, spans)
    warnings: list[ToneWarning] = []
    if subject:
        warnings += _scan(_mask(subject, spans), "subject", lang)
    warnings += _scan(masked, "body", lang)
    asks = count_requests(masked)
    if asks >= MAX_REQUESTS:
        warnings.append(
            ToneWarning("requests", "", "", lang, "", _requests_message(asks, lang), count=asks)
        )
    minutes = reading_minutes(text)
    if minutes > MAX_READING_MINUTES:
        whole = max(2, math.ceil(minutes))
        warnings.append(
            ToneWarning("length", "", "", lang, "", _length_message(minutes, lang), count=whole)
        )
    return warnings
