"""The lean FETCH reader: parser cases on crafted streams, and against a real Dovecot."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.dovecot import DevMail
from tests.support.factories import message
from worker.errors import FolderError, MailServerError
from worker.mail.fetchreader import FetchParser, fetch_command, fetch_headers
from worker.mail.rules import FETCH_FIELDS

TAG = b"KIZ7"
H1 = b"From: a@example.org\r\nSubject: one\r\n\r\n"
H2 = b"From: b@example.org\r\nSubject: {5}\r\n\r\n"  # a literal marker inside a literal
IDATE = b"17-Jul-1996 02:44:25 -0700"


def lit(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


ECHO = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"  # the section as fetch_headers would have sent it


def parse(
    stream: bytes, cuts: list[int] | None = None, echo: bytes = b""
) -> tuple[list, FetchParser]:
    parser = FetchParser(TAG, echo)
    out = []
    points = [0, *sorted(cuts or []), len(stream)]
    for start, stop in zip(points, points[1:], strict=False):
        out += parser.feed(stream[start:stop])
    return out, parser


DOVECOT_STREAM = (
    b'* 1 FETCH (UID 10 INTERNALDATE "'
    + IDATE
    + b'" BODY[HEADER.FIELDS (FROM SUBJECT)] '
    + lit(H1)
    + b")\r\n"
    b'* 2 FETCH (UID 11 INTERNALDATE "'
    + IDATE
    + b'" BODY[HEADER.FIELDS (FROM SUBJECT)] '
    + lit(H2)
    + b")\r\n"
    + TAG
    + b" OK Fetch completed (0.001 + 0.000 secs).\r\n"
)


def test_dovecot_shape() -> None:
    items, parser = parse(DOVECOT_STREAM)
    assert items == [(10, IDATE, H1), (11, IDATE, H2)]
    assert parser.done and parser.status == b"OK" and parser.rest == b""


def test_the_expected_echo_is_only_a_shortcut() -> None:
    assert parse(DOVECOT_STREAM, echo=ECHO)[0] == parse(DOVECOT_STREAM)[0]
    # a server that echoes the section otherwise (here: a longer one) is read all the same
    other = DOVECOT_STREAM.replace(b"(FROM SUBJECT)", b"(FROM SUBJECT TO)")
    assert parse(other, echo=ECHO)[0] == [(10, IDATE, H1), (11, IDATE, H2)]
    # a wrong literal size after the right echo is not taken for a message
    broken = DOVECOT_STREAM.replace(b"{%d}" % len(H1), b"{%d}" % (len(H1) + 1), 1)
    with pytest.raises(MailServerError):
        parse(broken, echo=ECHO)


def test_items_in_any_order_lowercase_and_quoted_section_echo() -> None:
    stream = (
        b'* 3 fetch (body[header.fields ("FROM" "SUBJECT")] '
        + lit(H1)
        + b' internaldate "'
        + IDATE
        + b'" uid 12)\r\n'
        + TAG
        + b" ok done\r\n"
    )
    items, parser = parse(stream)
    assert items == [(12, IDATE, H1)]
    assert parser.status == b"OK"


def test_uid_after_the_literal_and_flags_in_between() -> None:
    stream = (
        b"* 4 FETCH (FLAGS (\\Seen \\Answered) BODY[HEADER.FIELDS (FROM)] "
        + lit(H1)
        + b' MODSEQ (12345) UID 13 INTERNALDATE "'
        + IDATE
        + b'")\r\n'
        + TAG
        + b" OK done\r\n"
    )
    assert parse(stream)[0] == [(13, IDATE, H1)]


def test_quoted_body_with_escapes_and_nil() -> None:
    stream = (
        b'* 5 FETCH (UID 14 INTERNALDATE NIL BODY[HEADER.FIELDS (SUBJECT)] "Subject: a \\"b\\" \\\\ c")\r\n'
        b"* 6 FETCH (UID 15 BODY[HEADER.FIELDS (SUBJECT)] NIL)\r\n" + TAG + b" OK done\r\n"
    )
    items, _ = parse(stream)
    assert items == [(14, None, b'Subject: a "b" \\ c'), (15, None, b"")]


def test_interleaved_untagged_responses() -> None:
    stream = (
        b"* 5 EXISTS\r\n"
        b"* 3 EXPUNGE\r\n"
        b"* 2 FETCH (FLAGS (\\Seen))\r\n"  # a flag update: no UID, no body
        b"* 2 FETCH (UID 9 FLAGS (\\Seen))\r\n"  # with UID but no body
        b"* OK [ALERT] something\r\n" + DOVECOT_STREAM
    )
    items, parser = parse(stream)
    assert [i[0] for i in items] == [10, 11]
    assert ("EXISTS", b"5") in parser.untagged and ("EXPUNGE", b"3") in parser.untagged
    assert ("OK", b"[ALERT] something") in parser.untagged


def test_non_synchronizing_and_literal8_markers() -> None:
    stream = (
        b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM)] {%d+}\r\n" % len(H1) + H1 + b")\r\n"
        b"* 2 FETCH (UID 2 BINARY[HEADER] ~{%d}\r\n"
        % len(H2)
        + H2
        + b")\r\n"
        + TAG
        + b" OK done\r\n"
    )
    assert parse(stream)[0] == [(1, None, H1), (2, None, H2)]


def test_empty_literal_and_empty_result() -> None:
    stream = b'* 1 FETCH (UID 1 INTERNALDATE "' + IDATE + b'" BODY[HEADER.FIELDS (X)] {0}\r\n)\r\n'
    items, _ = parse(stream + TAG + b" OK done\r\n")
    assert items == [(1, IDATE, b"")]
    items, parser = parse(TAG + b" OK nothing\r\n")
    assert items == [] and parser.done


@pytest.mark.parametrize("status", [b"NO", b"BAD", b"no"])
def test_tagged_failure_status(status: bytes) -> None:
    items, parser = parse(
        b"* 1 FETCH (UID 1 BODY[] {2}\r\nab)\r\n" + TAG + b" " + status + b" [SERVERBUG] oops\r\n"
    )
    assert items == [(1, None, b"ab")]
    assert parser.status == status.upper() and parser.text == b"[SERVERBUG] oops"


def test_bytes_after_the_tagged_line_are_kept() -> None:
    _, parser = parse(DOVECOT_STREAM + b"* 7 EXISTS\r\n")
    assert parser.rest == b"* 7 EXISTS\r\n"


def test_other_tags_and_garbage_are_errors() -> None:
    with pytest.raises(MailServerError):
        parse(b"+ go ahead\r\n")
    with pytest.raises(MailServerError):
        parse(b"* 1 FETCH (UID 1 BODY[] {2}\r\nab))\r\n")


def test_bye_is_noted() -> None:
    _, parser = parse(b"* BYE shutting down\r\n")
    assert parser.bye and not parser.done


def test_fetch_command() -> None:
    assert fetch_command("1:3", ["from", "to"]) == (
        b"UID FETCH 1:3 (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM TO)])"
    )


MIXED_STREAM = (
    b"* 9 EXISTS\r\n"
    + DOVECOT_STREAM.rsplit(TAG, 1)[0]
    + b'* 3 FETCH (uid 20 body[header.fields ("FROM")] '
    + lit(b"From: x\r\n\r\n)\r\n")
    + b")\r\n"
    + b'* 4 FETCH (BODY[HEADER.FIELDS (FROM)] "q\\"x" UID 21)\r\n'
    + b"* 1 EXPUNGE\r\n"
    + TAG
    + b" OK done\r\n"
)
MIXED_EXPECTED = [
    (10, IDATE, H1),
    (11, IDATE, H2),
    (20, None, b"From: x\r\n\r\n)\r\n"),
    (21, None, b'q"x'),
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=len(MIXED_STREAM)), max_size=12),
    st.sampled_from([b"", ECHO, b"BODY[HEADER.FIELDS (FROM)]", ECHO + b"x"]),
)
def test_any_chunking_gives_the_same_result(cuts: list[int], echo: bytes) -> None:
    # with or without the expected section echo, matching the stream's or not
    items, parser = parse(MIXED_STREAM, cuts, echo)
    assert items == MIXED_EXPECTED
    assert parser.done and parser.status == b"OK" and parser.rest == b""
    assert [t for t, _ in parser.untagged] == ["EXISTS", "EXPUNGE"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=2**32 - 1),
            st.binary(max_size=300),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.data(),
)
def test_arbitrary_literals_round_trip(
    msgs: list[tuple[int, bytes, bool]], data: st.DataObject
) -> None:
    stream = b""
    for seq, (uid, body, uid_first) in enumerate(msgs, 1):
        body_item = b"BODY[HEADER.FIELDS (FROM)] " + lit(body)
        items = [b"UID %d" % uid, body_item] if uid_first else [body_item, b"UID %d" % uid]
        stream += b"* %d FETCH (" % seq + b" ".join(items) + b")\r\n"
    stream += TAG + b" OK done\r\n"
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=10))
    items, parser = parse(stream, cuts)
    assert items == [(uid, None, body) for uid, body, _ in msgs]
    assert parser.done


# -- against the real server ---------------------------------------------------------


def _fill(server: DevMail) -> None:
    when = datetime(2016, 5, 5, 8, 30, tzinfo=UTC).timestamp()
    for i in range(40):
        server.write_maildir(
            "INBOX",
            message(
                f"Person {i} <p{i}@example.net>",
                "me@example.com",
                f"subject {i} {{3}}",
                "Thu, 01 Jan 2015 10:00:00 +0000",
                headers={"List-Id": "<l.example>"} if i % 5 == 0 else None,
            ),
            mtime=when + i,
        )
    server.write_maildir(
        "INBOX", b"Subject: =?UTF-8?B?5LiN5Zyo?=\r\nFrom: \xe5\xb1\xb1 <y@example.jp>\r\n\r\nx"
    )
    server.write_maildir("INBOX", b"X-Nothing: here\r\n\r\nno fetched fields")
    server.fix_ownership()


def test_matches_imapclient_on_dovecot(dovecot: DevMail) -> None:
    _fill(dovecot)
    section = "BODY[HEADER.FIELDS (" + " ".join(f.upper() for f in FETCH_FIELDS) + ")]"
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        expected = client.fetch(uids, ["UID", "INTERNALDATE", "BODY.PEEK" + section[4:]])
        got = list(fetch_headers(client, uids, FETCH_FIELDS, folder="INBOX"))
        assert len(got) == len(uids) == 42
        for uid, idate, header in got:
            data = expected[uid]
            assert header == data[section.encode()]
            assert idate is not None
            stamp = data[b"INTERNALDATE"]
            assert (
                datetime.strptime(idate.decode(), "%d-%b-%Y %H:%M:%S %z").replace(tzinfo=None)
                == stamp
            )
        # a subset, in pieces, twice in a row: tags and buffers stay in step
        assert [u for u, _, _ in fetch_headers(client, "3:5,9", FETCH_FIELDS)] == [3, 4, 5, 9]
        assert [u for u, _, _ in fetch_headers(client, [1], FETCH_FIELDS)] == [1]
        # imapclient still works on the same connection afterwards
        assert client.search(["ALL"]) == uids
        assert client.noop()[0].startswith(b"NOOP")
        assert b"\\Seen" in client.fetch([2], ["FLAGS"])[2][b"FLAGS"]


def test_early_close_drains_the_response(dovecot: DevMail) -> None:
    _fill(dovecot)
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        reader = fetch_headers(client, "1:*", FETCH_FIELDS)
        assert next(reader)[0] == 1
        reader.close()
        assert client.search(["UID", "1:3"]) == [1, 2, 3]


def test_errors_on_dovecot(dovecot: DevMail) -> None:
    _fill(dovecot)
    with dovecot.client() as client:
        with pytest.raises(FolderError):  # no folder selected
            list(fetch_headers(client, "1", FETCH_FIELDS))
        client.select_folder("INBOX", readonly=True)
        with pytest.raises(FolderError) as failed:  # BAD: not a UID set
            list(fetch_headers(client, "1:x", FETCH_FIELDS, folder="INBOX"))
        assert failed.value.folder == "INBOX"
        assert client.search(["UID", "1"]) == [1]  # still usable after a BAD
        client._imap.sock.shutdown(socket.SHUT_RDWR)  # the connection dies
        with pytest.raises(MailServerError):
            list(fetch_headers(client, "1:*", FETCH_FIELDS))


# -- the scan's fast paths in worker.rules agree with the stdlib ---------------------

_FIELD_NAMES = st.sampled_from(
    ["From", "To", "cc", "Subject", "Date", "Message-ID", "List-Id", "X-A", "From "]
)
_VALUE_BITS = st.sampled_from(
    [
        "a@b.c",
        "Bob <bob@x.org>",
        '"Smith, J" <j@s.t>',
        "=?UTF-8?B?5bGx55Sw?= <y@z.jp>",
        " ",
        "\t",
        ",",
        "<",
        ">",
        "(c)",
        "[1.2.3.4]",
        "x",
        "Thu, 01 Jan 2015 10:00:00 +0900",
        "1 Jan 2015 10:00:00 -0000",
        "é",
        "\r\n ",
        "\r\n\t",
        "\r",
        "\n",
        ":",
        "\\",
        '"',
        "grp:",
        ";",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(_FIELD_NAMES, st.lists(_VALUE_BITS, max_size=6)), max_size=6),
    st.sampled_from([b"", b"\r\n", b"\r\n\r\nbody"]),
    st.booleans(),
)
def test_fast_header_parse_matches_the_stdlib(
    fields: list[tuple[str, list[str]]], end: bytes, latin: bool
) -> None:
    from worker.mail import rules

    text = "".join(f"{name}: {''.join(bits)}\r\n" for name, bits in fields)
    raw = text.encode("latin-1" if latin else "utf-8", "replace") + end
    reference = rules._parser.parsebytes(raw)
    fast = rules._split_fields(raw)
    if fast is not None:
        assert fast == list(reference.raw_items())
    assert rules.parse_headers(raw) == rules._parse_headers_stdlib(raw)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_VALUE_BITS, min_size=1, max_size=8).map("".join), min_size=1, max_size=3))
def test_fast_address_lists_match_the_stdlib(values: list[str]) -> None:
    import email.utils

    from worker.mail import addresses

    assert addresses._list_addresses(values) == [
        addresses._address(n, a) for n, a in email.utils.getaddresses(values)
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 40),
    st.sampled_from(["Jan", "Feb", "Dec"]),
    st.integers(990, 9999),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["+", "-"]),
    st.integers(0, 30),
    st.integers(0, 99),
    st.sampled_from(["", "Mon, "]),
)
def test_fast_date_matches_the_stdlib(
    day: int, mon: str, year: int, hour: int, minute: int, sign: str, zh: int, zm: int, dow: str
) -> None:
    import email.utils

    from worker.mail import dates

    text = f"{dow}{day} {mon} {year} {hour:02d}:{minute:02d}:{minute:02d} {sign}{zh:02d}{zm:02d}"

    def outcome(parse: object) -> object:
        try:
            value = parse(text)  # type: ignore[operator]
            return value, value.utcoffset()
        except Exception as exc:
            return type(exc)

    assert outcome(dates._parse_date) == outcome(email.utils.parsedate_to_datetime)
