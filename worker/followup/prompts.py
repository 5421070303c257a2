"""The reminder prompts Kizuna delivers to the user's own mailbox.

A prompt is a short mail to oneself: who, why, what to do, and where the draft
is. Three kinds, as in the contract: ``thank-you`` (a contact replied: a
threaded thank-you draft waits in Drafts), ``gift`` (some days later: a small
gift, restful if they sounded tired) and ``keep-in-touch`` (every so often).

:func:`build_prompt_message` turns a :class:`Prompt` into the mail itself:
UTF-8, quoted-printable, a fresh ``Message-ID``, ``X-Kizuna-Kind`` and
``Auto-Submitted: auto-generated``, so that Kizuna's own scan (see
:mod:`worker.automation`) never counts a prompt as personal contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from worker.followup.gifts import gift_ideas
from worker.mail.build import domain_of
from worker.store.reminders import KINDS

__all__ = [
    "KINDS",
    "Prompt",
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


def _who(name: str, email: str) -> str:
    """How the contact is called in subjects: their name, else their address."""
    return _one_line(name) or _one_line(email) or "your contact"


def _quote(excerpt: str) -> str:
    lines = [ln.strip() for ln in (excerpt or "").strip().splitlines() if ln.strip()]
    return "\n".join(f"> {ln}" for ln in lines)


def thank_you_prompt(
    contact_name: str,
    contact_email: str,
    reply_excerpt: str,
    draft_subject: str,
    language: str,
) -> Prompt:
    """A contact replied: say thank you; the threaded draft waits in Drafts."""
    who = _who(contact_name, contact_email)
    email = _one_line(contact_email)
    quote = _quote(reply_excerpt)
    draft = _one_line(draft_subject)
    if _lang(language) == "ja":
        subject = f"{SUBJECT_TAG} {who}さんにお礼を"
        parts = [f"{who}さん（{email}）から返信が届きました。"]
        if quote:
            parts.append(f"返信の一節:\n\n{quote}")
        where = (
            f"「下書き」フォルダに件名「{draft}」のお礼の下書きを用意しました。"
            if draft
            else "「下書き」フォルダにお礼の下書きを用意しました。"
        )
        parts.append(
            f"やること: 今日のうちにお礼を伝えましょう。{where}"
            "読み返して自分の言葉に直し、送信してください。"
        )
        parts.append("しばらくしたら、ささやかな贈り物のリマインダーをお送りします。")
        parts.append("— Kizuna")
    else:
        subject = f"{SUBJECT_TAG} Say thank you to {who}"
        parts = [f"{who} <{email}> replied to your message."]
        if quote:
            parts.append(f"They wrote:\n\n{quote}")
        where = (
            f'A threaded thank-you draft is waiting in your Drafts folder, subject "{draft}".'
            if draft
            else "A threaded thank-you draft is waiting in your Drafts folder."
        )
        parts.append(f"What to do: thank them today. {where} Read it, make it yours, and send it.")
        parts.append("A reminder about a small gift will follow in a while.")
        parts.append("— Kizuna")
    return Prompt("thank-you", subject, "\n\n".join(parts) + "\n")


def gift_prompt(contact_name: str, contact_email: str, tired: bool, language: str) -> Prompt:
    """Some days after the reply: a small gift, rest first if they sounded tired."""
    who = _who(contact_name, contact_email)
    email = _one_line(contact_email)
    lang = _lang(language)
    ideas = "\n".join(f"- {idea}" for idea in gift_ideas(tired, lang))
    if lang == "ja":
        subject = f"{SUBJECT_TAG} {who}さんへささやかな贈り物を"
        why = f"{who}さん（{email}）が少し前に返信をくれました。小さな贈り物で、つながりを温めませんか。"
        if tired:
            why += (
                "返信からはお疲れ・お忙しい様子がうかがえたので、休息になるものを先に挙げています。"
            )
        body = (
            f"{why}\n\n候補:\n{ideas}\n\n"
            "やること: ひとつ選んで贈るか、今回は見送るかを決め、"
            "Kizuna でこのリマインダーを「完了」か「見送り」にしてください。\n\n— Kizuna\n"
        )
    else:
        subject = f"{SUBJECT_TAG} A small gift for {who}?"
        why = f"{who} <{email}> replied to you a while ago. A small gift keeps the connection warm."
        if tired:
            why += " Their reply sounded tired or busy, so something restful comes first."
        body = (
            f"{why}\n\nIdeas:\n{ideas}\n\n"
            "What to do: pick one (or decide to skip it this time), then mark this "
            "reminder done or dismissed in Kizuna.\n\n— Kizuna\n"
        )
    return Prompt("gift", subject, body)


def keep_in_touch_prompt(
    contact_name: str,
    contact_email: str,
    last_contact: datetime,
    language: str,
    *,
    now: datetime | None = None,
) -> Prompt:
    """Every so often: write a line to keep in touch. ``now`` is for tests."""
    who = _who(contact_name, contact_email)
    email = _one_line(contact_email)
    when = last_contact if last_contact.tzinfo else last_contact.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    days = max(0, (current - when).days)
    if _lang(language) == "ja":
        subject = f"{SUBJECT_TAG} {who}さんに近況を"
        date = f"{when.year}年{when.month}月{when.day}日"
        body = (
            f"{who}さん（{email}）との最後のやりとりは{date}（{days}日前）でした。\n\n"
            "やること: 近況をひとこと書いて送ってみましょう。最近読んだもの、"
            "相手を思い出した出来事、短いお祝いの言葉など、短くて構いません。\n\n— Kizuna\n"
        )
    else:
        subject = f"{SUBJECT_TAG} Keep in touch with {who}"
        date = when.date().isoformat()
        day_word = "day" if days == 1 else "days"
        body = (
            f"Your last exchange with {who} <{email}> was on {date} ({days} {day_word} ago).\n\n"
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
