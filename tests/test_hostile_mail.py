"""The strangest mail: the scan's header rules and the reply parser never fail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.mail.replyparse import parse_reply
from worker.mail.rules import parse_headers

IDATE = datetime(2020, 1, 1, tzinfo=UTC)

HOSTILE = {
    "megabyte-header": b"From: a@example.net\r\nX-Junk: "
    + b"x" * 1_000_000
    + b"\r\nSubject: big\r\n\r\nbody",
    "encoded-word-flood": b"From: a@example.net\r\nSubject: "
    + b" ".join([b"=?utf-8?b?5bGx?="] * 20_000)
    + b"\r\n\r\nbody",
    "nul-bytes": b"From: a\x00b <a@example.net>\r\nSubject: \x00\x00\r\n\r\n\x00body",
    "mixed-charsets": b"From: =?iso-2022-jp?b?GyRCOzNFRBsoQg==?= \xe5\xb1\xb1 =?koi8-r?q?=F0?= <a@example.net>\r\n"
    b"Subject: =?utf-8?q?caf=C3=A9?= \x82\xa0 =?x-bogus?b?!!!?=\r\n\r\nbody",
    "no-headers": b"\r\n\r\n",
    "only-garbage": bytes(range(256)) * 40,
    "date-1970": b"From: a@example.net\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n\r\nx",
    "date-2099": b"From: a@example.net\r\nDate: Thu, 01 Jan 2099 00:00:00 +0000\r\n\r\nx",
    "date-absurd-offset": b"From: a@example.net\r\nDate: Thu, 01 Jan 2015 00:00:00 +9999\r\n\r\nx",
    "ten-thousand-recipients": b"From: a@example.net\r\nTo: "
    + b", ".join(b"r%d@example.org" % i for i in range(10_000))
    + b"\r\n\r\nx",
    "nested-multipart": b"From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(60)
    )
    + b"--b60\r\nContent-Type: text/plain\r\n\r\nhello deep\r\n",
    "bad-base64-body": b"From: a@example.net\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
    "unknown-charset-body": b"From: a@example.net\r\nContent-Type: text/plain; charset=x-martian\r\n\r\n\xff\xfe",
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_header_rules_never_fail(raw: bytes) -> None:
    facts = parse_headers(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", IDATE)
    assert facts.date.tzinfo is not None
    assert all("@" in a.email and a.email == a.email.lower() for a in facts.recipients)


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_reply_parser_never_fails(raw: bytes) -> None:
    reply = parse_reply(raw)
    assert isinstance(reply.text, str) and isinstance(reply.new_text, str)


def test_specific_outcomes() -> None:
    assert (
        parse_headers(HOSTILE["ten-thousand-recipients"].split(b"\r\n\r\n")[0]).recipient_count
        == 10_000
    )
    assert parse_headers(HOSTILE["date-2099"]).date.year == 2099
    assert parse_headers(HOSTILE["no-headers"], IDATE).date == IDATE
    assert parse_headers(HOSTILE["date-absurd-offset"], IDATE).date.year in (2014, 2015, 2020)
    flood = parse_headers(HOSTILE["encoded-word-flood"])
    assert flood.subject.startswith("山山山")
    assert parse_headers(HOSTILE["mixed-charsets"]).sender.email == "a@example.net"  # type: ignore[union-attr]
