"""Reply processing and reminders through the library against a real Dovecot (no daemon)."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import Cli, alice_mailbox, message, write_config
from worker.config import load_config
from worker.core import Kizuna
from worker.followup import replies as replies_module

ALICE = "alice@example.net"


@pytest.fixture
def setup(dovecot: DevMail, tmp_path: Path) -> Iterator[tuple[Cli, Kizuna]]:
    alice_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": False},
        reminders={"gift_after_days": 7, "keep_in_touch_days": 30},
    )
    with Kizuna(load_config(cli.config)) as kizuna:
        kizuna.scan(progress=False)
        yield cli, kizuna


def _send(server: DevMail) -> bytes:
    with server.client() as client:
        client.select_folder("Drafts")
        uids = client.search(["ALL"])
        raw = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        client.append("Sent", raw, flags=(b"\\Seen",))
        client.delete_messages(uids)
        client.expunge()
    return raw


def drafts_with_flags(server: DevMail) -> list[email.message.EmailMessage]:
    with server.client() as client:
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return [
        email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default) for d in data.values()
    ]


def _cycle(kizuna: Kizuna) -> object:
    kizuna.scan(progress=False)
    return kizuna.process_replies()


def test_a_later_message_without_headers_counts_and_processing_is_idempotent(
    setup: tuple[Cli, Kizuna], dovecot: DevMail
) -> None:
    cli, kizuna = setup
    kizuna.draft([ALICE])
    _send(dovecot)
    result = _cycle(kizuna)
    assert result.sent == [ALICE] and result.replies == []  # type: ignore[attr-defined]

    # a new mail from her, not threaded: the fallback rule
    time.sleep(1.1)  # Date: has whole seconds; "later" is strictly later than the send
    when = datetime.now(UTC).replace(microsecond=0)
    dovecot.append(
        "INBOX",
        message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Your note",
            when,
            body="Lovely to hear from you.\r\n",
        ),
    )
    before = datetime.now(UTC)
    result = _cycle(kizuna)
    after = datetime.now(UTC)
    assert result.replies == [ALICE]  # type: ignore[attr-defined]
    assert result.thank_you_drafts == [ALICE]  # type: ignore[attr-defined]
    kinds = {r.kind: r for r in kizuna.reminders()}
    assert kinds["gift"].due == when + timedelta(days=7)
    assert kinds["keep-in-touch"].due == when + timedelta(days=30)
    assert kinds["thank-you"].detail["quote"] == "Lovely to hear from you."
    assert (
        before - timedelta(seconds=1) <= kinds["thank-you"].due <= after
    )  # due now: the pass's time
    (draft,) = drafts_with_flags(dovecot)
    assert draft["Subject"] == "Re: Your note"

    for _ in range(2):  # the same messages again: nothing new
        result = _cycle(kizuna)
        assert result.replies == [] and result.thank_you_drafts == []  # type: ignore[attr-defined]
    assert len(kizuna.reminders()) == 3
    assert len(drafts_with_flags(dovecot)) == 1
    assert cli.json("status")["pending_drafts"] == 1


def test_crash_after_the_thank_you_append_writes_it_once(
    setup: tuple[Cli, Kizuna], dovecot: DevMail, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, kizuna = setup
    (made,), _ = kizuna.draft([ALICE])
    _send(dovecot)
    _cycle(kizuna)
    dovecot.append(
        "INBOX",
        message(
            "alice@example.net",
            "me@example.com",
            "Re: x",
            datetime.now(UTC),
            headers={"In-Reply-To": made.message_id},
        ),
    )
    real_append = replies_module.append_draft

    def append_then_die(*args: object) -> None:
        real_append(*args)  # type: ignore[arg-type]
        raise SystemExit("simulated crash after APPEND")

    monkeypatch.setattr(replies_module, "append_draft", append_then_die)
    with pytest.raises(SystemExit):
        _cycle(kizuna)
    monkeypatch.undo()
    rows = kizuna.store.query("SELECT status FROM reconnections WHERE kind = 'thank-you'")
    assert [r[0] for r in rows] == ["appending"]
    _cycle(kizuna)
    rows = kizuna.store.query("SELECT status FROM reconnections WHERE kind = 'thank-you'")
    assert [r[0] for r in rows] == ["pending"]
    assert len(drafts_with_flags(dovecot)) == 1


def test_keep_in_touch_moves_with_contact_and_repeats_after_firing(
    setup: tuple[Cli, Kizuna], dovecot: DevMail
) -> None:
    cli, kizuna = setup
    (made,), _ = kizuna.draft([ALICE])
    _send(dovecot)
    _cycle(kizuna)
    reply_at = datetime.now(UTC).replace(microsecond=0)
    dovecot.append(
        "INBOX",
        message(
            "alice@example.net",
            "me@example.com",
            "Re: x",
            reply_at,
            headers={"In-Reply-To": made.message_id},
        ),
    )
    _cycle(kizuna)
    keep = next(r for r in kizuna.reminders() if r.kind == "keep-in-touch")
    assert keep.due == reply_at + timedelta(days=30)

    # I write to her ten days later (Sent): the nudge moves
    later = reply_at + timedelta(days=10)
    dovecot.append("Sent", message("me@example.com", ALICE, "thanks again", later))
    assert _cycle(kizuna).rescheduled == [ALICE]  # type: ignore[attr-defined]
    assert next(
        r for r in kizuna.reminders() if r.kind == "keep-in-touch"
    ).due == later + timedelta(days=30)
    # she writes again later still: it moves again; her auto-reply would not
    latest = reply_at + timedelta(days=12)
    dovecot.append(
        "INBOX",
        message(
            "alice@example.net", "me@example.com", "Out of Office", reply_at + timedelta(days=20)
        ),
    )
    dovecot.append("INBOX", message("alice@example.net", "me@example.com", "hi", latest))
    _cycle(kizuna)
    assert next(
        r for r in kizuna.reminders() if r.kind == "keep-in-touch"
    ).due == latest + timedelta(days=30)

    # it fires (made due now): delivered once, and the next one is 30 days on
    done = cli("reminders", "snooze", str(keep.id), "0")
    assert done.returncode == 0, done.stderr
    report = kizuna.deliver_reminders()
    assert keep.id in report.delivered
    nudges = [r for r in kizuna.reminders() if r.kind == "keep-in-touch"]
    assert [(n.seq, n.status) for n in nudges] == [(0, "delivered"), (1, "pending")]
    assert nudges[1].due - datetime.now(UTC) > timedelta(days=29)
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["HEADER", "X-Kizuna-Kind", "keep-in-touch"])) == 1


def test_a_pass_with_nothing_changed_skips_the_matching(
    setup: tuple[Cli, Kizuna], dovecot: DevMail, monkeypatch: pytest.MonkeyPatch
) -> None:
    from worker.followup.replies import ReplyProcessor

    _, kizuna = setup
    kizuna.draft([ALICE])
    _send(dovecot)
    assert _cycle(kizuna).sent == [ALICE]  # type: ignore[attr-defined]
    looked = []
    real = ReplyProcessor.sent_reconnections

    def counting(self: ReplyProcessor) -> object:
        looked.append(1)
        return real(self)

    monkeypatch.setattr(ReplyProcessor, "sent_reconnections", counting)
    _cycle(kizuna)  # what the last pass changed is looked at once more
    before = len(looked)
    for _ in range(3):  # nothing new: the daemon's idle cycles
        result = _cycle(kizuna)
        assert result.sent == result.replies == result.rescheduled == []  # type: ignore[attr-defined]
    assert len(looked) == before
    time.sleep(1.1)
    dovecot.append(
        "INBOX",
        message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Hi",
            datetime.now(UTC).replace(microsecond=0),
        ),
    )
    assert _cycle(kizuna).replies == [ALICE]  # type: ignore[attr-defined]
    assert len(looked) == before + 1
