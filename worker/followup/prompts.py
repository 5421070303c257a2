"""The reminder prompts Kizuna delivers to the user's own mailbox.

This module is long because it holds the prompts' words in two languages, each
beside the other, so that the English and the Japanese say the same things.

A prompt is a short mail to oneself: who, why, what to do, and where the draft
is. Three kinds, as in the contract: ``thank-you`` (a contact replied: a
threaded thank-you draft that answers their reply waits in Drafts), ``gift``
(some days later: what did they do for you? the thank-you follows the favour)
and ``keep-in-touch`` (every so often).

Prompts speak the *user's* language (``[account] language``, see
:attr:`worker.config.Config.user_language`), whatever language the drafts are
in, and name the contact as a person: no company prefix (``株式会社ABC 山田
太郎`` is ``山田 太郎さん`` to a Japanese-speaking user and ``山田 太郎`` to an
English-speaking one), the address when no person is known.

The words for the user's actions are the page's and the add-on's: Done / 完了,
Dismiss / 見送る, Snooze / 再通知 (see ``worker/web/static/i18n.json``).

:func:`build_prompt_message` turns a :class:`Prompt` into the mail itself:
UTF-8, quoted-printable, a fresh ``Message-ID``, ``X-Kizuna-Kind`` and
``Auto-Submitted: auto-generated``, so that Kizuna's own scan (see
:mod:`worker.mail.automation`) never counts a prompt as personal contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from worker.mail.build import domain_of
from worker.store.reminders import KINDS
from worker.words.gifts import Favour, favour_label, gift_suggestion
from worker.words.names import parse_name, person_label, with_san

__all__ = [
    "KINDS",
    "Prompt",
    "contact_words",
    "thank_you_prompt",
    "gift_prompt",
    "keep_in_touch_prompt",
    "build_prompt_message",
]

SUBJECT_TAG = "[Kizuna]"


@dataclass(frozen=True)
class Prompt:
    """One reminder prompt: ``kind`` is one of :data:`KINDS`."""

    kind: str
    subject: str
    body: str


def _one_line(value: str | None) -> str:
    """Collapse whitespace (and any CR/LF a hostile display name carries)."""
    return re.sub(r"\s+", " ", value or "").strip()


def _lang(language: str) -> str:
    primary = (language or "en").split("-", 1)[0].split("_", 1)[0].lower()
    return "ja" if primary == "ja" else "en"


def contact_words(name: str, email: str, language: str) -> str:
    """How a prompt in ``language`` names the contact: the person, never their company.

    >>> contact_words("株式会社ABC 山田 太郎", "taro@abc.example", "ja")
    '山田 太郎さん'
    >>> contact_words("Acme Inc. - John Smith", "john@acme.example", "en")
    'John Smith'
    >>> contact_words("株式会社ABC", "info@abc.example", "ja")
    'info@abc.example'
    """
    who = person_label(_one_line(name), _one_line(email)) if _one_line(name) else ""
    if not who or who == _one_line(name) and not parse_name(who, email).is_person:
        return _one_line(email) or ("連絡先" if _lang(language) == "ja" else "your contact")
    return with_san(who) if _lang(language) == "ja" else who


def _quote(excerpt: str) -> str:
    lines = [ln.strip() for ln in (excerpt or "").strip().splitlines() if ln.strip()]
    return "\n".join(f"> {ln}" for ln in lines)


def _date(value: datetime | None, language: str) -> str:
    if value is None:
        return ""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = when.astimezone()
    if _lang(language) == "ja":
        return f"{local.year}年{local.month}月{local.day}日"
    return local.date().isoformat()


# What the thank-you draft does for each kind of reply, and what the user adds.
_THANKS_EN = {
    "offers_help": (
        "They offered help or advice. The draft thanks them and leaves a line in "
        "[brackets] for what you will try first."
    ),
    "proposes_time": (
        "They proposed a time{time}. The draft confirms it; add how you will talk "
        "(a phone number, a video link or a place) where the [brackets] are."
    ),
    "declines": (
        "They can't help right now. The draft thanks them, says you understand, and keeps "
        "the door open for later."
    ),
    "glad_only": (
        "They were glad to hear from you. The draft thanks them; add a line about their "
        "news where the [brackets] are."
    ),
    "unknown": (
        "The draft thanks them for their reply; add a line answering what they wrote "
        "where the [brackets] are."
    ),
}
_THANKS_JA = {
    "offers_help": (
        "お力添えの申し出やアドバイスをいただいています。下書きはそのお礼を伝え、"
        "まず取り組むことを [ ] の部分に書き足せるようにしてあります。"
    ),
    "proposes_time": (
        "{time}日時のご提案がありました。下書きは、その日時で承る内容です。"
        "[ ] の部分に、話す方法（電話番号、ビデオ会議のリンク、場所など）を書き足してください。"
    ),
    "declines": (
        "今は難しいというお返事でした。下書きはお礼とともに事情への理解を伝え、"
        "また改めてつながれるよう結んでいます。"
    ),
    "glad_only": (
        "連絡を喜んでくださっています。下書きはそのお礼を伝える内容です。"
        "[ ] の部分に、相手の近況へのひとことを書き足してください。"
    ),
    "unknown": (
        "下書きは返信へのお礼を伝える内容です。"
        "[ ] の部分に、いただいた返信へのひとことを書き足してください。"
    ),
}


def thank_you_prompt(
    contact_name: str,
    contact_email: str,
    reply_excerpt: str,
    draft_subject: str,
    language: str,
    *,
    reply_kind: str = "unknown",
    proposed_time: str | None = None,
) -> Prompt:
    """A contact replied: say thank you; the threaded draft that answers them waits in Drafts.

    ``language`` is the user's; ``reply_kind`` what the reply did (see
    :class:`worker.words.replies.ReplyKind`), ``proposed_time`` the time they
    proposed, as they wrote it.
    """
    email = _one_line(contact_email)
    quote = _quote(reply_excerpt)
    draft = _one_line(draft_subject)
    kind = reply_kind if reply_kind in _THANKS_EN else "unknown"
    time = _one_line(proposed_time)
    if _lang(language) == "ja":
        who = contact_words(contact_name, email, "ja")
        subject = f"{SUBJECT_TAG} {who}にお礼を"
        parts = [
            f"{who}（{email}）から返信が届きました。"
            if who != email
            else f"{email} から返信が届きました。"
        ]
        if quote:
            parts.append(quote)
        where = (
            f"「下書き」フォルダに、件名「{draft}」のお礼の下書きを用意しました。"
            if draft
            else "「下書き」フォルダに、お礼の下書きを用意しました。"
        )
        parts.append(where + _THANKS_JA[kind].format(time=f"「{time}」と" if time else ""))
        parts.append("やること：下書きを読み返して自分の言葉に整え、今日のうちに送りましょう。")
        parts.append(
            "後日、相手が何をしてくれたかを伺うリマインダーをお送りします。"
            "お礼の品は、していただいたことに見合うものにしましょう。"
        )
        parts.append("— Kizuna")
    else:
        who = contact_words(contact_name, email, "en")
        subject = f"{SUBJECT_TAG} Say thank you to {who}"
        parts = [
            f"{who} <{email}> replied to your message:"
            if who != email
            else f"{email} replied to your message:"
        ]
        if quote:
            parts.append(quote)
        where = (
            f'A threaded thank-you draft is waiting in your Drafts folder, subject "{draft}".'
            if draft
            else "A threaded thank-you draft is waiting in your Drafts folder."
        )
        parts.append(where + " " + _THANKS_EN[kind].format(time=f': "{time}"' if time else ""))
        parts.append("What to do: read the draft, make it yours, and send it today.")
        parts.append(
            "Later, Kizuna will ask what they did for you, so that any gift fits the favour."
        )
        parts.append("— Kizuna")
    return Prompt("thank-you", subject, "\n\n".join(parts) + "\n")


# The scale, smallest first: one line per step, each naming the favours it covers.
_SCALE = (
    (Favour.REPLY, {"en": "a reply", "ja": "返信"}),
    (Favour.CALL, {"en": "a call or advice", "ja": "通話・面談やアドバイス"}),
    (
        Favour.INTRODUCTION,
        {"en": "an introduction, a referral or real work", "ja": "紹介や仕事の協力"},
    ),
)


def _favour_lines(tired: bool, lang: str) -> list[str]:
    sep = "、" if lang == "ja" else "; "
    colon = "：" if lang == "ja" else ": "
    lines = []
    for favour, label in _SCALE:
        ideas = gift_suggestion(favour, tired, lang).ideas
        lines.append(f"- {label[lang]}{colon}{sep.join(ideas[:2])}")
    return lines


def gift_prompt(
    contact_name: str,
    contact_email: str,
    tired: bool,
    language: str,
    *,
    favour: Favour | str | None = None,
    reminder_id: int | None = None,
    replied_at: datetime | None = None,
) -> Prompt:
    """Some days after the reply: a thank-you that fits what they did.

    Without ``favour`` the prompt asks what they did (a reply, a call, advice,
    an introduction or referral, real work) and shows the scale: a note for a
    reply, coffee or sweets for a call or advice, a real gift for an
    introduction or work (something restful first when they sounded tired).
    With it, the ideas for that favour. ``reminder_id`` names the reminder in
    the ``kizuna reminders favour`` instruction.
    """
    lang = _lang(language)
    email = _one_line(contact_email)
    who = contact_words(contact_name, email, lang)
    when = _date(replied_at, lang)
    rid = str(reminder_id) if reminder_id is not None else "ID"
    command = f"  kizuna reminders favour {rid} call"
    kinds = ", ".join(Favour)
    chosen = Favour(favour) if favour else None
    if lang == "ja":
        subject = f"{SUBJECT_TAG} {who}への贈り物"
        named = f"{who}（{email}）" if who != email else email
        opening = (
            f"{named}から{when}に返信をいただきました。"
            if when
            else f"少し前に、{named}から返信をいただきました。"
        )
        parts = [
            opening + "力を貸していただいたときは、していただいたことに見合うお礼をすると、"
            "つながりがいっそう確かなものになります。"
        ]
        if chosen is None:
            parts.append(
                f"{who}は何をしてくれましたか。お礼の目安は次のとおりです。\n"
                + "\n".join(_favour_lines(tired, lang))
            )
            if tired:
                parts.append(
                    "返信からお疲れの様子がうかがえたので、休息になるものを先に挙げています。"
                )
            parts.append(
                "していただいたことは、Kizuna のページ（「kizuna dashboard」でリンクを表示）か、"
                f"次のコマンドで伝えられます（{kinds} のいずれか）。\n\n{command}"
            )
            parts.append(
                "やること：お礼を済ませたらこのリマインダーを「完了」に、"
                "今回は贈らないなら「見送る」にしてください。"
            )
        else:
            suggestion = gift_suggestion(chosen, tired, lang)
            ideas = "\n".join(f"- {idea}" for idea in suggestion.ideas)
            parts.append(f"していただいたこと：{favour_label(chosen, lang)}。{suggestion.note}")
            parts.append(f"候補：\n{ideas}")
            if tired and chosen is not Favour.REPLY:
                parts.append(
                    "返信からお疲れの様子がうかがえたので、休息になるものを先に挙げています。"
                )
            parts.append(
                "やること：ひとつ選んで、短いお礼の言葉を添えて贈りましょう。済んだらこのリマインダーを"
                "「完了」に、今回は贈らないなら「見送る」にしてください。"
            )
    else:
        subject = f"{SUBJECT_TAG} A thank-you gift for {who}?"
        named = f"{who} <{email}>" if who != email else email
        opening = (
            f"{named} replied to you on {when}." if when else f"{named} replied to you a while ago."
        )
        parts = [
            opening
            + " Once someone has helped, a thank-you that fits what they did keeps the connection warm."
        ]
        if chosen is None:
            parts.append(
                f"What did {who} do for you? The thank-you follows the favour:\n"
                + "\n".join(_favour_lines(tired, lang))
            )
            if tired:
                parts.append("Their reply sounded tired, so something restful comes first.")
            parts.append(
                "Tell Kizuna what they did on its page (`kizuna dashboard` prints the link) "
                f"or with this command ({kinds}):\n\n{command}"
            )
            parts.append(
                "What to do: once you have thanked them, mark this reminder Done; "
                "if you would rather not send anything, Dismiss it."
            )
        else:
            suggestion = gift_suggestion(chosen, tired, lang)
            ideas = "\n".join(f"- {idea}" for idea in suggestion.ideas)
            parts.append(f"What they did: {favour_label(chosen, lang)}. {suggestion.note}")
            parts.append(f"Ideas:\n{ideas}")
            if tired and chosen is not Favour.REPLY:
                parts.append("Their reply sounded tired, so something restful comes first.")
            parts.append(
                "What to do: pick one and send it with a few lines of thanks, then mark this "
                "reminder Done; if you would rather not send anything, Dismiss it."
            )
    parts.append("— Kizuna")
    return Prompt("gift", subject, "\n\n".join(parts) + "\n")


def keep_in_touch_prompt(
    contact_name: str,
    contact_email: str,
    last_contact: datetime,
    language: str,
    *,
    now: datetime | None = None,
) -> Prompt:
    """Every so often: write a line to keep in touch. ``now`` is for tests."""
    email = _one_line(contact_email)
    who = contact_words(contact_name, email, language)
    when = last_contact if last_contact.tzinfo else last_contact.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    days = max(0, (current - when).days)
    if _lang(language) == "ja":
        named = who if who == email else f"{who}（{email}）"
        subject = f"{SUBJECT_TAG} {who}に近況を"
        date = f"{when.year}年{when.month}月{when.day}日"
        body = (
            f"{named}との最後のやりとりは{date}（{days}日前）でした。\n\n"
            "やること：近況をひとこと書いて送ってみましょう。最近読んだもの、"
            "相手を思い出した出来事、短いお祝いの言葉など、短くて構いません。\n\n— Kizuna\n"
        )
    else:
        subject = f"{SUBJECT_TAG} Keep in touch with {who}"
        date = when.date().isoformat()
        day_word = "day" if days == 1 else "days"
        named = who if who == email else f"{who} <{email}>"
        body = (
            f"Your last exchange with {named} was on {date} ({days} {day_word} ago).\n\n"
            "What to do: send them a short note: something you read, something that "
            "reminded you of them, or just how you are. A few lines are enough.\n\n— Kizuna\n"
        )
    return Prompt("keep-in-touch", subject, body)


def build_prompt_message(
    prompt: Prompt, from_addr: str, to_addr: str, display_name: str, message_id: str | None = None
) -> EmailMessage:
    """The prompt as a mail to the user: UTF-8 quoted-printable text/plain.

    Carries ``message_id`` or a fresh ``Message-ID`` (domain from ``from_addr``), ``Date``,
    ``X-Kizuna-Kind`` and ``Auto-Submitted: auto-generated``.
    """
    if prompt.kind not in KINDS:
        raise ValueError(f"unknown prompt kind {prompt.kind!r}; expected one of {KINDS}")
    from_addr = _one_line(from_addr)
    to_addr = _one_line(to_addr)

    msg = EmailMessage()
    msg["From"] = formataddr((_one_line(display_name), from_addr), charset="utf-8")
    msg["To"] = to_addr
    msg["Subject"] = _one_line(prompt.subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(idstring="kizuna", domain=domain_of(from_addr))
    msg["X-Kizuna-Kind"] = prompt.kind
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(prompt.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg
