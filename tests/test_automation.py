"""The automation verdict: every rule, a near miss for each, and fuzzing."""

from __future__ import annotations

import email.policy
import time
from email.header import Header
from email.parser import BytesHeaderParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.mail.automation import AUTOMATION_FIELDS, automation_reason

PERSON = b"From: Jane Doe <jane@example.com>\nTo: me@example.com\n"


def parse(raw: bytes):
    """As the scan does: header fields only, compat32."""
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def reason(*lines: str | bytes, base: bytes = PERSON) -> str | None:
    block = base + b"".join(
        (ln.encode("utf-8") if isinstance(ln, str) else ln) + b"\n" for ln in lines
    )
    return automation_reason(parse(block + b"\n"))


def test_plain_personal_mail_is_personal():
    assert reason("Subject: Lunch next week?") is None


def test_reply_from_a_person_is_personal():
    assert reason("Subject: Re: Lunch next week?", "In-Reply-To: <a@b>") is None


# --- contract rules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("List-Id: Cats <cats.lists.example.org>", "list-id"),
        ("List-Unsubscribe: <mailto:leave@example.org>", "list-unsubscribe"),
        ("X-Autoreply: yes", "x-autoreply"),
        ("X-Autorespond: Vacation", "x-autorespond"),
        ("X-Auto-Response-Suppress: All", "x-auto-response-suppress"),
    ],
)
def test_presence_headers(line, expected):
    assert reason(line) == expected


def test_presence_reason_does_not_depend_on_header_order():
    a = reason("X-Autoreply: yes", "List-Id: <x.example.org>")
    b = reason("List-Id: <x.example.org>", "X-Autoreply: yes")
    assert a == b == "list-id"


@pytest.mark.parametrize("word", ["bulk", "list", "junk", "auto_reply", "Bulk", " BULK "])
def test_precedence_automated(word):
    assert reason(f"Precedence: {word}") == f"precedence:{word.strip().lower()}"


@pytest.mark.parametrize("word", ["first-class", "normal", "urgent", ""])
def test_precedence_near_miss(word):
    assert reason(f"Precedence: {word}") is None


@pytest.mark.parametrize(
    "value",
    ["auto-replied", "auto-generated", "auto-notified", "Auto-Replied; owner=x", "x-whatever"],
)
def test_auto_submitted_anything_but_no(value):
    assert reason(f"Auto-Submitted: {value}") == "auto-submitted"


@pytest.mark.parametrize("value", ["no", "No", " no ", "no (human)", "no; comment", ""])
def test_auto_submitted_no_is_personal(value):
    # "no" means a human wrote it (RFC 3834); an empty value says nothing either way.
    assert reason(f"Auto-Submitted: {value}") is None


@pytest.mark.parametrize("value", ["<>", "< >", " <> "])
def test_null_return_path(value):
    assert reason(f"Return-Path: {value}") == "return-path-null"


def test_return_path_of_a_person_is_personal():
    assert reason("Return-Path: <jane@example.com>") is None


@pytest.mark.parametrize(
    "value",
    [
        'multipart/report; report-type=delivery-status; boundary="x"',
        'Multipart/Report; report-type=disposition-notification; boundary="x"',
        'multipart/report; report-type=feedback-report; boundary="x"',
    ],
)
def test_multipart_report(value):
    assert reason(f"Content-Type: {value}") == "multipart/report"


@pytest.mark.parametrize("ctype", ["message/delivery-status", "message/disposition-notification"])
def test_top_level_report_parts(ctype):
    assert reason(f"Content-Type: {ctype}") == ctype


@pytest.mark.parametrize(
    "value",
    ['multipart/mixed; boundary="x"', "text/plain; charset=utf-8", 'multipart/alternative; b="y"'],
)
def test_ordinary_content_types_are_personal(value):
    assert reason(f"Content-Type: {value}") is None


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("MAILER-DAEMON@example.com", "sender:mailer-daemon"),
        ("Mail Delivery Subsystem <MAILER-DAEMON>", "sender:mailer-daemon"),
        ("MAILER-DAEMON@mx.example.jp (Mail Delivery System)", "sender:mailer-daemon"),
        ("<Postmaster@ezweb.ne.jp>", "sender:postmaster"),
        ("post_master@vtext.com", "sender:postmaster"),
        ("Mail Delivery Subsystem <poostmaster@example.jp>", "sender:postmaster"),
        ("OpenDMARC Filter <opendmarc-postmaster@example.net>", "sender:postmaster"),
        ("Shop <no-reply@shop.example>", "sender:no-reply"),
        ("noreply@example.com", "sender:no-reply"),
        ("do-not-reply@example.com", "sender:no-reply"),
        ("donotreply@example.com", "sender:no-reply"),
        ("dmarc-noreply@example.com", "sender:no-reply"),
        ("Mail Delivery System <Mail.Delivery.System@mx44.example.com>", "sender:mailer-daemon"),
        ("MAILER-DAEMON <>", "sender:mail-system"),
        ("Mail Delivery System <>", "sender:mail-system"),
        ("<>", "sender:null"),
        ("feedbackloop@feedback.example.com", "sender:feedback-loop"),
    ],
)
def test_robot_senders(sender, expected):
    assert automation_reason(parse(f"From: {sender}\nSubject: hello\n\n".encode())) == expected


