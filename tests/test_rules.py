"""The contact rules (worker.rules) on exact raw header bytes.

``../shared/CONTRACT.md`` ("Contact rules") is the specification. The
automation verdict itself is tested in ``test_automation.py``; here only
whether ``facts.automated`` is set.
"""

from __future__ import annotations

import base64
import email.utils
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.contact_rule import direction, is_contact
from worker.mail.automation import AUTOMATION_FIELDS
from worker.mail.rules import (
    FETCH_FIELDS,
    _parse_headers_stdlib,
    decode_text,
    normalize_subject,
    parse_headers,
)
from worker.model import Address, MessageFacts

ME = frozenset({"me@example.com", "me@old-job.example"})
INTERNAL = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
JST = timezone(timedelta(hours=9))


def headers(*lines: str | bytes, crlf: bool = False) -> bytes:
    """A raw header block as the scan fetches it (ends with the blank line)."""
    eol = b"\r\n" if crlf else b"\n"
    return b"".join((ln.encode("utf-8") if isinstance(ln, str) else ln) + eol for ln in lines) + eol


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def facts(
    sender: str | None, *rcpts: str, count: int | None = None, automated: str | None = None
) -> MessageFacts:
    return MessageFacts(
        message_id="<m@x>",
        date=INTERNAL,
        sender=Address(sender) if sender else None,
        recipients=tuple(Address(r) for r in rcpts),
        automated=automated,
        recipient_count=len(rcpts) if count is None else count,
    )


# --- Date ----------------------------------------------------------------------


def test_date_keeps_its_offset() -> None:
    f = parse_headers(
        headers("From: a@example.org", "Date: Tue, 01 Apr 2025 10:00:00 +0900"), INTERNAL
    )
    assert f.date == datetime(2025, 4, 1, 10, 0, tzinfo=JST)
    assert f.date.utcoffset() == timedelta(hours=9)
    assert f.date.isoformat() == "2025-04-01T10:00:00+09:00"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("Tue, 01 Apr 2025 10:00:00 -0500", "2025-04-01T10:00:00-05:00"),
        ("Tue, 01 Apr 2025 10:00:00 +0530", "2025-04-01T10:00:00+05:30"),
        ("Tue, 01 Apr 2025 10:00:00 +0000", "2025-04-01T10:00:00+00:00"),
        ("1 Apr 2025 10:00 +0100", "2025-04-01T10:00:00+01:00"),
        ("Tue, 01 Apr 2025 10:00:00 GMT", "2025-04-01T10:00:00+00:00"),
        ("Tue, 01 Apr 2025 10:00:00 EST", "2025-04-01T10:00:00-05:00"),
        ("Tue,  1 Apr 2025 10:00:00 +0900 (JST)", "2025-04-01T10:00:00+09:00"),
    ],
)
def test_date_formats(value: str, iso: str) -> None:
    f = parse_headers(headers("From: a@example.org", f"Date: {value}"), INTERNAL)
    assert f.date.isoformat() == iso


@pytest.mark.parametrize("crlf", [True, False])
@pytest.mark.parametrize("day", ["1", "01", "9", "31"])
def test_canonical_dates_read_every_day_and_time(day: str, crlf: bool) -> None:
    f = parse_headers(
        headers("From: a@example.org", f"Date: Sat, {day} Mar 2025 00:09:59 -0000", crlf=crlf),
        INTERNAL,
    )
    assert f.date == datetime(
        2025, 3, int(day), 0, 9, 59, tzinfo=UTC
    )  # -0000: no zone known, taken as UTC
    f = parse_headers(
        headers("From: a@example.org", f"Date: {day} Mar 2025 23:00:07 +0100", crlf=crlf), INTERNAL
    )
    assert (f.date.day, f.date.hour, f.date.minute, f.date.second) == (int(day), 23, 0, 7)


