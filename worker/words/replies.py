"""What kind of reply someone sent, and the thank-you that answers it.

This module is long because it reads replies and writes the thank-yous that
answer them, in two languages and two politeness levels: each kind of reply
and its answer stay side by side.

:func:`classify_reply` reads the new text of a reply (quoted text and
signature already stripped, see ``strip_quoted``) in English or Japanese and
says whether they offered help or gave advice, proposed a time, declined or
can't now, or were simply glad to hear from you; with a proposed time, the
phrase itself ("Thursday at 3", 「来週火曜の15時」) so the thank-you can
confirm it. :func:`thank_you_for` words the thank-you for that kind: it
confirms the time, thanks for the help with a line to fill in, or accepts a
"not now" gracefully and keeps the door open. Each Japanese text keeps one
politeness level. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ReplyKind",
    "ReplyReading",
    "ThankYou",
    "classify_reply",
    "proposed_time",
    "thank_you_for",
    "kizuna_sentences",
]


class ReplyKind(StrEnum):
    """What a reply does, as far as the thank-you is concerned."""

    OFFERS_HELP = "offers_help"  # offers help, makes the introduction, gives advice
    PROPOSES_TIME = "proposes_time"
    DECLINES = "declines"  # declines, or can't now
    GLAD_ONLY = "glad_only"  # simply glad to hear from you
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReplyReading:
    """The kind of a reply and, for a proposed time, the time as they wrote it."""

    kind: ReplyKind
    time_phrase: str | None = None


_A = "['’]"
_I = re.IGNORECASE

# --- times ---------------------------------------------------------------------

_EN_DAYNAME = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri)"
)
_EN_HOUR = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock)?"
_EN_PART = r"(?:morning|afternoon|evening|lunchtime|at lunch|night)"
_EN_TIME = re.compile(
    rf"\b(?:(?:this|next|coming)\s+)?{_EN_DAYNAME}\b(?:\s+{_EN_PART})?"
    rf"(?:\s+(?:at|around|after|from|before)\s+{_EN_HOUR}(?:\s*(?:-|to)\s*{_EN_HOUR})?)?"
    rf"|\btomorrow(?:\s+{_EN_PART})?(?:\s+(?:at|around|after)\s+{_EN_HOUR})?"
    rf"|\b(?:on\s+)?the\s+\d{{1,2}}(?:st|nd|rd|th)(?:\s+(?:at|around)\s+{_EN_HOUR})?"
    rf"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{{1,2}}"
    rf"(?:st|nd|rd|th)?(?:\s+(?:at|around)\s+{_EN_HOUR})?"
    rf"|\b(?:at|around)\s+\d{{1,2}}(?:[:.]\d{{2}})?\s*(?:am|pm|a\.m\.|p\.m\.)"
    rf"|\b(?:early|late|later)?\s*next\s+week\b|\blater\s+this\s+week\b|\bthis\s+{_EN_PART}\b",
    _I,
)
_EN_CUE = re.compile(
    rf"\bworks?\b|\bwould work|\bsuits?\b|\bfree\b|\bavailable\b|\bopen\b|how about|what about"
    rf"|how{_A}?s\b|how is|shall we|could do|can do|\blet{_A}s\b|\bfine\b|\bgood for me|\bok\b"
    rf"|\bokay\b|\bcould meet|\bcan meet|\bcan talk|\bcan chat|\bcall you|\bi{_A}m around"
    r"|\bperfect\b|\bhop on|\bjump on|\bbook\b|\bset up|\bsend (?:you )?an? invite|\bdoes\b.*\?"
    r"|\bcould we|\bcan we|\bwould you be|\bare you\b|\bmeet\b|\bsee you\b|\?",
    _I,
)
_EN_TIME_NEG_BEFORE = re.compile(
    rf"(?:can{_A}?t|cannot|couldn{_A}?t|won{_A}?t be able to|unable to) (?:make|do|meet|manage)\b"
    rf"|\bnot (?:free|available|around)\b|\bbusy\b|\baway\b|\bout of (?:the )?office\b"
    rf"|\btravell?ing\b|\bno good\b|\bfully booked\b",
    _I,
)
_EN_TIME_NEG_AFTER = re.compile(
    rf"^\s*(?:(?:is|are)\s+)?(?:doesn{_A}?t|don{_A}?t|won{_A}?t|isn{_A}?t|is not|is no)\b"
    r"|^\s*(?:is|are)\s+(?:out|bad|busy|full|packed|tricky|difficult|impossible)\b"
    r"|^\s*I{_A}?m (?:busy|away|out|travell?ing)\b".replace("{_A}", _A),
    _I,
)
_CLAUSE = re.compile(r"[^.!?;\n]+?(?=\bbut\b|[.!?;\n]|$)|\bbut\b[^.!?;\n]*", _I)

_JA_DAY = r"[月火水木金土日](?:曜日?|[)）])"
_JA_HOUR = r"[0-9０-９]{1,2}(?:時|:[0-9]{2}|：[0-9０-９]{2})(?:半|[0-9０-９]{1,2}分)?(?:以降|から|頃|ごろ|過ぎ)?"
_JA_TIME = re.compile(
    rf"(?:(?:来週|今週|再来週|週明け|次週)の?)?(?:[0-9０-９]{{1,2}}月[0-9０-９]{{1,2}}日[(（]?"
    rf"(?:[月火水木金土日][)）])?|[0-9０-９]{{1,2}}日[(（][月火水木金土日][)）]|[月火水木金土日]曜日?)"
    rf"(?:の)?(?:午前|午後|朝|昼|お昼|夕方|夜)?(?:の)?(?:{_JA_HOUR})?"
    rf"|(?:明日|明後日|あさって)(?:の)?(?:午前|午後|朝|昼|お昼|夕方|夜)?(?:の)?(?:{_JA_HOUR})?"
    rf"|(?:午前|午後)?{_JA_HOUR}|(?:来週|今週末|週明け)(?=(?:で|なら|でしたら|は|あたり|中|のどこか|以降))"
)
_JA_CUE = re.compile(
    r"いかが|どうでしょう|どうですか|どうかな|空いて|あいて|大丈夫|都合が(?:つき|よ|良|い)|ご都合|可能です|可能でしたら"
    r"|お話しでき|話せ|お時間(?:を)?(?:取れ|作れ|いただけ|あり)|にしましょう|しませんか|問題ありません|OK|ＯＫ"
    r"|お会いでき|会え|伺え|お電話|お願いできれば|いかがですか|でしたら|なら"
)
_JA_TIME_NEG_AFTER = re.compile(
    r"^(?:は|も|が)?(?:ちょっと|少し|あいにく)?(?:難し|厳し|都合が(?:つか|悪)|空いていな|空いておりませ|埋ま|予定が(?:入|あ)"
    r"|無理|だめ|ダメ|不在|出張|NG|塞が|ふさが)"
)


def _en_time(text: str) -> str | None:
    for sentence in re.finditer(r"[^.!?\n]+[.!?]*", text):
        s = sentence.group()
        for clause_m in _CLAUSE.finditer(s):
            clause = clause_m.group()
            if not _EN_CUE.search(clause) and not _EN_CUE.search(s[clause_m.end() :][:40]):
                continue
            for m in _EN_TIME.finditer(clause):
                before = clause[: m.start()]
                after = clause[m.end() :]
                if _EN_TIME_NEG_BEFORE.search(before) or _EN_TIME_NEG_AFTER.search(after):
                    continue
                phrase = " ".join(m.group().split())
                return re.sub(r"^on\s+", "", phrase, flags=_I)
    return None


def _ja_time(text: str) -> str | None:
    for sentence in re.finditer(r"[^。！？!?\n]+[。！？!?]*", text):
        s = sentence.group()
        if not _JA_CUE.search(s):
            continue
        for m in _JA_TIME.finditer(s):
            if not m.group() or _JA_TIME_NEG_AFTER.search(s[m.end() :]):
                continue
            return m.group()
    return None


def proposed_time(text: str) -> str | None:
    """The time they propose, as they wrote it (a negated one, "I can't make Tuesday", skipped)."""
    return _en_time(text) or _ja_time(text)


# --- declines, help, gladness ---------------------------------------------------

_EN_DECLINE = re.compile(
    rf"\b(?:can{_A}?t|cannot|couldn{_A}?t|won{_A}?t be able|unable|not able) to (?:help|do|make|take|"
    rf"commit|introduce|connect|assist|manage|find|fit|give|spare|be of|get involved|say yes)"
    rf"|\bcan{_A}?t (?:right now|at the moment|this time|these days)"
    rf"|\bcan{_A}?t (?:make|do) (?:it|that|then|\w+day)\b|\bhectic\b"
    r"|\bno time\b|\b(?:too|very|super|really|so|crazy|extremely) (?:busy|swamped|stretched)"
    r"|\b(?:I{_A}?m|I am|we{_A}?re|things are) (?:\w+ )?(?:swamped|slammed|snowed under|underwater|"
    r"overloaded|stretched(?: thin)?|maxed out|at capacity)|\bfull plate\b"
    r"|\b(?:love|like|wish) (?:I could|to help)[^.!?]*\bbut\b"
    r"|\bnot (?:a good|the best|the right) (?:time|moment|person|fit)\b|\bnot right now\b"
    r"|\bnot at the moment\b|\bnot (?:at )?this time\b|\b(?:have|need|going) to pass\b"
    r"|\bpass on this\b|\bnot in a position\b|\bdon{_A}?t think I can\b|\bI(?:'ll| will|'d| would)"
    r" (?:have to|need to) (?:decline|say no|pass)|\bdecline\b|\bmaybe (?:later|another time"
    r"|next (?:year|month|quarter))|\bdon{_A}?t (?:really )?know (?:anyone|him|her|them|the)"
    r"|\bno longer (?:in touch|work|at|there)|\bnot (?:in touch|close) with|\bbandwidth\b"
    r"|\bon my plate\b|\bunfortunately\b|\bafraid (?:I|not)\b|\bcan{_A}?t take (?:it|this) on"
    r"|\bcircle back (?:in|after|later)|\bping me (?:in|after|later|again)\b|\bnot (?:now|yet)\b"
    r"|\b(?:later|next) (?:in the year|month|quarter)\b".replace("{_A}", _A),
    _I,
)
_EN_NOT_DECLINE = re.compile(
    rf"\bcan{_A}?t (?:wait|believe|thank|tell you how|say (?:no|how))|\bno problem|\bnot a problem"
    rf"|couldn{_A}?t be (?:happier|more)|\bnot at all\b",
    _I,
)
_EN_HELP = re.compile(
    rf"\b(?:happy|glad|delighted|more than happy|keen|pleased|willing) to (?:help|introduce|connect"
    rf"|intro|share|put you in touch|make (?:the|an) intro|pass|forward|look|review|chat|talk|meet"
    rf"|do it|support|advise|give|send|read|recommend|vouch)|\b(?:I{_A}?ll|I will|let me)"
    rf" (?:introduce|connect|intro|put you in touch|forward|pass|send|loop|cc|ask|check|look|"
    rf"reach out|talk to|mention|share|write)|\bI{_A}?ve (?:cc{_A}?d|copied|looped|forwarded|"
    rf"introduced|connected|sent|passed|mentioned|asked)|\bcopying\b|\bcc{_A}?ing\b"
    rf"|\bmeet (?:my|our) |\bmy advice|\bI{_A}?d (?:suggest|recommend|start|focus|look|talk|say)"
    rf"|\bI would (?:suggest|recommend|start|focus)|\byou (?:should|might want to|could try|may want"
    rf" to)|\bhave you (?:tried|considered|looked|thought)|\bmy two cents|\bin my experience"
    rf"|\bwhat worked for me|\bhere{_A}?s what|\bmy (?:take|view|thoughts?)\b|\bbest bet"
    rf"|\bworth (?:looking|reading|talking|trying|a look)|\btake a look at|\bcount me in"
    rf"|\b(?:I{_A}?d|I would|would) (?:love|be glad|be happy) to (?:help|introduce|connect|share"
    rf"|put you in touch|look|review|advise)"
    rf"|\bof course\b|\babsolutely\b|\bsure thing|\bhappy to\b|\bI can (?:help|introduce|connect"
    rf"|intro|ask|put|send|share|review|look)|\bone thing\b|\btips?\b|\bI recommend",
    _I,
)
_EN_GLAD = re.compile(
    r"\b(?:great|good|lovely|nice|wonderful|so nice|a joy|a treat|fantastic|delightful) to hear "
    r"from you|\bwhat a (?:nice|lovely|pleasant|great) surprise|\bthanks? (?:you )?(?:so much )?for "
    r"(?:reaching out|writing|getting in touch|the (?:note|message|email|update))|\bglad you "
    r"(?:wrote|reached out|got in touch)|\bnice to hear|\bmade my day|\bbeen (?:too )?long\b"
    r"|\bgood to hear|\bso happy to hear|\bhow lovely|\bgreat to reconnect|\blong time\b",
    _I,
)

_JA_DECLINE = re.compile(
    r"難しい|難しく(?!な|あり)|難しそう|厳しい|厳しく(?!な)|時間が(?:取れ|とれ|作れ)(?:ず|ない|ません|そうに)"
    r"|余裕が(?:なく|ない|ありませ)|お力になれ(?:ず|ない|ません|そうに)|力になれ(?:ず|ない|ません|そうに)"
    r"|遠慮させ|見送らせ|お断り|控えさせ|都合が(?:つか|つきませ)|対応(?:でき|いたし)かね|ご期待に(?:添え|沿え)"
    r"|存じ上げ(?:ない|ません|ず)|面識が(?:なく|ない|ありませ)|(?:繋|つな)がりが(?:なく|ない|ありませ)"
    r"|手が回ら|無理(?:そう|です|なので|な状況)|お受けでき(?:ない|ませ)|引き受けられ(?:ない|ませ)"
    r"|いずれ(?:また)?(?:改めて|あらためて)|落ち着いたら|落ち着きましたら|今は(?:ちょっと|少し)?(?:難|厳|無理)"
    r"|申し訳(?:ない|ありません|ございません)が|残念(?:ながら|ですが)|あいにく"
)
_JA_NOT_DECLINE = re.compile(r"難しくない|難しいことは(?:ない|ありません)|問題(?:ない|ありません)")
_JA_HELP = re.compile(
    r"喜んで|ぜひ(?:協力|お手伝い|ご紹介|紹介|お力|ご一緒|お話|お役)|(?:ご)?紹介(?:します|いたします|しますね"
    r"|させて|できます|できる|しましょう)|(?:お)?(?:つなぎ|繋ぎ)(?:します|いたします|しますね|できます)"
    r"|お力になれ(?:れば|たら|ると|るなら)|力になれ(?:れば|たら|ると|るなら)|協力(?:します|いたします|させて)"
    r"|お手伝い(?:します|いたします|できれば|させて|できます|しますよ)|手伝(?:います|えます|えれば)"
    r"|アドバイス|私(?:の経験)?(?:なら|だったら)|(?:た|る)(?:ほうが|方が)(?:いい|よい|良い)"
    r"|おすすめ|お勧め|オススメ|(?:すると|したら)(?:いい|よい|良い)と思|CC(?:に入れ|で)|ＣＣ|転送しました"
    r"|参考になれば|ご参考まで|参考までに|ポイントは|まずは[^。]*(?:みては|てみる|するのが)|声をかけて(?:みます|おきます)"
    r"|聞いて(?:みます|おきます)|連絡して(?:みます|おきます)|伝えて(?:おきます|みます)|お役に立て(?:れば|たら|ると)"
)
_JA_GLAD = re.compile(
    r"嬉しい|うれしい|嬉しく|うれしく|懐かしい|なつかしい|久しぶり|お久しぶり|ご連絡(?:を)?(?:いただき|ありがとう)"
    r"|連絡(?:を)?(?:くれて|もらえて|ありがとう)|お便り|元気そう|驚きました|びっくり|ご無沙汰"
)


def _last_pos(pattern: re.Pattern[str], text: str, exclude: re.Pattern[str] | None = None) -> int:
    banned = [m.span() for m in exclude.finditer(text)] if exclude else []
    last = -1
    for m in pattern.finditer(text):
        if any(a <= m.start() < b for a, b in banned):
            continue
        last = m.start()
    return last


def classify_reply(new_text: str) -> ReplyReading:
    """The kind of a reply's new text (quotes and signature already stripped).

    A proposed time wins (the thank-you must confirm it); then, between a
    decline and an offer of help, whichever comes last in the text ("I'd love
    to help, but I'm swamped" declines; "I can't do a call, but here's what I'd
    do" helps); then plain gladness. Negations count: "I can't make Tuesday
    but Thursday works" proposes Thursday, "can't wait to hear more" declines
    nothing.
    """
    text = " ".join(new_text.split()) if "\n" not in new_text else new_text
    if not text.strip():
        return ReplyReading(ReplyKind.UNKNOWN)
    time = proposed_time(text)
    if time:
        return ReplyReading(ReplyKind.PROPOSES_TIME, time)
    decline = max(
        _last_pos(_EN_DECLINE, text, _EN_NOT_DECLINE), _last_pos(_JA_DECLINE, text, _JA_NOT_DECLINE)
    )
    help_ = max(_last_pos(_EN_HELP, text), _last_pos(_JA_HELP, text))
    if decline >= 0 and decline > help_:
        return ReplyReading(ReplyKind.DECLINES)
    if help_ >= 0:
        return ReplyReading(ReplyKind.OFFERS_HELP)
    if _EN_GLAD.search(text) or _JA_GLAD.search(text):
        return ReplyReading(ReplyKind.GLAD_ONLY)
    return ReplyReading(ReplyKind.UNKNOWN)


# --- the thank-you ----------------------------------------------------------------


@dataclass(frozen=True)
class ThankYou:
    """A thank-you body for one reply kind: paragraphs between the greeting and the signature.

    ``placeholder`` is the bracketed line the person fills in before sending
    (None when there is none).
    """

    kind: ReplyKind
    paragraphs: tuple[str, ...]
    placeholder: str | None

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


_TIME = "{time}"

_EN: dict[ReplyKind, tuple[str, ...]] = {
    ReplyKind.PROPOSES_TIME: (
        "Thank you so much for getting back to me — it's lovely to hear from you again.",
        f"{_TIME} works for me. [How we'll talk: a phone number, a video link or a place]",
        "Looking forward to it.",
    ),
    ReplyKind.OFFERS_HELP: (
        "Thank you so much for your reply, and for your help — it means a lot.",
        "I'll start with [what you'll try first], and I'll let you know how it goes.",
        "If there's ever anything I can do for you in return, just say the word.",
    ),
    ReplyKind.DECLINES: (
        "Thank you for getting back to me, and for letting me know — I completely understand, "
        "so please don't give it another thought.",
        "I'm simply glad we're back in touch, and I'd love to catch up whenever the timing is "
        "better for you.",
    ),
    ReplyKind.GLAD_ONLY: (
        "Thank you for your reply — it was a real pleasure to hear from you again.",
        "[A line about their news]",
        "Let's not let so much time pass again.",
    ),
    ReplyKind.UNKNOWN: (
        "Thank you for your reply — it was a real pleasure to hear from you again.",
        "[A line answering what they wrote]",
        "Let's keep in touch this time.",
    ),
}

_JA: dict[str, dict[ReplyKind, tuple[str, ...]]] = {
    "formal": {
        ReplyKind.PROPOSES_TIME: (
            "ご返信いただき、ありがとうございます。久しぶりにご連絡をいただけて、大変嬉しく存じます。",
            f"{_TIME}で承知いたしました。[お話しする方法や場所]",
            "お話しできるのを楽しみにしております。",
        ),
        ReplyKind.OFFERS_HELP: (
            "ご返信いただき、誠にありがとうございます。お忙しいなか、お時間を割いていただき、心より感謝申し上げます。",
            "まずは[最初に取り組むこと]から始めてみます。その後の様子も、あらためてご報告いたします。",
            "私にできることがございましたら、いつでもお声がけください。",
        ),
        ReplyKind.DECLINES: (
            "ご返信いただき、ありがとうございます。ご事情、承知いたしました。どうぞお気になさらないでください。",
            "こうして久しぶりにご連絡できたことを、大変嬉しく思っております。"
            "またご都合のよいときに、近況をお聞かせいただけましたら幸いです。",
        ),
        ReplyKind.GLAD_ONLY: (
            "ご返信いただき、ありがとうございます。久しぶりにお便りをいただけて、大変嬉しく存じます。",
            "[近況へのひとこと]",
            "これを機に、今後ともお付き合いいただけましたら幸いです。",
        ),
        ReplyKind.UNKNOWN: (
            "ご返信いただき、ありがとうございます。久しぶりにお便りをいただけて、大変嬉しく存じます。",
            "[いただいたお便りへのひとこと]",
            "これを機に、今後ともお付き合いいただけましたら幸いです。",
        ),
    },
    "polite": {
        ReplyKind.PROPOSES_TIME: (
            "お返事をありがとうございます。久しぶりに連絡をいただけて、とても嬉しかったです。",
            f"{_TIME}で大丈夫です。[話す方法や場所]",
            "お話しできるのを楽しみにしています。",
        ),
        ReplyKind.OFFERS_HELP: (
            "お返事をありがとうございます。お忙しいなか、お時間を割いていただき、本当に感謝しています。",
            "まずは[最初に取り組むこと]から始めてみます。どうなったか、またご報告しますね。",
            "私にできることがあれば、いつでも声をかけてください。",
        ),
        ReplyKind.DECLINES: (
            "お返事をありがとうございます。事情はよくわかりました。どうぞ気にしないでください。",
            "こうして久しぶりに連絡が取れて、本当に嬉しかったです。"
            "またタイミングのよいときに、近況を聞かせてください。",
        ),
        ReplyKind.GLAD_ONLY: (
            "お返事をありがとうございます。久しぶりに連絡をいただけて、とても嬉しかったです。",
            "[近況へのひとこと]",
            "これからも、ときどき近況を伝え合えたら嬉しいです。",
        ),
        ReplyKind.UNKNOWN: (
            "お返事をありがとうございます。久しぶりに連絡をいただけて、とても嬉しかったです。",
            "[いただいたお返事へのひとこと]",
            "これからも、ときどき近況を伝え合えたら嬉しいです。",
        ),
    },
}

_NO_TIME = {"en": "[The time you can make]", "ja": "[ご提案いただいた日時]"}


def thank_you_for(
    kind: ReplyKind | str,
    language: str,
    level: str = "polite",
    *,
    time_phrase: str | None = None,
) -> ThankYou:
    """The thank-you paragraphs for a reply of ``kind`` in ``language`` ("en"/"ja").

    ``level`` matters for Japanese only (``"formal"`` for 様, ``"polite"`` for
    さん). ``time_phrase`` is the time they proposed (from
    :func:`classify_reply`); without it, a bracketed line asks the person to
    fill the time in.
    """
    k = ReplyKind(kind)
    ja = language.lower().startswith("ja")
    table = _JA["formal" if level == "formal" else "polite"] if ja else _EN
    time = time_phrase.strip() if time_phrase and time_phrase.strip() else None
    if time is None:
        time = _NO_TIME["ja" if ja else "en"]
    elif not ja:
        time = time[0].upper() + time[1:]
    paragraphs = tuple(p.replace(_TIME, time) for p in table[k])
    brackets = [m.group() for p in paragraphs for m in re.finditer(r"\[[^\]]+\]", p)]
    return ThankYou(k, paragraphs, brackets[0] if brackets else None)


def kizuna_sentences() -> tuple[str, ...]:
    """Every fixed sentence this module writes, for the tone checker to leave alone."""
    texts = [p for paras in _EN.values() for p in paras]
    texts += [p for level in _JA.values() for paras in level.values() for p in paras]
    out: list[str] = []
    for t in texts:
        for piece in t.split(_TIME):
            out += [s for s in re.split(r"(?<=[.?!。？！])\s*", piece) if len(s.strip()) >= 6]
    return tuple(out)