def test_robot_sender_header():
    assert reason("Sender: bounces+123@lists.example.org") == "sender:bounces"


@pytest.mark.parametrize(
    "sender",
    [
        "Jane Doe <jane@example.com>",
        "Post Office Fan <postoffice@example.com>",  # not "postmaster"
        "Noreen Plyer <noreen.plyer@example.com>",  # "no...r..." is not no-reply
        "Daemon Fan <daemon@example.com>",
        "Mailer <mailer@example.com>",
        '"Reply, Anne" <anne.reply@example.com>',  # a surname, not "no-reply"
    ],
)
def test_personal_senders(sender):
    assert automation_reason(parse(f"From: {sender}\nSubject: hello\n\n".encode())) is None


# --- subjects -----------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Lunch",
        "Auto reply: Lunch",
        "Auto-Reply: Lunch",
        "Autoreply: Lunch",
        "AutoRespons :Nyaan?",
        "Out of Office: Lunch",
        "Out of office until Monday",
        "[Out of Office] Lunch",
        "自動返信: ランチ",
        "【自動返信】ランチ",
        "不在通知",
        "【不在】 1月5日まで",
    ],
)
def test_auto_reply_subjects(subject):
    assert reason(f"Subject: {subject}") == "subject:out-of-office"


@pytest.mark.parametrize(
    "subject",
    [
        "Undeliverable: Lunch",
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "Returned mail: see transcript for details",
        "Mail delivery failed: returning message to sender",
        "failure notice",
        "complaint about message from 192.0.2.222",
        "Недоставленное сообщение",
        "メッセージを配信できません。",
        "mx.example.net Mail delivery failed : returning message to sender",
    ],
)
def test_bounce_subjects(subject):
    assert reason(f"Subject: {subject}") == "subject:bounce"


@pytest.mark.parametrize(
    "subject",
    [
        # A person answering an out-of-office thread, or about a party: personal.
        "Re: Out of office party plans",
        "RE: Automatic reply: Lunch",
        # A person forwarding a bounce to ask about it: personal.
        "Fwd: Returned mail: see transcript for details",
        "FW: Undeliverable: Lunch",
        "転送: 自動返信: ランチ",
        "Re: 不在のお知らせ",
        # The phrase in the middle of a subject is a person talking about it.
        "Plans for our out of office day",
        "The parcel was undeliverable again",
        "来週は不在です",
        "Returning the book you lent me",
    ],
)
def test_subject_near_misses_are_personal(subject):
    assert reason(f"Subject: {subject}") is None


def test_rfc2047_subject_is_decoded():
    encoded = Header("自動返信: ランチ", "utf-8").encode()
    assert reason(f"Subject: {encoded}") == "subject:out-of-office"


def test_iso_2022_jp_encoded_word_subject_is_decoded():
    encoded = Header("不在のお知らせ", "iso-2022-jp").encode()
    assert "iso-2022-jp" in encoded.lower()
    assert reason(f"Subject: {encoded}") == "subject:out-of-office"


def test_raw_iso_2022_jp_subject_is_decoded():
    raw = "自動返信".encode("iso-2022-jp")
    assert b"\x1b$B" in raw
    assert reason(b"Subject: " + raw) == "subject:out-of-office"


def test_raw_utf8_subject_is_decoded():
    assert reason("Subject: 自動返信：ランチ".encode()) == "subject:out-of-office"


def test_raw_shift_jis_subject_does_not_raise():
    assert reason(b"Subject: " + "不在".encode("cp932")) == "subject:out-of-office"


def test_broken_encoded_word_is_personal_not_an_error():
    assert reason("Subject: =?unknown-charset?q?=E3=81=82?= hello") is None
    assert reason("Subject: =?utf-8?b?####?=") is None


# --- signals seen in the corpus ---------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("X-Failed-Recipients: kijitora@example.com", "x-failed-recipients"),
        ("X-Mailer-Daemon-Recipients: kijitora@example.com", "x-failed-recipients"),
        ("X-MS-Exchange-Message-Is-NDR:", "x-ms-exchange-message-is-ndr"),
        ("X-DSNContext: 7ce717b1 - 1196 - 00000002 - 00000000", "x-dsncontext"),
        ("Mailing-List: contact nyaan-help@example.org; run by ezmlm", "mailing-list"),
        ("X-MLServer: fml [fml 4.0.3 release]", "x-mlserver"),
        ("List-Subscribe: <mailto:ctl@example.org?body=subscribe>", "list-subscribe"),
        ("List-Post: <mailto:cats@example.org>", "list-post"),
        ("X-Autogenerated: Reply", "x-autogenerated"),
        ("X-AutoReply-From: jane@example.com", "x-autoreply-from"),
        ("X-Mail-Autoreply: yes", "x-mail-autoreply"),
        ("X-FC-MachineGenerated: true", "x-fc-machinegenerated"),
        ("Feedback-Type: abuse", "feedback-type"),
    ],
)
def test_corpus_signals(line, expected):
    assert reason(line) == expected