@pytest.mark.parametrize("crlf", [True, False])
def test_a_date_in_other_digits_reads_as_the_stdlib_reads_it(crlf: bool) -> None:
    # an encoded word can put Arabic-Indic digits in a Date: never an error
    raw = headers(
        "From: a@example.org", "Date: =?utf-8?q?=D9=A3?= Jan 2020 10:00:00 +0000", crlf=crlf
    )
    assert parse_headers(raw, INTERNAL).date == _parse_headers_stdlib(raw, INTERNAL).date
    assert parse_headers(raw, INTERNAL).date == email.utils.parsedate_to_datetime(
        "\u0663 Jan 2020 10:00:00 +0000"
    )


def test_missing_date_uses_internaldate() -> None:
    f = parse_headers(headers("From: a@example.org", "Subject: hi"), INTERNAL)
    assert f.date == INTERNAL


def test_internaldate_keeps_its_own_offset() -> None:
    internal = datetime(2024, 1, 2, 3, 4, 5, tzinfo=JST)
    f = parse_headers(headers("From: a@example.org"), internal)
    assert f.date == internal and f.date.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "",
        "yesterday at noon",
        "Tue, 99 Foo 2025 10:00:00 +0900",
        "Tue, 01 Apr 2025 25:61:00 +0900",
        "Tue, 01 Apr 2025 10:00:00 +9999",  # offset out of range
        "=?utf-8?q?garbage?=",
    ],
)
def test_garbage_date_uses_internaldate(value: str) -> None:
    f = parse_headers(headers("From: a@example.org", f"Date: {value}"), INTERNAL)
    assert f.date == INTERNAL


def test_garbage_date_with_8bit_bytes_uses_internaldate() -> None:
    f = parse_headers(headers(b"From: a@example.org", b"Date: \xff\xfe\x00 2025"), INTERNAL)
    assert f.date == INTERNAL


def test_naive_internaldate_is_taken_as_utc() -> None:
    f = parse_headers(headers("From: a@example.org"), datetime(2024, 5, 6, 7, 8, 9))
    assert f.date == INTERNAL
    assert f.date.tzinfo is not None


@pytest.mark.parametrize("value", ["Tue, 01 Apr 2025 10:00:00 -0000", "Tue, 01 Apr 2025 10:00:00"])
def test_naive_date_is_taken_as_utc(value: str) -> None:
    f = parse_headers(headers("From: a@example.org", f"Date: {value}"), INTERNAL)
    assert f.date == datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    assert f.date.utcoffset() == timedelta(0)


def test_internaldate_as_the_server_sent_it_is_parsed_only_when_needed() -> None:
    raw = b"02-Jan-2024 03:04:05 +0900"
    assert parse_headers(headers("From: a@example.org"), raw).date == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=JST
    )
    dated = parse_headers(
        headers("From: a@example.org", "Date: Tue, 01 Apr 2025 10:00:00 +0000"), b"garbage"
    )
    assert dated.date == datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    assert parse_headers(headers("From: a@example.org"), b"not a date").date == datetime(
        1970, 1, 1, tzinfo=UTC
    )


def test_no_date_and_no_internaldate_is_still_aware() -> None:
    f = parse_headers(headers("From: a@example.org"))
    assert f.date.tzinfo is not None
    assert f.date == datetime(1970, 1, 1, tzinfo=UTC)


# --- addresses -----------------------------------------------------------------


def test_from_to_cc_bcc_are_lower_cased() -> None:
    f = parse_headers(
        headers(
            "From: Jane Doe <Jane.Doe@Example.ORG>",
            "To: Me <ME@Example.com>",
            "Cc: Bob <BOB@b.example>",
            "Bcc: carol@C.Example",
        )
    )
    assert f.sender == Address("jane.doe@example.org", "Jane Doe")
    assert f.recipients == (
        Address("me@example.com", "Me"),
        Address("bob@b.example", "Bob"),
        Address("carol@c.example", ""),
    )
    assert f.recipient_count == 3


def test_recipients_are_deduplicated_case_insensitively_across_fields() -> None:
    f = parse_headers(
        headers(
            "From: jane@example.org",
            "To: Bob <bob@b.example>, BOB@B.EXAMPLE, alice@a.example",
            "Cc: Bob@b.example, alice@A.example",
            "Bcc: bob@b.example, dave@d.example",
        )
    )
    assert [a.email for a in f.recipients] == ["bob@b.example", "alice@a.example", "dave@d.example"]
    assert f.recipients[0].name == "Bob"  # the first occurrence wins


def test_recipients_keep_to_cc_bcc_order() -> None:
    f = parse_headers(headers("Bcc: z@z.example", "Cc: y@y.example", "To: x@x.example"))
    assert [a.email for a in f.recipients] == ["x@x.example", "y@y.example", "z@z.example"]


def test_repeated_to_headers_are_all_read() -> None:
    f = parse_headers(
        headers("To: a@a.example", "To: b@b.example", "Cc: c@c.example", "Cc: d@d.example")
    )
    assert [a.email for a in f.recipients] == [
        "a@a.example",
        "b@b.example",
        "c@c.example",
        "d@d.example",
    ]
    assert f.recipient_count == 4


def test_first_from_is_the_sender() -> None:
    f = parse_headers(headers("From: first@a.example, second@b.example", "From: third@c.example"))
    assert f.sender is not None and f.sender.email == "first@a.example"


def test_folded_header_and_crlf() -> None:
    f = parse_headers(
        headers(
            'From: "Doe, Jane"',
            "  <jane@example.org>",
            "To: a@a.example,",
            "\tb@b.example",
            crlf=True,
        )
    )
    assert f.sender == Address("jane@example.org", "Doe, Jane")
    assert [a.email for a in f.recipients] == ["a@a.example", "b@b.example"]


def test_quoted_name_with_comma_is_one_address() -> None:
    f = parse_headers(headers('To: "Doe, Jane" <jane@example.org>, "Roe, Rick" <rick@example.org>'))
    assert f.recipients == (
        Address("jane@example.org", "Doe, Jane"),
        Address("rick@example.org", "Roe, Rick"),
    )
    assert f.recipient_count == 2


def test_non_addresses_are_dropped() -> None:
    f = parse_headers(headers("From: MAILER", "To: undisclosed-recipients:;", "Cc: nobody, <>"))
    assert f.sender is None
    assert f.recipients == ()
    assert f.recipient_count == 0


def test_group_syntax_members_are_read() -> None:
    f = parse_headers(headers("To: Team: a@a.example, b@b.example;"))
    assert [a.email for a in f.recipients] == ["a@a.example", "b@b.example"]


def test_recipient_count_counts_to_cc_and_bcc() -> None:
    f = parse_headers(
        headers("To: a@a.example, b@b.example", "Cc: c@c.example", "Bcc: d@d.example, e@e.example")
    )
    assert f.recipient_count == 5


def test_ten_thousand_recipients_fast_and_counted() -> None:
    to = ", ".join(f"User {i} <User{i}@Example.com>" for i in range(10_000))
    raw = headers("From: jane@example.org", f"To: {to}")
    start = time.perf_counter()
    f = parse_headers(raw, INTERNAL)
    elapsed = time.perf_counter() - start
    assert f.recipient_count == 10_000
    assert len(f.recipients) == 10_000
    assert f.recipients[0] == Address("user0@example.com", "User 0")
    assert f.recipients[-1] == Address("user9999@example.com", "User 9999")
    assert elapsed < 5.0, f"10,000 recipients took {elapsed:.2f}s"
    assert not is_contact(f, 20)


# --- names: RFC 2047, raw 8-bit, NUL --------------------------------------------------


def test_rfc2047_utf8_base64_name() -> None:
    raw = headers(f"From: {b_word('José Müller', 'utf-8')} <jose@example.de>")
    f = parse_headers(raw)
    assert f.sender == Address("jose@example.de", "José Müller")


def test_rfc2047_utf8_quoted_printable_name_and_subject() -> None:
    raw = headers(
        "From: =?UTF-8?Q?Jos=C3=A9_M=C3=BCller?= <jose@example.de>",
        "Subject: =?utf-8?q?Caf=C3=A9?= tomorrow",
    )
    f = parse_headers(raw)
    assert f.sender is not None and f.sender.name == "José Müller"
    assert f.subject == "Café tomorrow"


def test_rfc2047_iso_2022_jp_name_and_subject() -> None:
    raw = headers(
        f"From: {b_word('山田太郎', 'iso-2022-jp')} <Taro@Example.JP>",
        f"To: {b_word('鈴木花子', 'iso-2022-jp')} <hanako@example.jp>",
        f"Subject: {b_word('お久しぶりです', 'iso-2022-jp')}",
    )
    f = parse_headers(raw)
    assert f.sender == Address("taro@example.jp", "山田太郎")
    assert f.recipients == (Address("hanako@example.jp", "鈴木花子"),)
    assert f.subject == "お久しぶりです"


def test_rfc2047_quoted_inside_display_name() -> None:
    raw = headers(f'From: "{b_word("山田 太郎", "utf-8")}" <taro@example.jp>')
    f = parse_headers(raw)
    assert f.sender == Address("taro@example.jp", "山田 太郎")


def test_rfc2047_unknown_charset_does_not_raise() -> None:
    f = parse_headers(
        headers("From: =?x-unknown?B?SGVsbG8=?= <a@example.org>", "Subject: =?bogus?Q?hi?=")
    )
    assert f.sender is not None and f.sender.email == "a@example.org"


def test_raw_utf8_name_and_subject() -> None:
    raw = (
        "From: 山田太郎 <Taro@Example.JP>\nTo: me@example.com\nSubject: お久しぶりです\n\n".encode()
    )
    f = parse_headers(raw)
    assert f.sender == Address("taro@example.jp", "山田太郎")
    assert f.subject == "お久しぶりです"


def test_raw_shift_jis_name_and_subject() -> None:
    raw = "From: 山田太郎 <taro@example.jp>\nSubject: テスト\n\n".encode("shift_jis")
    f = parse_headers(raw)
    assert f.sender == Address("taro@example.jp", "山田太郎")
    assert f.subject == "テスト"


def test_raw_euc_jp_name_that_is_not_valid_cp932() -> None:
    raw = "From: 鈴木花子 <hanako@example.jp>\n\n".encode("euc-jp")
    assert parse_headers(raw).sender == Address("hanako@example.jp", "鈴木花子")


def test_raw_euc_jp_name_that_is_also_valid_cp932() -> None:
    for name in ("山田太郎", "お久しぶりです"):
        raw = f"From: {name} <taro@example.jp>\nSubject: {name}\n\n".encode("euc-jp")
        f = parse_headers(raw)
        assert f.sender == Address("taro@example.jp", name)
        assert f.subject == name


def test_raw_utf8_recipient_names() -> None:
    raw = "To: 鈴木花子 <Hanako@Example.JP>, José <jose@example.es>\n\n".encode()
    f = parse_headers(raw)
    assert f.recipients == (
        Address("hanako@example.jp", "鈴木花子"),
        Address("jose@example.es", "José"),
    )


def test_raw_8bit_name_keeps_the_address() -> None:
    for charset in ("utf-8", "shift_jis", "euc-jp"):
        raw = "From: 山田太郎 <Taro@Example.JP>\nTo: 鈴木 <hanako@example.jp>\n\n".encode(charset)
        f = parse_headers(raw, INTERNAL)
        assert f.sender is not None and f.sender.email == "taro@example.jp", charset
        assert [a.email for a in f.recipients] == ["hanako@example.jp"], charset


def test_nul_bytes_do_not_break_parsing() -> None:
    raw = b"From: Ja\x00ne <jane@example.org>\nTo: bob@b.example\x00\nSubject: hi\x00 there\n\n"
    f = parse_headers(raw, INTERNAL)
    assert f.sender == Address("jane@example.org", "Jane")
    assert [a.email for a in f.recipients] == ["bob@b.example"]
    assert "\x00" not in f.subject
    assert f.subject == "hi there"


def test_decode_text() -> None:
    assert decode_text(None) == ""
    assert decode_text("  a \t b\n c ") == "a b c"
    assert decode_text("x\x00y") == "xy"
    assert decode_text("=?utf-8?b?" + base64.b64encode("日本".encode()).decode() + "?=") == "日本"
    # raw 8-bit as the parser hands it over (surrogate escapes) is guessed
    assert decode_text("日本語".encode().decode("ascii", "surrogateescape")) == "日本語"
    assert decode_text("日本語".encode("cp932").decode("ascii", "surrogateescape")) == "日本語"


# --- ids and threading ----------------------------------------------------------------


def test_message_ids_and_threading_headers() -> None:
    raw = headers(
        "From: jane@example.org",
        "Message-ID: <abc.123@mail.example.org>",
        "In-Reply-To: <parent@mail.example.org> (Jane's message)",
        "References: <root@x.example> <mid@x.example>",
        "\t<parent@mail.example.org>",
    )
    f = parse_headers(raw)
    assert f.message_id == "<abc.123@mail.example.org>"
    assert f.in_reply_to == "<parent@mail.example.org>"
    assert f.references == ("<root@x.example>", "<mid@x.example>", "<parent@mail.example.org>")


def test_message_id_missing_or_junk_is_none() -> None:
    assert parse_headers(headers("From: a@example.org")).message_id is None
    f = parse_headers(
        headers("From: a@example.org", "Message-ID: no brackets here", "In-Reply-To: junk")
    )
    assert f.message_id is None
    assert f.in_reply_to is None
    assert f.references == ()


def test_message_id_surrounded_by_text() -> None:
    f = parse_headers(headers("Message-ID: junk <id@x.example> more"))
    assert f.message_id == "<id@x.example>"


def test_references_keep_the_last_fifty() -> None:
    refs = " ".join(f"<r{i}@x.example>" for i in range(80))
    f = parse_headers(headers(f"References: {refs}"))
    assert len(f.references) == 50
    assert f.references[0] == "<r30@x.example>"
    assert f.references[-1] == "<r79@x.example>"


def test_kizuna_headers() -> None:
    f = parse_headers(headers("From: me@example.com", "X-Kizuna-Id: rc-42", "X-Kizuna-Kind: gift"))
    assert f.kizuna_id == "rc-42"
    assert f.kizuna_kind == "gift"
    plain = parse_headers(headers("From: me@example.com"))
    assert plain.kizuna_id is None and plain.kizuna_kind is None
    empty = parse_headers(headers("From: me@example.com", "X-Kizuna-Id: "))
    assert empty.kizuna_id is None


def test_subject_is_decoded_and_whitespace_collapsed() -> None:
    f = parse_headers(headers("Subject: Lunch", "  next   week?"))
    assert f.subject == "Lunch next week?"
    assert parse_headers(headers("From: a@example.org")).subject == ""


def test_fetch_fields_cover_the_rules() -> None:
    for name in (
        "from",
        "to",
        "cc",
        "bcc",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "subject",
        "x-kizuna-id",
        "x-kizuna-kind",
    ):
        assert name in FETCH_FIELDS
    for name in AUTOMATION_FIELDS:
        assert name.lower() in FETCH_FIELDS
    assert len(FETCH_FIELDS) == len(set(FETCH_FIELDS))
    assert all(f == f.lower() for f in FETCH_FIELDS)


# --- automated -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "List-Id: Friends <friends.lists.example.org>",
        "List-Unsubscribe: <mailto:leave@lists.example.org>",
        "Precedence: bulk",
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "Return-Path: <>",
        "Subject: Automatic reply: lunch",
    ],
)
def test_automated_is_set(line: str) -> None:
    f = parse_headers(headers("From: Jane <jane@example.org>", "To: me@example.com", line))
    assert f.automated
    assert not is_contact(f, 20)


def test_robot_sender_is_automated() -> None:
    f = parse_headers(
        headers("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>", "To: me@example.com")
    )
    assert f.automated


@pytest.mark.parametrize(
    "line", ["Auto-Submitted: no", "Subject: Re: Out of office party", "Precedence: first-class"]
)
def test_personal_mail_is_not_automated(line: str) -> None:
    f = parse_headers(headers("From: Jane <jane@example.org>", "To: me@example.com", line))
    assert f.automated is None
    assert is_contact(f, 20)


# --- is_contact ----------------------------------------------------------------------


def test_is_contact_cap_is_inclusive() -> None:
    assert is_contact(facts("jane@example.org", *(f"r{i}@x.example" for i in range(20))), 20)
    assert not is_contact(facts("jane@example.org", *(f"r{i}@x.example" for i in range(21))), 20)
    assert is_contact(facts("jane@example.org", "me@example.com"), 1)
    assert not is_contact(facts("jane@example.org", "me@example.com", "b@x.example"), 1)


