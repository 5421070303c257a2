"""Reply parsing: plain, Outlook, ISO-2022-JP, HTML-only and hostile input."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.mail.replyparse import Reply, first_line, parse_reply, strip_quoted


def _message(body: str, *, charset: str = "utf-8", cte: str | None = None, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Jane Doe <Jane.Doe@Example.com>")
    msg["To"] = "me@example.com"
    msg["Subject"] = headers.pop("Subject", "Re: Long time no see")
    msg["Date"] = headers.pop("Date", "Tue, 02 Jan 2024 10:00:00 +0900")
    msg["Message-ID"] = headers.pop("Message_ID", "<reply-1@example.com>")
    msg["In-Reply-To"] = headers.pop("In_Reply_To", "<draft-1@kizuna.example>")
    msg["References"] = headers.pop("References", "<older@example.com> <draft-1@kizuna.example>")
    msg.set_content(body, charset=charset, cte=cte)
    return msg.as_bytes()


# "-- " (with its trailing space) is the signature separator; built with
# a placeholder so no editor or formatter strips the space.
ENGLISH = """Hi Sam,

So good to hear from you! Things have been hectic at work, but I'd love to catch up.
Coffee next Tuesday?

SIGNATURE
Jane Doe
Head of Design

On Mon, Jan 1, 2024 at 9:00 AM Sam Smith <sam@example.com> wrote:
> Hi Jane,
> It has been a while. How are you?
""".replace("SIGNATURE", "-- ")


def test_plain_english_reply():
    reply = parse_reply(_message(ENGLISH))
    assert isinstance(reply, Reply)
    assert reply.message_id == "<reply-1@example.com>"
    assert reply.in_reply_to == "<draft-1@kizuna.example>"
    assert reply.references == ("<older@example.com>", "<draft-1@kizuna.example>")
    assert reply.subject == "Re: Long time no see"
    assert reply.sender_email == "jane.doe@example.com"
    assert reply.sender_name == "Jane Doe"
    assert reply.date == datetime(2024, 1, 2, 1, 0, tzinfo=UTC)
    assert reply.date.tzinfo is not None
    assert "It has been a while" in reply.text
    assert reply.new_text == (
        "Hi Sam,\n\nSo good to hear from you! Things have been hectic at work, "
        "but I'd love to catch up.\nCoffee next Tuesday?"
    )
    assert first_line(reply.new_text) == "So good to hear from you!"


def test_wrapped_gmail_attribution_is_cut():
    text = (
        "Sounds great, see you then.\n\n"
        "On Mon, Jan 1, 2024 at 9:00 AM Sam Smith <\nsam@example.com> wrote:\n\n"
        "Unquoted leftover of the original that Gmail did not prefix.\n"
    )
    assert strip_quoted(text) == "Sounds great, see you then."


OUTLOOK = """Thanks Sam, great to hear from you. Let's talk next week.

Best,
Jane

________________________________
From: Sam Smith <sam@example.com>
Sent: Monday, January 1, 2024 9:00 AM
To: Jane Doe <jane@example.com>
Subject: Long time no see

Hi Jane, it has been a while.
"""


def test_outlook_reply():
    reply = parse_reply(_message(OUTLOOK))
    assert reply.new_text == (
        "Thanks Sam, great to hear from you. Let's talk next week.\n\nBest,\nJane"
    )
    assert first_line(reply.new_text) == "Thanks Sam, great to hear from you."


def test_outlook_original_message_separator():
    text = "Will do!\n\n-----Original Message-----\nFrom: Sam\nSent: today\n\nHello\n"
    assert strip_quoted(text) == "Will do!"


def test_outlook_header_block_without_separator():
    text = "Sure thing.\n\nFrom: Sam Smith [mailto:sam@example.com]\nSent: Monday\nTo: Jane\n\nHi\n"
    assert strip_quoted(text) == "Sure thing."


def test_a_from_line_in_prose_is_kept():
    text = "From: the team, with love.\nSee you soon."
    assert strip_quoted(text) == text


JAPANESE = (
    "山田さん\n\nご連絡ありがとうございます。最近は仕事でバタバタしていますが、元気です。\n"
    "ぜひお茶しましょう。\n\n"
    "2024年1月2日(火) 10:00 山田太郎 <taro@example.jp>:\n"
    "> ご無沙汰しております。\n"
)


def test_japanese_iso_2022_jp_7bit_reply():
    raw = _message(
        JAPANESE,
        charset="iso-2022-jp",
        cte="7bit",
        From=f"{Header('鈴木花子', 'iso-2022-jp').encode()} <hanako@example.jp>",
        Subject=Header("Re: ご無沙汰しております", "iso-2022-jp").encode(),
    )
    assert b"\x1b$B" in raw  # really 7-bit ISO-2022-JP on the wire
    reply = parse_reply(raw)
    assert "\x1b" not in reply.text
    assert reply.new_text == (
        "山田さん\n\nご連絡ありがとうございます。最近は仕事でバタバタしていますが、元気です。\n"
        "ぜひお茶しましょう。"
    )
    assert reply.subject == "Re: ご無沙汰しております"
    assert reply.sender_name == "鈴木花子"
    assert reply.sender_email == "hanako@example.jp"
    assert first_line(reply.new_text) == "ご連絡ありがとうございます。"


@pytest.mark.parametrize(
    "attribution",
    [
        "2024年1月2日(火) 10:00 山田太郎 <taro@example.jp>:",
        "2024/01/02 10:00、山田太郎 <taro@example.jp>のメール:",
        "山田太郎さんは書きました:",
        "山田太郎さんは書きました：",
        "On 2024/01/02 10:00, 山田太郎 wrote:",
    ],
)
def test_japanese_attributions(attribution):
    text = f"了解です。\n\n{attribution}\nご無沙汰しております。\n"
    assert strip_quoted(text) == "了解です。"


def test_japanese_date_line_in_prose_is_kept():
    text = "2024年1月2日の予定:\n- 10時 打ち合わせ"
    assert strip_quoted(text) == text


def test_html_only_reply():
    msg = EmailMessage()
    msg["From"] = "Jane <jane@example.com>"
    msg["Subject"] = "Re: hi"
    msg.set_content(
        "<html><head><style>p {color: red}</style></head><body>"
        "<div>Lovely to hear from you &amp; yes, let&#39;s meet.</div><div><br></div>"
        '<div class="gmail_quote"><div>On Mon, Sam wrote:</div>'
        "<blockquote>Hi Jane, long time!</blockquote></div></body></html>",
        subtype="html",
    )
    reply = parse_reply(msg.as_bytes())
    assert "<div>" not in reply.text and "color: red" not in reply.text
    assert "Lovely to hear from you & yes, let's meet." in reply.text
    assert reply.new_text == "Lovely to hear from you & yes, let's meet."


def test_missing_and_bad_headers():
    reply = parse_reply(b"Subject: hi\n\nhello there\n")
    assert reply.message_id is None and reply.in_reply_to is None and reply.references == ()
    assert reply.sender_email == "" and reply.date is None
    assert reply.new_text == "hello there"
    reply = parse_reply(b"From: x\nDate: not a date\n\nbody\n")
    assert reply.date is None


def test_date_without_zone_is_utc():
    reply = parse_reply(b"Date: Tue, 02 Jan 2024 10:00:00 -0000\n\nx\n")
    assert reply.date == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x1b$B\x1b(B",
        b"Content-Type: multipart/mixed; boundary=\n\n--\n--",
        b"Content-Type: text/plain; charset=no-such-charset\n\n\xe3\x81\x82",
        b"Content-Transfer-Encoding: base64\n\n!!!not base64",
        b"From: =?utf-8?b?////?= <\n\n",
        bytes(range(256)) * 4,
    ],
)
def test_garbage_never_raises(raw):
    reply = parse_reply(raw)
    assert isinstance(reply, Reply)
    assert isinstance(reply.text, str) and isinstance(reply.new_text, str)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=800))
def test_arbitrary_bytes_never_raise(raw):
    assert isinstance(parse_reply(raw), Reply)


def test_strip_quoted_removes_interleaved_quotes():
    text = "> question one?\nanswer one\n> question two?\nanswer two"
    assert strip_quoted(text) == "answer one\nanswer two"


def test_signature_is_removed():
    assert strip_quoted("See you!\n-- \nJane\nCEO") == "See you!"


def test_text_without_quotes_is_unchanged():
    text = "Just a line.\n\nAnd another."
    assert strip_quoted(text) == text


def test_first_line_skips_greetings_and_limits_length():
    long = "word " * 60
    quote = first_line(f"Hello Sam,\n\n{long}")
    assert len(quote) <= 160 and quote.endswith("…")
    assert not quote.startswith("Hello")
    assert first_line("") == ""
    assert first_line("> only quoted\n") == ""
    assert first_line("Thanks! It was lovely to hear from you.") == (
        "Thanks! It was lovely to hear from you."
    )