def test_ordinary_x_headers_are_personal():
    assert (
        reason("X-Mailer: Apple Mail (2.3654)", "X-Priority: 3", "X-Originating-IP: [1.2.3.4]")
        is None
    )


# --- AUTOMATION_FIELDS ----------------------------------------------------------


def test_fields_cover_every_rule():
    lower = {f.lower() for f in AUTOMATION_FIELDS}
    for needed in (
        "from",
        "sender",
        "return-path",
        "subject",
        "content-type",
        "precedence",
        "auto-submitted",
        "list-id",
        "list-unsubscribe",
        "x-autoreply",
        "x-autorespond",
        "x-auto-response-suppress",
        "x-failed-recipients",
    ):
        assert needed in lower
    assert len(lower) == len(AUTOMATION_FIELDS), "no duplicates"
    assert all(f.isascii() and " " not in f for f in AUTOMATION_FIELDS)


def test_fields_alone_are_enough():
    """Keep only AUTOMATION_FIELDS (as the IMAP fetch does): every verdict above holds."""
    full = (
        b"Received: from x\nFrom: Mail Delivery System <>\nTo: me@example.com\n"
        b"X-Failed-Recipients: a@b\nSubject: Mail delivery failed\nDate: x\n"
    )
    wanted = {f.lower() for f in AUTOMATION_FIELDS}
    kept = b"".join(
        line + b"\n"
        for line in full.splitlines()
        if line.split(b":", 1)[0].decode().lower() in wanted
    )
    assert automation_reason(parse(kept + b"\n")) == automation_reason(parse(full + b"\n"))
    assert automation_reason(parse(kept + b"\n")) == "x-failed-recipients"


# --- robustness -------------------------------------------------------------------


def test_empty_message_is_personal():
    assert automation_reason(parse(b"")) is None


def test_folded_and_duplicate_headers():
    assert reason("Subject: Automatic\n reply: Lunch") == "subject:out-of-office"  # unfolded
    assert reason("Precedence: first-class", "Precedence: bulk") is None  # the first value counts


def test_verdict_is_fast():
    msg = parse(PERSON + b"Subject: Re: hello\nContent-Type: text/plain\nReturn-Path: <j@e>\n\n")
    start = time.perf_counter()
    for _ in range(10_000):
        automation_reason(msg)
    per_message = (time.perf_counter() - start) / 10_000
    assert per_message < 200e-6  # 100,000 messages in well under 20 s, typically ~1 s


header_name = st.sampled_from(
    [f.encode() for f in AUTOMATION_FIELDS] + [b"X-Random", b"To", b"\xff\xfe", b"Sub ject"]
)
header_value = st.binary(max_size=120).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(header_name, header_value), max_size=12))
def test_never_raises_on_structured_garbage(fields):
    block = b"".join(name + b": " + value + b"\n" for name, value in fields) + b"\n"
    result = automation_reason(parse(block))
    assert result is None or (isinstance(result, str) and result)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data):
    result = automation_reason(parse(data))
    assert result is None or isinstance(result, str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s))
def test_never_raises_on_unicode_subjects(subject):
    result = reason(("Subject: " + subject).encode("utf-8", "surrogatepass"))
    assert result is None or isinstance(result, str)


# --- the verdict from split fields -----------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(header_name, header_value), max_size=12))
def test_verdict_from_fields_equals_the_verdict_from_a_message(fields):
    from worker.mail.automation import automation_reason_from_fields

    block = b"".join(name + b": " + value + b"\n" for name, value in fields) + b"\n"
    msg = parse(block)
    by_name: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        by_name.setdefault(name.lower(), []).append(value)
    for _ in range(2):  # the second time from the memos
        assert automation_reason_from_fields(by_name) == automation_reason(msg)


def test_verdict_from_fields_reads_the_first_value():
    from worker.mail.automation import automation_reason_from_fields

    assert automation_reason_from_fields({"precedence": ["first-class", "bulk"]}) is None
    assert automation_reason_from_fields({"precedence": ("bulk",)}) == "precedence:bulk"
    assert (
        automation_reason_from_fields({"from": ["MAILER-DAEMON@example.org"]})
        == "sender:mailer-daemon"
    )
    assert automation_reason_from_fields({}) is None