def test_is_contact_cap_from_parsed_headers() -> None:
    to = ", ".join(f"r{i}@x.example" for i in range(3))
    f = parse_headers(headers("From: jane@example.org", f"To: {to}", "Cc: me@example.com"))
    assert f.recipient_count == 4
    assert is_contact(f, 4)
    assert not is_contact(f, 3)


def test_is_contact_uses_recipient_count() -> None:
    assert not is_contact(facts("jane@example.org", "me@example.com", count=30), 20)


def test_is_contact_needs_a_sender_and_no_automation() -> None:
    assert not is_contact(facts(None, "me@example.com"), 20)
    assert not is_contact(facts("jane@example.org", "me@example.com", automated="list-id"), 20)
    assert is_contact(facts("jane@example.org"), 20)


# --- direction -------------------------------------------------------------------------


def test_sent_from_my_address_to_others() -> None:
    assert direction(facts("me@example.com", "a@x.example", "b@y.example"), ME) == (
        "sent",
        ("a@x.example", "b@y.example"),
    )


def test_sent_from_any_of_my_addresses_case_insensitively() -> None:
    f = parse_headers(headers("From: Me <ME@Old-Job.EXAMPLE>", "To: Bob <Bob@B.Example>"))
    assert direction(f, ME) == ("sent", ("bob@b.example",))


def test_my_addresses_are_never_contacts() -> None:
    f = parse_headers(
        headers(
            "From: me@example.com", "To: ME@example.com, bob@b.example", "Cc: me@OLD-JOB.example"
        )
    )
    assert direction(f, ME) == ("sent", ("bob@b.example",))


def test_message_from_me_to_only_me_is_nothing() -> None:
    f = parse_headers(
        headers("From: me@example.com", "To: me@old-job.example", "Cc: Me@Example.com")
    )
    assert direction(f, ME) == ("", ())
    assert direction(facts("me@example.com"), ME) == ("", ())


def test_received_from_others_whoever_it_was_addressed_to() -> None:
    f = parse_headers(headers("From: Jane <Jane@Example.org>", "To: me@example.com"))
    assert direction(f, ME) == ("received", ("jane@example.org",))
    f = parse_headers(headers("From: jane@example.org", "To: team@example.org"))
    assert direction(f, ME) == ("received", ("jane@example.org",))
    f = parse_headers(headers("From: jane@example.org"))
    assert direction(f, ME) == ("received", ("jane@example.org",))


def test_no_sender_has_no_direction() -> None:
    assert direction(facts(None, "me@example.com"), ME) == ("", ())


def test_not_me_when_me_is_empty() -> None:
    assert direction(facts("me@example.com", "a@x.example"), frozenset()) == (
        "received",
        ("me@example.com",),
    )


# --- normalize_subject ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Lunch", "lunch"),
        ("Re: Lunch", "lunch"),
        ("RE: Lunch", "lunch"),
        ("re:Lunch", "lunch"),
        ("Fwd: Lunch", "lunch"),
        ("FW: Lunch", "lunch"),
        ("AW: Lunch", "lunch"),
        ("WG: Lunch", "lunch"),
        ("SV: Lunch", "lunch"),
        ("返信: 昼食", "昼食"),
        ("転送: 昼食", "昼食"),
        ("Re： 昼食", "昼食"),
        ("Re: Fwd: RE: Lunch", "lunch"),
        ("Re[2]: Lunch", "lunch"),
        ("  Re :  Lunch  ", "lunch"),
        ("Reunion plans", "reunion plans"),
        ("Lunch Re: plans", "lunch re: plans"),
        ("", ""),
    ],
)
def test_normalize_subject(subject: str, key: str) -> None:
    assert normalize_subject(subject) == key


def test_normalize_subject_is_idempotent() -> None:
    once = normalize_subject("Re: AW: Fwd: Straße")
    assert normalize_subject(once) == once == "strasse"


# --- never raises -----------------------------------------------------------------------

