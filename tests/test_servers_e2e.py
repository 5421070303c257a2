"""The key flows on every IMAP server Kizuna is tested with: Dovecot, Courier and Cyrus.

Each test runs once per server (the ``imap_server`` fixture, or its own
parametrisation), started from nothing on a free loopback port and filled
over IMAP: the scan is exact, ``draft`` writes one draft per contact however
often it runs (also on an account without a Drafts folder, which it creates
where the server wants it), and ``kizuna run`` takes a sent draft and its
reply to a thank-you prompt, one threaded thank-you draft and the gift and
keep-in-touch reminders, once, across a kill -9.

The servers differ where Kizuna must not care: folder names (``INBOX.Sent``
on Courier and Cyrus), SPECIAL-USE (Courier has none; Cyrus sends its flags
in lower case), UNSELECT and CONDSTORE (not on Courier), the spelling of
FETCH sections in responses (Courier quotes header names), and whether IDLE
pushes new mail (Dovecot) or the server looks only now and then.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.courier import CourierMail
from tests.support.cyrus import CyrusMail
from tests.support.daemon import DaemonProcess, wait_for
from tests.support.factories import ME, REASON, Cli, message
from tests.support.servers import (
    KINDS,
    MailServer,
    fetch_messages,
    known_mailbox,
    new_server,
    prompts,
    send_like_a_client,
    state_rows,
)
from worker.daemon.watch import FolderWatcher

pytestmark = pytest.mark.dovecot  # "needs a real IMAP server"

ALICE = "alice@example.net"
TARO = "taro@example.jp"
#: folders scanned: INBOX and Sent, plus Archive where the account has one
SCANNED = {"dovecot": 3, "courier": 2, "cyrus": 3}
#: where a new Drafts folder belongs: the personal namespace, with the server's separator
NEW_DRAFTS = {"dovecot": "Drafts", "courier": "INBOX.Drafts", "cyrus": "INBOX.Drafts"}


def configure(server: MailServer, tmp_path: Path, **sections: dict[str, object]) -> Cli:
    state = tmp_path / "state" / "state.db"
    config = tmp_path / "config.toml"
    sections = {
        "api": {"enabled": False},
        "outreach": {"reason": REASON},
        "policy": {"exclude": ["@bank.example"]},
        **sections,
    }
    config.write_text(server.kizuna_config(state, ME, **sections))
    return Cli(config, state)


def no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert "Traceback" not in text, text


def test_scan_and_contacts_are_exact(imap_server: MailServer, tmp_path: Path) -> None:
    known_mailbox(imap_server)
    cli = configure(imap_server, tmp_path)
    scanned = cli.json("scan")
    assert scanned == {
        "folders": SCANNED[imap_server.kind],
        "messages": 8,
        "new_messages": 8,
        "contacts": 3,
    }
    dormant = cli.json("contacts", "--dormant")
    assert isinstance(dormant, list)
    assert [
        (
            c["email"],
            c["name"],
            c["last_contact"],
            c["last_sent"],
            c["last_received"],
            c["sent_count"],
            c["received_count"],
        )
        for c in dormant
    ] == [
        (
            TARO,
            "山田 太郎",
            "2014-01-05T10:00:00+09:00",
            "2014-01-04T10:00:00+09:00",
            "2014-01-05T10:00:00+09:00",
            1,
            1,
        ),
        (
            ALICE,
            "Alice Smith",
            "2016-01-05T10:00:00+00:00",
            "2016-01-04T10:00:00+00:00",
            "2016-01-05T10:00:00+00:00",
            1,
            1,
        ),
    ]
    everyone = cli.json("contacts")
    assert isinstance(everyone, list)
    assert sorted(c["email"] for c in everyone) == [ALICE, "bank@bank.example", TARO]

    # incremental: one new message is one new message, and it moves Alice's dates
    imap_server.append(
        "INBOX",
        message(f"Alice Smith <{ALICE}>", ME[0], "Again", "Fri, 08 Jan 2016 10:00:00 +0000"),
    )
    again = cli.json("scan")
    assert isinstance(again, dict)
    assert (again["messages"], again["new_messages"], again["contacts"]) == (9, 1, 3)
    alice = next(c for c in cli.json("contacts") if c["email"] == ALICE)  # type: ignore[union-attr]
    assert alice["last_received"] == "2016-01-08T10:00:00+00:00"
    assert alice["received_count"] == 2


def test_draft_twice_writes_one_draft_per_contact(imap_server: MailServer, tmp_path: Path) -> None:
    known_mailbox(imap_server)
    cli = configure(imap_server, tmp_path)
    cli.json("scan")
    first = cli("draft", "--json")
    assert first.returncode == 0, first.stderr
    no_traceback(first.stderr)
    made = {d["email"]: d for d in json.loads(first.stdout)}
    assert sorted(made) == [ALICE, TARO]
    assert (made[ALICE]["language"], made[TARO]["language"]) == ("en", "ja")

    drafts = fetch_messages(imap_server, "Drafts")
    assert len(drafts) == 2
    for flags, draft in drafts:
        assert b"\\draft" in {f.lower() for f in flags}
        assert draft["X-Kizuna-Id"].startswith("reconnect-")
        assert draft["From"].addresses[0].addr_spec == ME[0]
    assert sorted(str(d["Message-ID"]) for _, d in drafts) == sorted(
        d["message_id"] for d in made.values()
    )

    # Kizuna sees its drafts on every server (Courier quotes the header name in the
    # FETCH answer): the second run writes nothing and declines nothing
    second = cli.json("draft")
    assert second == []
    assert len(fetch_messages(imap_server, "Drafts")) == 2
    status = cli.json("status")
    assert isinstance(status, dict) and status["pending_drafts"] == 2


@pytest.mark.parametrize("kind", KINDS)
def test_draft_creates_drafts_where_the_server_wants_it(kind: str, tmp_path: Path) -> None:
    """An account without Drafts: a folder in the personal namespace, flagged where possible."""
    server = new_server(kind, drafts=False)
    server.start()
    try:
        with server.client() as client:
            before = {name for _f, _s, name in client.list_folders()}  # type: ignore[attr-defined]
        assert not any(name.rsplit(server.separator, 1)[-1] == "Drafts" for name in before)
        known_mailbox(server)
        cli = configure(server, tmp_path)
        cli.json("scan")
        done = cli("draft", "--json")
        assert done.returncode == 0, done.stderr
        no_traceback(done.stderr)
        again = cli("draft", "--json")
        assert (again.returncode, again.stdout.strip()) == (0, "[]"), again.stderr

        with server.client() as client:
            listing = {name: flags for flags, _s, name in client.list_folders()}  # type: ignore[attr-defined]
            subscribed = {name for _f, _s, name in client.list_sub_folders()}  # type: ignore[attr-defined]
            caps = set(client.capabilities())  # type: ignore[attr-defined]
        new = NEW_DRAFTS[kind]
        assert set(listing) - before == {new}
        assert new in subscribed
        flags = {f.lower() for f in listing[new]}
        # \Drafts exactly where the server offers CREATE-SPECIAL-USE (of the three: Cyrus)
        assert (b"\\drafts" in flags) == (b"CREATE-SPECIAL-USE" in caps)
        assert (b"CREATE-SPECIAL-USE" in caps) == (kind == "cyrus")
        drafts = fetch_messages(server, new)
        assert sorted(d["To"].addresses[0].addr_spec for _, d in drafts) == [ALICE, TARO]
    finally:
        server.cleanup()


def test_reply_flow_in_the_daemon(imap_server: MailServer, tmp_path: Path) -> None:
    """Sent draft and reply -> thank-you prompt, threaded thank-you draft, gift and keep-in-touch."""
    server = imap_server
    known_mailbox(server)
    cli = configure(
        server,
        tmp_path,
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
        reminders={"gift_after_days": 14, "keep_in_touch_days": 180},
    )
    cli.json("scan")
    (made,) = cli.json("draft", "--to", ALICE)  # type: ignore[misc]
    daemon = DaemonProcess(cli, tmp_path / "daemon.log")
    try:
        daemon.start()
        sent = send_like_a_client(server)
        assert sent["Message-ID"] == made["message_id"]
        wait_for(
            lambda: state_rows(cli, "SELECT status FROM reconnections") == [("sent",)],
            what="the reconnection to be noticed as sent",
        )

        reply_date = datetime.now(UTC).replace(microsecond=0)
        reply_id = f"<reply-{server.kind}@example.net>"
        server.append(
            "INBOX",
            message(
                f"Alice Smith <{ALICE}>",
                ME[0],
                "Re: " + made["subject"],
                reply_date,
                message_id=reply_id,
                headers={"In-Reply-To": made["message_id"], "References": made["message_id"]},
                body="So good to hear from you! Work has been hectic lately, but I would "
                "love to help.\r\n",
            ),
        )
        ((prompt_flags, prompt),) = wait_for(  # type: ignore[misc]
            lambda: prompts(server, "thank-you"), timeout=60, what="the thank-you prompt"
        )
        assert b"\\flagged" in {f.lower() for f in prompt_flags}
        assert "Alice" in prompt["Subject"]
        assert "So good to hear from you!" in prompt.get_content()  # the reply was read

        (thanks_flags, thanks), *more = wait_for(  # type: ignore[misc]
            lambda: fetch_messages(server, "Drafts"), what="the thank-you draft"
        )
        assert more == []
        assert b"\\draft" in {f.lower() for f in thanks_flags}
        assert thanks["In-Reply-To"] == reply_id
        assert reply_id in thanks["References"]
        assert thanks["Subject"] == "Re: " + made["subject"]
        assert thanks["X-Kizuna-Id"].startswith("thanks-reconnect-")

        ((reply_flags, _),) = fetch_messages(server, "INBOX", ["HEADER", "Message-ID", reply_id])
        assert b"\\seen" not in {f.lower() for f in reply_flags}  # read with BODY.PEEK

        reminders = {r["kind"]: r for r in cli.json("reminders")}  # type: ignore[union-attr]
        assert {k: r["status"] for k, r in reminders.items()} == {
            "thank-you": "delivered",
            "gift": "pending",
            "keep-in-touch": "pending",
        }
        due = {k: datetime.fromisoformat(r["due"]) for k, r in reminders.items()}
        assert due["gift"] == reply_date + timedelta(days=14)
        assert due["keep-in-touch"] == reply_date + timedelta(days=180)

        # kill -9 and a new start: nothing twice (Kizuna finds its own drafts again)
        daemon.kill9()
        daemon.start()
        daemon.quiet()
        assert len(prompts(server)) == 1
        assert len(fetch_messages(server, "Drafts")) == 1
        assert state_rows(cli, "SELECT COUNT(*) FROM reminders") == [(3,)]

        # the gift reminder falls due: delivered once
        snoozed = cli("reminders", "snooze", str(reminders["gift"]["id"]), "0")
        assert snoozed.returncode == 0, snoozed.stderr
        wait_for(lambda: prompts(server, "gift"), what="the gift prompt")
        daemon.quiet()
        assert len(prompts(server, "gift")) == 1
        code, _ = daemon.terminate()
        assert code == 0
        no_traceback(daemon.log())
    finally:
        daemon.cleanup()


@pytest.mark.parametrize("kind", ["courier", "cyrus"])
def test_idle_does_not_wait_for_a_server_that_does_not_push(kind: str) -> None:
    """Courier and Cyrus look for new mail during IDLE only every few minutes here.

    Two watchers on INBOX: the one that nudges (DONE, NOOP, IDLE every second)
    hears of a new message; the one that only idles has not heard of it by then.
    """
    server: MailServer = new_server(kind)
    if isinstance(server, CourierMail):
        server.idle_timeout = 600
    elif isinstance(server, CyrusMail):
        server.idle_poll = 600
    server.start()
    heard = {"nudged": threading.Event(), "idle only": threading.Event()}

    def connect() -> object:
        from imapclient import IMAPClient

        client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
        client.login(server.user, server.password)
        return client

    watchers = [
        FolderWatcher(
            label,
            connect,  # type: ignore[arg-type]
            "INBOX",
            heard[label].set,
            nudge_seconds=1.0 if label == "nudged" else None,
        )
        for label in heard
    ]
    try:
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            assert watcher.connected.wait(30)
        server.append("INBOX", message(f"Alice Smith <{ALICE}>", ME[0], "news", datetime.now(UTC)))
        assert heard["nudged"].wait(60), "the nudging watcher never heard of the new message"
        if kind == "cyrus":
            # Cyrus polls only every imapidlepoll seconds: the idler cannot have heard yet.
            # (Courier may still push through gamin when a gam_server from an earlier
            # test is alive, so there the idler proves nothing either way.)
            assert not heard["idle only"].is_set()
    finally:
        for watcher in watchers:
            watcher.stop()
        server.cleanup()
