"""Phrasing: subjects as topics, "when we last wrote", and subjects that say who you are.

This module is long because each sentence slot has several phrasings in two
languages and two registers, chosen per contact so that drafts differ.

A raw subject line is not a topic. :func:`topic_of` keeps only subjects that
name something two people could remember (``Berlin conference``,
``Lisbon UX workshop``, ``勉強会の資料``) and drops the rest: reply and forward
prefixes alone, greetings, one-word subjects (``photos``, ``lunch?``),
questions, ticket and invoice numbers, relative dates (``明日の件``), and
sentences. :func:`topic_words` turns a topic into words for a sentence
(``the Berlin conference``), never a quoted subject.

The sentences, in both languages and both registers:

* :func:`last_wrote`: ``We last wrote in spring 2016, about the Berlin
  conference.`` / ``2016年の春に勉強会の資料のことでやり取りして以来ですね。``
  (さん) / ``2016年の春に勉強会の資料の件でやり取りさせていただいて以来となります。``
  (様). Without a topic, simply when.
* :func:`subject_line`: ``Sam Carter (Berlin conference): a question about
  product design`` / ``ご無沙汰しております（勉強会でお世話になったSam Carterです）``.
* :func:`japanese_opening`: ``ご無沙汰しております。勉強会でお世話になりましたSam Carterです。``

Each slot has a few phrasings; :func:`~worker.words.language.choose` picks
one per contact (a stable hash of the address), so two drafts read
differently and a draft does not change between runs. No sentence invents a
feeling (no "I've thought of you often"), none is a farewell, and each
Japanese sentence keeps one politeness level: です・ます for the さん register,
謙譲語 for the 様 register, never 〜ね or 〜よ with 様.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from worker.words.language import choose, is_japanese_text
from worker.words.register import Register

__all__ = [
    "Topic",
    "normalize_subject",
    "topic_of",
    "topic_words",
    "when_words",
    "last_wrote",
    "subject_line",
    "japanese_opening",
]

# Reply and forward prefixes, any number, any mix: "Re: FW: Fwd[2]:", "AW:",
# "SV:", "返信:", "転送:", full-width "Ｒｅ：".
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|ｒｅ|aw|sv|vs|antw|fwd?|ｆｗｄ?|wg|tr|rif|r|返信|転送)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
# Mailing-list tags and bracketed labels: "[team]", "【ご相談】", "[EXTERNAL]".
_TAG_RE = re.compile(r"^\s*(?:\[[^\]]{0,40}\]|【[^】]{0,20}】|〔[^〕]{0,20}〕)\s*")
_NO_SUBJECT = frozenset(
    {"", "(no subject)", "no subject", "(none)", "無題", "件名なし", "（件名なし）", "(件名なし)"}
)

_EN_NOT_TOPICS = frozenset(
    """
    hi hello hey hiya greetings thanks thank thankyou cheers ok okay yes no question questions
    quick question update updates fyi misc test testing photos photo pics pictures picture
    lunch coffee dinner drinks beer call meeting meet catch catchup catch-up chat hello again
    follow-up followup follow news info information note notes reminder request help invoice
    receipt order payment ticket case booking reservation confirmation document documents
    file files attachment attachments link links draft re fw fwd sorry congrats congratulations
    happy birthday welcome intro introduction greetings hi there long time time stuff things
    """.split()
)
_EN_NOT_TOPIC_PHRASES = (
    "hello again", "long time no see", "long time", "catching up", "catch up", "quick question",
    "thank you", "thanks a lot", "happy birthday", "happy new year", "merry christmas",
    "good news", "checking in", "just checking", "following up", "follow up", "hi there",
    "your order", "your account", "out of office", "automatic reply", "meeting request",
)  # fmt: skip
_TRANSACTIONAL_RE = re.compile(
    r"(?:#\s*\d+|\b(?:invoice|receipt|order|ticket|case|booking|reservation|ref|po|no)\b\.?\s*[#:]?\s*\d+|"
    r"\b[A-Z]{2,}-\d+\b|\d{4,}|請求書|領収書|見積|注文|発注|受注|予約|チケット)",
    re.IGNORECASE,
)
_RELATIVE_TIME_RE = re.compile(
    r"\b(?:today|tomorrow|tonight|yesterday|this (?:week|weekend|morning|afternoon|evening)|"
    r"next (?:week|month)|last (?:week|night)|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|(?:next|this|last) year)\b|来年|今年|去年|昨年|再来週|明後日|今日|本日|明日|あした|昨日|今夜|今晩|今週|来週|先週|今月|来月|先月|今度|週末|先日|"
    r"[月火水木金土日]曜",
    re.IGNORECASE,
)
_QUESTION_START_RE = re.compile(
    r"^(?:can|could|would|will|are|is|do|did|does|have|has|what|when|where|why|how|who|which|"
    r"shall|should|may|let's|lets|please|need|want|just|any|anyone|got)\b",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"https?://|www\.|@")
_EN_LEADS_RE = re.compile(r"^(?:about|regarding|re|on|concerning)\s+", re.IGNORECASE)

_JA_NOT_TOPICS = frozenset(
    """
    こんにちは こんばんは おはようございます お久しぶりです お久しぶり ご無沙汰しております
    ありがとう ありがとうございます ありがとうございました お礼 御礼 お疲れ様です 写真 ランチ
    飲み会 打ち合わせ 打合せ ミーティング 連絡 ご連絡 確認 ご確認 質問 ご質問 相談 ご相談
    お願い お知らせ ご案内 ご挨拶 挨拶 テスト 資料 資料送付 送付 報告 ご報告 件 用件 よろしく
    おめでとう おめでとうございます 近況 近況報告 お元気ですか 元気 メモ 日程 日程調整
    """.split()
)
_JA_TOPIC_ENDINGS = (
    "についてのご相談", "についてのお願い", "に関するご相談", "に関するお問い合わせ", "に関して",
    "についての件", "について", "のご相談", "のお願い", "のご案内", "のお知らせ", "のご連絡",
    "のご報告", "の日程調整", "の日程", "の件", "件",
)  # fmt: skip
_JA_SENTENCE_END_RE = re.compile(
    r"(?:です|ます|した|ません|でしょう|ください|下さい|ね|よ|か)[。！!？?]*$"
)

_EN_EVENT_NOUNS = frozenset(
    """
    conference workshop meetup summit seminar retreat offsite hackathon course class trip
    project program programme festival event training bootcamp camp tour expo fair symposium
    forum congress launch wedding reunion study group meeting panel talk lecture exhibition
    """.split()
)
_JA_EVENT_ENDINGS = (
    "勉強会", "懇親会", "交流会", "説明会", "発表会", "研究会", "読書会", "大会", "会議", "総会",
    "セミナー", "研修", "ワークショップ", "合宿", "カンファレンス", "イベント", "プロジェクト",
    "展示会", "講演会", "講演", "ハッカソン", "旅行", "ツアー", "ミートアップ", "打ち上げ", "会",
)  # fmt: skip
# Common nouns that open a subject in sentence case; lowered in a sentence
# ("Slides from the talk" -> "the slides from the talk").
_EN_COMMON_FIRST = frozenset(
    """
    slides notes photos pictures draft drafts minutes agenda plans plan ideas feedback thoughts
    paper article report proposal budget project trip dinner party workshop conference meeting
    talk presentation website site book course class seminar program programme review summary
    results data contract offer questions launch design designs mockups prototype study survey
    recording video videos podcast interview chapter manuscript translation event
    portfolio freelance team website app redesign move
    """.split()
)
_EN_IMPERATIVES = frozenset(
    """fix add update check send see review remove change move sign book confirm submit approve
    join register schedule reschedule cancel call read share upload download install""".split()
)
_EN_DETERMINERS = frozenset({"the", "a", "an", "our", "your", "my", "this", "that", "these"})


@dataclass(frozen=True, slots=True)
class Topic:
    """A subject worth naming: ``text`` as written (prefixes, tags and ``の件`` removed).

    ``language``: ``"ja"`` or ``"en"``. ``event``: it names an event or a
    shared undertaking (a conference, 勉強会, a project), which a subject can
    recall as "where we met" (``勉強会でお世話になった``).
    """

    text: str
    language: str
    event: bool


def normalize_subject(subject: str | None) -> str:
    """A subject without reply/forward prefixes, list tags and extra spaces.

    >>> normalize_subject("Re: FW: [team] Re: Berlin conference")
    'Berlin conference'
    >>> normalize_subject("(no subject)")
    ''
    """
    text = " ".join((subject or "").split())
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX_RE.sub("", text)
        text = _TAG_RE.sub("", text)
    text = text.strip(" \t-–—:：")
    return "" if text.lower() in _NO_SUBJECT else text


def _english_topic(text: str) -> Topic | None:
    text = _EN_LEADS_RE.sub("", text).strip(" .!\"'“”")
    low = text.lower()
    words = low.replace(",", " ").split()
    if len(words) < 2 or len(words) > 8 or len(text) > 60:
        return None
    if text.endswith("?") or _QUESTION_START_RE.match(text):
        return None
    if any(
        low == p or low.startswith(p + " ") or low.endswith(" " + p) for p in _EN_NOT_TOPIC_PHRASES
    ):
        return None
    content = [
        w
        for w in words
        if w not in _EN_DETERMINERS
        and w not in ("and", "of", "for", "from", "with", "to", "in", "at", "on")
    ]
    if not content or all(w.strip("!.") in _EN_NOT_TOPICS for w in content):
        return None
    if text.endswith("!") or text.isupper():
        return None
    if words[0] in _EN_IMPERATIVES:
        return None  # "Fix login", "Send the slides": a task, not a topic
    # An event names where two people met; "Slides from the talk" does not.
    event = (
        words[-1].strip(".!") in _EN_EVENT_NOUNS
        and not words[0].endswith("ing")
        and not any(w in ("from", "for", "about", "of", "on", "after", "before") for w in words)
    )
    return Topic(text=text, language="en", event=event)


def _japanese_topic(text: str) -> Topic | None:
    text = text.strip("「」『』\"'　 ")
    if _JA_SENTENCE_END_RE.search(text) or text.endswith(("？", "?", "！", "!")):
        return None
    for ending in _JA_TOPIC_ENDINGS:
        if text.endswith(ending) and len(text) > len(ending):
            text = text[: -len(ending)].rstrip("のに ")
            break
    text = text.strip("「」『』 ")
    if not text or text in _JA_NOT_TOPICS or len(text) < 2 or len(text) > 30:
        return None
    if not is_japanese_text(text):
        return _english_topic(text)
    event = text.endswith(_JA_EVENT_ENDINGS)
    return Topic(text=text, language="ja", event=event)


def topic_of(subject: str | None) -> Topic | None:
    """The topic a subject names, or None when it names none.

    >>> topic_of("Re: Berlin conference")
    Topic(text='Berlin conference', language='en', event=True)
    >>> topic_of("Fwd: Invoice #2231") is None, topic_of("lunch?") is None
    (True, True)
    >>> topic_of("Re: 勉強会の資料の件").text
    '勉強会の資料'
    """
    text = normalize_subject(subject)
    if not text or _URL_RE.search(text) or _TRANSACTIONAL_RE.search(subject or ""):
        return None
    if _TRANSACTIONAL_RE.search(text) or _RELATIVE_TIME_RE.search(text):
        return None
    if is_japanese_text(text):
        return _japanese_topic(text)
    return _english_topic(text)


def topic_words(topic: Topic, language: str) -> str | None:
    """The topic as words in a sentence of ``language``, or None when it does not fit.

    English: a noun phrase with its article (``the Berlin conference``, ``the
    slides from the talk``, ``planning the offsite``). Japanese: the topic as
    written (``勉強会の資料``). A Japanese topic does not go into an English
    sentence; an English one goes into a Japanese sentence only when it names
    an event (``Lisbon UX workshop``).

    >>> topic_words(Topic("Berlin conference", "en", True), "en")
    'the Berlin conference'
    """
    if language == "ja":
        if topic.language == "ja" or topic.event:
            return topic.text
        return None
    if topic.language != "en":
        return None
    words = topic.text.split()
    first = words[0]
    if first.lower() in _EN_DETERMINERS:
        return " ".join([first.lower(), *words[1:]])
    if first.lower().endswith("ing") and first.lower() not in _EN_COMMON_FIRST:
        return " ".join([first.lower(), *words[1:]])  # "Planning the offsite"
    rest_lower = all(not w[:1].isupper() for w in words[1:])
    if first.lower() in _EN_COMMON_FIRST and rest_lower:
        words = [first.lower(), *words[1:]]  # sentence case: "Slides from the talk"
    return "the " + " ".join(words)


# --- when ---------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def when_words(when: datetime, now: datetime, language: str) -> str:
    """When something happened, in words fit to follow "in"/"に" (en: includes "in").

    =====================  ======================  ==============
    when                   en                      ja
    =====================  ======================  ==============
    under 45 days ago      a few weeks ago         数週間前
    this calendar year     in March                3月
    January, February      in early 2016           2016年の初め
    March to May           in spring 2016          2016年の春
    June to August         in summer 2016          2016年の夏
    September to November  in autumn 2016          2016年の秋
    December               in late 2016            2016年の暮れ
    =====================  ======================  ==============

    >>> when_words(datetime(2016, 4, 2), datetime(2025, 1, 1), "en")
    'in spring 2016'
    >>> when_words(datetime(2016, 4, 2), datetime(2025, 1, 1), "ja")
    '2016年の春'
    """
    when, now = _utc(when), _utc(now)
    ja = language == "ja"
    if abs((now - when).days) < 45:
        return "数週間前" if ja else "a few weeks ago"
    if when.year == now.year:
        return f"{when.month}月" if ja else f"in {when.strftime('%B')}"
    year, month = when.year, when.month
    if month <= 2:
        return f"{year}年の初め" if ja else f"in early {year}"
    if month == 12:
        return f"{year}年の暮れ" if ja else f"in late {year}"
    season = ("spring", "summer", "autumn")[(month - 3) // 3]
    ja_season = {"spring": "春", "summer": "夏", "autumn": "秋"}[season]
    return f"{year}年の{ja_season}" if ja else f"in {season} {year}"


# --- sentences ----------------------------------------------------------------

_EN_LAST: dict[tuple[bool, bool], tuple[str, ...]] = {
    (True, True): (
        "We last corresponded {when}, about {topic}.",
        "We last wrote to each other {when}, about {topic}.",
        "The last time we wrote was {when}, about {topic}.",
    ),
    (True, False): (
        "We last wrote {when}, about {topic}.",
        "The last time we wrote was {when}, about {topic}.",
        "Our last emails were {when}, about {topic}.",
    ),
    (False, True): (
        "We last corresponded {when}.",
        "We last wrote to each other {when}.",
        "The last time we wrote was {when}.",
    ),
    (False, False): (
        "We last wrote {when}.",
        "The last time we emailed was {when}.",
        "Our last emails were {when}.",
    ),
}
_JA_LAST: dict[tuple[bool, bool], tuple[str, ...]] = {
    # 様: 謙譲語, no 〜ね.
    (True, True): (
        "{when}に{topic}の件でやり取りさせていただいて以来となります。",
        "最後にやり取りさせていただいたのは{when}、{topic}の件でした。",
    ),
    (False, True): (
        "{when}にやり取りさせていただいて以来となります。",
        "最後にやり取りさせていただいたのは{when}でした。",
    ),
    # さん: です・ます.
    (True, False): (
        "{when}に{topic}のことでやり取りして以来ですね。",
        "最後にやり取りしたのは{when}、{topic}のことでした。",
    ),
    (False, False): (
        "{when}にやり取りして以来ですね。",
        "最後にメールをやり取りしたのは{when}でした。",
    ),
}


def last_wrote(
    language: str,
    register: Register,
    key: str,
    when: datetime | None,
    now: datetime,
    topic: Topic | None = None,
) -> str:
    """One sentence saying when (and, with a topic that fits, about what) you last wrote.

    ``key`` is the contact's address (it picks the phrasing). Without a date:
    ``It has been a while since we last wrote.`` / ``しばらくご無沙汰しておりました。``.

    >>> from worker.words.register import Formality, Register
    >>> casual = Register(Formality.CASUAL, "さん")
    >>> topic = topic_of("勉強会の資料")
    >>> last_wrote("ja", casual, "b@example.com", datetime(2016, 4, 1), datetime(2025, 1, 1), topic)
    '2016年の春に勉強会の資料のことでやり取りして以来ですね。'
    """
    words = topic_words(topic, language) if topic else None
    if when is None:
        if language == "ja":
            return (
                "しばらくご無沙汰しておりました。"
                if register.formal
                else "すっかりご無沙汰してしまいました。"
            )
        if words:
            return f"It has been a while since we last wrote, about {words}."
        return "It has been a while since we last wrote."
    when_text = when_words(when, now, language)
    table: dict[tuple[bool, bool], tuple[str, ...]] = _JA_LAST if language == "ja" else _EN_LAST
    options = table[(words is not None, register.formal)]
    sentence = choose(options, key, "last_wrote").format(when=when_text, topic=words or "")
    return sentence[:1].upper() + sentence[1:]


def _ja_who(topic: Topic | None, sender: str, formal: bool, body: bool) -> str:
    """``勉強会でお世話になったSam Carterです`` and its casual and body forms."""
    words = topic_words(topic, "ja") if topic else None
    if words is None:
        if formal:
            return (
                f"以前お世話になりました{sender}です" if body else f"以前お世話になった{sender}です"
            )
        return f"{sender}です"
    place = f"{words}で" if topic is not None and topic.event else f"{words}の件で"
    if formal:
        return (
            f"{place}お世話になりました{sender}です"
            if body
            else f"{place}お世話になった{sender}です"
        )
    if topic is not None and topic.event:
        return f"{place}ご一緒した{sender}です"
    return f"{place}お世話になった{sender}です"


def subject_line(
    language: str,
    register: Register,
    key: str,
    sender: str,
    *,
    topic: Topic | None = None,
    purpose: str = "",
) -> str:
    """A subject that says who is writing, through what you shared.

    ``sender`` is the user's name; ``purpose`` an optional short noun phrase
    in ``language`` (``a question about product design``,
    ``プロダクトデザインについてのご相談``) from the reason.

    >>> from worker.words.register import Formality, Register
    >>> formal = Register(Formality.FORMAL, "様")
    >>> subject_line("ja", formal, "a@example.com", "Sam Carter", topic=topic_of("勉強会"))
    'ご無沙汰しております（勉強会でお世話になったSam Carterです）'
    >>> subject_line("en", formal, "a@example.com", "Sam Carter",
    ...              topic=topic_of("Lisbon UX workshop"), purpose="a question about product design")
    'Sam Carter (Lisbon UX workshop): a question about product design'
    """
    purpose = " ".join(purpose.split()).rstrip("。.")
    if language == "ja":
        who = _ja_who(topic, sender, register.formal, body=False)
        if purpose:
            return f"{purpose}（{who}）"
        greeting = "ご無沙汰しております" if register.formal else "お久しぶりです"
        return f"{greeting}（{who}）"
    anchor = topic.text if topic is not None and topic_words(topic, "en") else ""
    if purpose:
        if anchor:
            return f"{sender} ({anchor}): {purpose}"
        # No shared topic to recall: say it one of a few ways, so drafts differ.
        return choose(
            (
                f"{sender}: {purpose}",
                f"{purpose[:1].upper()}{purpose[1:]} from {sender}",
                f"{sender}, with {purpose}",
            ),
            key,
            "subject",
        )
    if anchor:
        return choose(
            (f"Hello from {sender} ({anchor})", f"{sender} ({anchor}), catching up"), key, "subject"
        )
    return choose(
        (f"Hello from {sender}", f"{sender}, catching up", f"A note from {sender}"), key, "subject"
    )


def japanese_opening(register: Register, sender: str, topic: Topic | None = None) -> str:
    """The first lines of a Japanese draft after the name: greeting and who you are.

    >>> from worker.words.register import Formality, Register
    >>> japanese_opening(Register(Formality.FORMAL, "様"), "Sam Carter", topic_of("勉強会"))
    'ご無沙汰しております。勉強会でお世話になりましたSam Carterです。'
    >>> japanese_opening(Register(Formality.CASUAL, "さん"), "Sam Carter")
    'お久しぶりです。Sam Carterです。'
    """
    greeting = "ご無沙汰しております。" if register.formal else "お久しぶりです。"
    return f"{greeting}{_ja_who(topic, sender, register.formal, body=True)}。"