_FIELD = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Bcc",
        "Date",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "X-Kizuna-Id",
        "List-Id",
        "Precedence",
        "Auto-Submitted",
        "Return-Path",
        "Content-Type",
    ]
)
_VALUE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=120).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"=?utf-8?b?",
            b"=?iso-2022-jp?B?GyRC?=",
            b"<>",
            b'"unclosed <a@b',
            b"a@b, , ,",
            b"Tue, 01 Apr 2025 10:00:00 +2400",
            b"Mon, 31 Dec 9999 23:59:59 -2359",
            b"Thu, 01 Jan 0001 00:00:00 +0100",
            b"\x00\r\n\t",
            b"(comment",
            b"=?utf-8?q?=FF=FE?=",
        ]
    ),
)
_BLOCK = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.tuples(_FIELD, _VALUE), max_size=12).map(
        lambda items: b"".join(k.encode() + b": " + v + b"\r\n" for k, v in items) + b"\r\n"
    ),
)
_INTERNAL = st.one_of(
    st.none(),
    st.datetimes(timezones=st.sampled_from([UTC, JST, timezone(timedelta(hours=-7))])),
    st.datetimes(),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=_BLOCK, internal=_INTERNAL)
def test_parse_headers_never_raises_and_is_aware(raw: bytes, internal: datetime | None) -> None:
    f = parse_headers(raw, internal)
    assert isinstance(f, MessageFacts)
    assert f.date.tzinfo is not None and f.date.utcoffset() is not None
    f.date.astimezone(UTC)
    assert f.recipient_count >= len(f.recipients)
    for address in (*f.recipients, *([f.sender] if f.sender else [])):
        assert address.email == address.email.lower()
        assert "@" in address.email
        assert "\x00" not in address.name
    assert isinstance(f.subject, str) and "\x00" not in f.subject
    assert is_contact(f, 20) in (True, False)
    assert direction(f, ME)[0] in ("sent", "received", "")


# --- the fast path equals the stdlib path ----------------------------------------------
#
# parse_headers splits well-formed blocks itself and works on {name: values};
# rules._parse_headers_stdlib is the reference (BytesHeaderParser + facts_from_message).

_EQ_NAMES = st.sampled_from(
    [
        *FETCH_FIELDS,
        "From",
        "TO",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "List-Id",
        "Precedence",
        "Return-Path",
        "X-Other",
        "From ",
        "Bad Name",
        "",
    ]
)
_EQ_BITS = st.sampled_from(
    [
        "a@b.c",
        "Bob <bob@x.org>",
        '"Smith, J" <j@s.t>',
        '"中村 健" <ken@x.jp>',
        "Quinn García <q@x.jp>",
        "=?UTF-8?B?5bGx55Sw?= <y@z.jp>",
        "=?iso-2022-jp?b?GyRCOjRGIxsoQiAbJEJNWztSGyhC?=",
        "=?utf-8?b?a?=",
        "=?utf-8?q?Karen_M=C3=BCller?=",
        " ",
        "\t",
        ",",
        ", ",
        "<",
        ">",
        "<>",
        '"',
        "(c)",
        "[1.2.3.4]",
        "x",
        "grp:",
        ";",
        "\\",
        ":",
        "@",
        ".",
        "\u3000",
        "\xa0",
        "\x00",
        "\x1c",
        "é",
        "日本",
        "MAILER-DAEMON@x.org",
        "no-reply@shop.example",
        "Thu, 01 Jan 2015 10:00:00 +0900",
        "1 Jan 2015 10:00:00 -0000",
        "31 Feb 2015 10:00:00 +0000",
        "Fri, 31 Dec 9999 23:00:00 -0100",
        "Mon, 2 Mar 2020 1:02:03 +2400",
        "<id.1@host.example>",
        "<a=?b@c>",
        "<a b@c>",
        "Re: ",
        "Out of office",
        "Undeliverable: x",
        "bulk",
        "auto-generated",
        "multipart/report; x=y",
        "\r\n ",
        "\r\n\t",
        "\r\n",
        "\r",
        "\n",
    ]
)
_EQ_FIELDS = st.lists(
    st.tuples(
        _EQ_NAMES,
        st.sampled_from([": ", ":", ":  ", ": \t"]),
        st.lists(_EQ_BITS, max_size=6).map("".join),
    ),
    max_size=10,
)


