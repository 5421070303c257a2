"""The automation verdict and the reply parser against real mail.

The corpus is sisimai/set-of-emails ``maildir/bsd`` (629 bounces, delivery
reports, auto-replies and feedback reports from many mail systems), kept beside
the checkout in ``../shared/corpora/sisimai-bounces`` and never copied in.

Every message must be judged automated from its header fields alone (parsed as
the scan parses them), except the person-forwarded ones in
:data:`PERSON_FORWARDED`.
"""

from __future__ import annotations

import collections
import email.policy
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest

from worker.mail.automation import AUTOMATION_FIELDS, automation_reason
from worker.mail.replyparse import Reply, parse_reply

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "sisimai-bounces"

#: Messages that are personal mail although they carry a bounce: a person
#: forwarding it. Each one with the reason it is personal.
PERSON_FORWARDED: dict[str, str] = {
    # From "Shironeko, Nyanko" <shironeko@example.jp> (a person, Apple Mail
    # "Apple Message framework v753.1"), Subject "Fwd: Returned mail: see
    # transcript for details", body "Forward the message. / Begin forwarded
    # message:" followed by the quoted sendmail bounce. No automation header,
    # a normal Return-Path-less text/plain ISO-2022-JP letter: the sender
    # passed the bounce on by hand.
    "lhost-sendmail-14.eml": "person forwarding a sendmail bounce (Fwd:, Apple Mail)",
}

# Well-known shapes in the corpus that the verdict must keep catching.
EXPECTED_SAMPLES: dict[str, str] = {
    "lhost-dragonfly-01.eml": "sender:mail-system",  # From: MAILER-DAEMON <>, no other signal
    "lhost-sendmail-53.eml": "sender:mailer-daemon",  # From: ... <MAILER-DAEMON> (no domain)
    "lhost-mcafee-04.eml": "sender:null",  # From: <>
    "lhost-verizon-02.eml": "sender:postmaster",  # post_master@, "Re:Nyaan" subject
    "lhost-fml-02.eml": "list-subscribe",  # fml list notice (also Mailing-List)
    "lhost-fml-03.eml": "x-mlserver",  # fml loop alert
    "arf-22.eml": "subject:bounce",  # Hotmail complaint (JMRP): subject only
    "rfc3834-03.eml": "subject:out-of-office",  # "Auto reply:" with no header signal
}

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"real-mail corpus not found at {CORPUS} (shared/corpora beside the checkout)",
)


def _files() -> list[Path]:
    return sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []


def _headers_only(raw: bytes):
    """Keep only AUTOMATION_FIELDS, as ``BODY.PEEK[HEADER.FIELDS (...)]`` returns them."""
    msg = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    wanted = {f.lower() for f in AUTOMATION_FIELDS}
    for name in {k for k in msg.keys() if k.lower() not in wanted}:
        del msg[name]
    return msg


def test_corpus_is_complete():
    assert len(_files()) == 629


def test_every_automated_message_is_flagged():
    missed = []
    reasons: collections.Counter[str | None] = collections.Counter()
    for path in _files():
        reason = automation_reason(_headers_only(path.read_bytes()))
        reasons[reason] += 1
        if path.name in PERSON_FORWARDED:
            continue
        if reason is None:
            missed.append(path.name)
    assert not missed, f"{len(missed)} automated messages judged personal: {missed}"
    assert reasons[None] == len(PERSON_FORWARDED)


@pytest.mark.parametrize("name", sorted(PERSON_FORWARDED))
def test_person_forwarded_messages_are_personal(name):
    assert automation_reason(_headers_only((CORPUS / name).read_bytes())) is None


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED_SAMPLES.items()))
def test_known_shapes(name, expected):
    assert automation_reason(_headers_only((CORPUS / name).read_bytes())) == expected


def test_full_headers_give_a_verdict_too():
    """With every header (not only the fetched ones) nothing flips to personal."""
    parser = BytesHeaderParser(policy=email.policy.compat32)
    flipped = [
        p.name
        for p in _files()
        if p.name not in PERSON_FORWARDED
        and automation_reason(parser.parsebytes(p.read_bytes())) is None
    ]
    assert not flipped


def test_every_file_parses_as_a_reply():
    empty_text = []
    for path in _files():
        reply = parse_reply(path.read_bytes())
        assert isinstance(reply, Reply)
        assert isinstance(reply.new_text, str) and isinstance(reply.text, str)
        assert reply.date is None or reply.date.tzinfo is not None
        assert "\x1b" not in reply.text, f"{path.name}: escape sequences left in text"
        if not reply.text.strip():
            empty_text.append(path.name)
    # Bounces all explain themselves in words; an empty body means parsing failed.
    assert len(empty_text) <= 10, empty_text


def test_forwarded_bounce_reads_as_a_person_wrote_it():
    reply = parse_reply((CORPUS / "lhost-sendmail-14.eml").read_bytes())
    assert reply.sender_email == "shironeko@example.jp"
    assert reply.subject == "Fwd: Returned mail: see transcript for details"
    assert reply.new_text.startswith("Forward the message.")
    assert "User unknown" not in reply.new_text  # the forwarded bounce is cut off
    # The body is 7-bit ISO-2022-JP: decoded, not left as escape sequences.
    assert "2009年4月28日" in reply.text