def _strict(f: MessageFacts) -> tuple[object, ...]:
    """Every field, the date with its offset and zone (== on datetimes ignores them)."""
    return (f, f.date.isoformat(), f.date.utcoffset(), f.date.tzinfo, repr(f))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=_EQ_FIELDS,
    charset=st.sampled_from(["utf-8", "latin-1", "cp932"]),
    end=st.sampled_from([b"\r\n", b"", b"\r\nBody: x\r\n"]),
    internal=_INTERNAL,
)
def test_fast_path_equals_the_stdlib_path(
    fields: list[tuple[str, str, str]], charset: str, end: bytes, internal: datetime | None
) -> None:
    from worker.mail import rules

    text = "".join(f"{name}{colon}{value}\r\n" for name, colon, value in fields)
    raw = text.encode(charset, "replace") + end
    assert _strict(parse_headers(raw, internal)) == _strict(
        rules._parse_headers_stdlib(raw, internal)
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), _INTERNAL)
def test_fast_path_equals_the_stdlib_path_on_arbitrary_bytes(
    raw: bytes, internal: datetime | None
) -> None:
    from worker.mail import rules

    assert _strict(parse_headers(raw, internal)) == _strict(
        rules._parse_headers_stdlib(raw, internal)
    )


def test_the_fast_path_takes_a_typical_block() -> None:
    from worker.mail import rules

    block = (
        b'From: Frank Larsen <frank@example.org>\r\nTo: Taro <me@example.com>, "\xe4\xb8\xad" <k@x.jp>\r\n'
        b"Subject: =?utf-8?b?5bGx55Sw?=\r\nDate: Tue, 13 May 2014 18:43:46 +0000\r\n"
        b"Message-ID: <1.1.9b@bench.example>\r\nReferences: <a@b>\r\n <c@d>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    assert rules._split_fields(block) is not None
    for _ in range(2):  # cold, then from the memos
        f = parse_headers(block, INTERNAL)
        assert f == rules._parse_headers_stdlib(block, INTERNAL)
    assert f.references == ("<a@b>", "<c@d>")
    assert f.recipients == (Address("me@example.com", "Taro"), Address("k@x.jp", "中"))
    assert f.date.utcoffset() == timedelta(0)
    # Not well-formed: bare LF, a line without a colon, an mbox "From " line.
    assert rules._split_fields(b"From: a@b.c\nTo: d@e.f\n\n") is None
    assert rules._split_fields(b"From: a@b.c\r\nnot a field\r\n\r\n") is None
    assert rules._split_fields(b"From a@b.c Thu Jan  1 00:00:00 2015\r\nTo: d@e.f\r\n\r\n") is None


def test_bad_base64_word_does_not_raise() -> None:
    # decode_header raises HeaderParseError on it; the text stays as written.
    f = parse_headers(
        headers("From: =?utf-8?b?a?= <a@b.example>", "Subject: =?utf-8?b?a?=", crlf=True)
    )
    assert f.sender == Address("a@b.example", "=?utf-8?b?a?=")
    assert f.subject == "=?utf-8?b?a?="
    assert decode_text("=?utf-8?b?a?=") == "=?utf-8?b?a?="


_LIST_BITS = st.sampled_from(
    [
        "a@b.c",
        "Bob <bob@x.org>",
        '"Smith, J" <j@s.t>',
        '"中村\u3000健" <ken@x.jp>',
        "Quinn García <q@x.jp>",
        "中村 健 <k@x.jp>",
        "é",
        "\xa0",
        "\u3000",
        " ",
        ",",
        '"',
        "<",
        ">",
        "(c)",
        "x",
        ";",
        ":",
        "\r\n ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_LIST_BITS, min_size=1, max_size=8).map("".join), min_size=1, max_size=3))
def test_fast_address_lists_match_getaddresses(values: list[str]) -> None:
    import email.utils

    from worker.mail import addresses

    expected = [addresses._address(n, a) for n, a in email.utils.getaddresses(values)]
    assert addresses._list_addresses(values) == expected
    assert addresses._list_addresses(values) == expected  # memoized items
