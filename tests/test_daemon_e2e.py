"""``kizuna run`` as a subprocess against a real Dovecot: sent, reply, thank-you, reminders.

The story of one reconnection, as a user lives it: draft, send (as a mail
client does: a copy in Sent, the draft gone from Drafts), automated noise from
the contact (ignored), the real reply (a thank-you prompt in INBOX and one
threaded thank-you draft), kill -9 and restart (nothing twice), a reminder
that falls due while the daemon is down (delivered once after the restart),
a second daemon (refused), SIGTERM (exit 0, promptly).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess, wait_for
from tests.support.dovecot import DevMail, free_port
from tests.support.factories import CORPORA, Cli, alice_mailbox, message, write_config

ALICE = "alice@example.net"


def _fetch(
    server: DevMail, folder: str, criteria: list[object]
) -> list[tuple[tuple[bytes, ...], email.message.EmailMessage]]:
    with server.client() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(criteria)
        fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
    return [
        (tuple(d[b"FLAGS"]), email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default))
        for _, d in sorted(fetched.items())
    ]


def _prompts(
    server: DevMail, kind: str | None = None
) -> list[tuple[tuple[bytes, ...], email.message.EmailMessage]]:
    return _fetch(server, "INBOX", ["HEADER", "X-Kizuna-Kind", kind or ""])


def _state(cli: Cli, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    db = sqlite3.connect(f"file:{cli.state}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _send_like_a_client(server: DevMail) -> email.message.EmailMessage:
    """Copy the draft to Sent without \\Draft, then delete it from Drafts and expunge."""
    with server.client() as client:
        client.select_folder("Drafts")
        uids = client.search(["ALL"])
        assert len(uids) == 1
        raw = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        client.append("Sent", raw, flags=(b"\\Seen",))
        client.delete_messages(uids)
        client.expunge()
    return email.message_from_bytes(raw, policy=email.policy.default)


def _bounce_from_alice() -> bytes:
    """A real bounce (sisimai corpus) rewritten to come from the contact, dated now."""
    path = CORPORA / "sisimai-bounces" / "lhost-activehunter-01.eml"
    now = format_datetime(datetime.now(UTC)).encode()
    if not path.exists():
        return message(
            ALICE,
            "me@example.com",
            "Undelivered",
            headers={"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        )
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    raw = re.sub(rb"(?m)^Return-Path: <>\n", b"", raw)
    raw = re.sub(rb"(?m)^From: .*$", b"From: Alice Smith <alice@example.net>", raw, count=1)
    raw = re.sub(rb"(?m)^Date: .*$", b"Date: " + now, raw, count=1)
    return raw.replace(b"\n", b"\r\n")


@pytest.fixture
def daemon_cli(dovecot: DevMail, tmp_path: Path) -> Cli:
    alice_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        account={"language": "en"},  # the prompts' words are asserted below
        api={"enabled": False},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
        reminders={"gift_after_days": 14, "keep_in_touch_days": 180},
    )
    assert cli.json("scan")["contacts"] == 1
    return cli


def test_daemon_lifecycle_reply_prompt_draft_and_reminders(
    daemon_cli: Cli, dovecot: DevMail, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = daemon_cli
    (made,) = cli.json("draft", "--to", ALICE)
    daemon = DaemonProcess(cli, tmp_path / "daemon.log")
    try:
        daemon.start()

        # the user sends the draft from their mail client
        sent = _send_like_a_client(dovecot)
        assert sent["Message-ID"] == made["message_id"]
        wait_for(
            lambda: (
                _state(cli, "SELECT status FROM reconnections WHERE kind = 'reconnection'")
                == [("sent",)]
            ),
            what="the reconnection to be noticed as sent",
        )

        # automated mail from the contact is never a reply
        now = datetime.now(UTC)
        noise = {
            "auto-reply": message(
                "Alice Smith <alice@example.net>",
                "me@example.com",
                "Automatic reply: " + made["subject"],
                now,
                headers={"Auto-Submitted": "auto-replied", "In-Reply-To": made["message_id"]},
            ),
            "list": message(
                "Alice Smith <alice@example.net>",
                "me@example.com",
                "Newsletter",
                now,
                headers={
                    "List-Id": "<news.example.net>",
                    "List-Unsubscribe": "<mailto:leave@example.net>",
                },
            ),
            "bounce": _bounce_from_alice(),
        }
        mark = daemon.mark()
        for raw in noise.values():
            dovecot.append("INBOX", raw)
        daemon.wait_indexed(mark, 3)
        assert (
            _state(
                cli,
                "SELECT COUNT(*) FROM messages WHERE sender = ? AND automated IS NOT NULL",
                (ALICE,),
            )[0][0]
            == 3
        )
        assert _state(cli, "SELECT COUNT(*) FROM reminders")[0][0] == 0
        assert _state(cli, "SELECT status FROM reconnections")[0][0] == "sent"
        assert _prompts(dovecot) == []

        # the real reply
        reply_date = datetime.now(UTC).replace(microsecond=0)
        reply_id = "<reply-1@example.net>"
        reply = message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Re: " + made["subject"],
            reply_date,
            message_id=reply_id,
            headers={"In-Reply-To": made["message_id"], "References": made["message_id"]},
            body="So good to hear from you! Work has been hectic lately, but I would "
            "love to help.\r\n\r\nOn Monday you wrote:\r\n> Hi Alice\r\n",
        )
        appended = time.monotonic()
        dovecot.append("INBOX", reply)
        ((prompt_flags, prompt),) = wait_for(
            lambda: _prompts(dovecot, "thank-you"), timeout=15, what="the thank-you prompt"
        )
        latency = time.monotonic() - appended
        with capsys.disabled():
            print(f"\n[kizuna] reply-to-prompt latency: {latency:.2f} s")
        assert latency < 10
        assert prompt["X-Kizuna-Kind"] == "thank-you"
        assert prompt["Auto-Submitted"] == "auto-generated"
        assert b"\\Flagged" in prompt_flags and b"\\Seen" not in prompt_flags
        assert "Alice" in prompt["Subject"] and "So good to hear from you!" in prompt.get_content()

        # exactly one threaded thank-you draft
        drafts = wait_for(lambda: _fetch(dovecot, "Drafts", ["ALL"]), what="the thank-you draft")
        assert len(drafts) == 1
        flags, draft = drafts[0]
        assert b"\\Draft" in flags
        assert draft["In-Reply-To"] == reply_id
        assert reply_id in draft["References"]
        assert draft["Subject"] == "Re: " + made["subject"]
        assert draft["To"].addresses[0].addr_spec == ALICE
        assert draft["X-Kizuna-Id"].startswith("thanks-reconnect-")

        # the reply itself stays unread
        ((reply_flags, _),) = _fetch(dovecot, "INBOX", ["HEADER", "Message-ID", reply_id])
        assert b"\\Seen" not in reply_flags

        reminders = {r["kind"]: r for r in cli.json("reminders")}
        assert set(reminders) == {"thank-you", "gift", "keep-in-touch"}
        assert reminders["thank-you"]["status"] == "delivered"
        assert reminders["thank-you"]["draft_subject"] == draft["Subject"]
        assert reminders["gift"]["status"] == "pending"
        assert datetime.fromisoformat(reminders["gift"]["due"]) == reply_date + timedelta(days=14)
        assert datetime.fromisoformat(reminders["keep-in-touch"]["due"]) == reply_date + timedelta(
            days=180
        )
        assert all(r["email"] == ALICE and r["name"] == "Alice Smith" for r in reminders.values())
        table = cli("reminders")
        assert table.returncode == 0 and "keep-in-touch" in table.stdout
        assert _state(cli, "SELECT status FROM reconnections WHERE kind = 'reconnection'") == [
            ("replied",)
        ]
        tired = _state(cli, "SELECT detail FROM reminders WHERE kind = 'gift'")[0][0]
        assert '"tired": true' in tired
        assert '"reply_kind": "offers_help"' in tired  # "I would love to help"
        # the thank-you answers that: thanks for the help, a line to fill in
        assert "[what you'll try first]" in draft.get_content()

        # kill -9 and restart: nothing twice
        daemon.kill9()
        daemon.start()
        daemon.quiet()
        assert len(_prompts(dovecot)) == 1
        assert len(_fetch(dovecot, "Drafts", ["ALL"])) == 1
        assert _state(cli, "SELECT COUNT(*) FROM reminders")[0][0] == 3

        # a second daemon on the same state is refused
        second = cli("run", timeout=30)
        assert second.returncode == 1
        assert "already running" in second.stderr
        status = cli.json("status")
        assert status["running"] is True and status["pid"] == daemon.proc.pid  # type: ignore[union-attr]
        assert status["pending_reminders"] == 2

        # a reminder falls due while the daemon is down: delivered once after the start
        code, _ = daemon.terminate()
        assert code == 0
        assert cli.json("status")["running"] is False
        gift_id = reminders["gift"]["id"]
        done = cli("reminders", "snooze", str(gift_id), "0")
        assert done.returncode == 0, done.stderr
        daemon.start()
        wait_for(lambda: _prompts(dovecot, "gift"), what="the gift prompt")
        daemon.quiet()
        (gift_prompt,) = [p for _, p in _prompts(dovecot, "gift")]
        gift_text = gift_prompt.get_content()
        # she sounded tired, and has not said what she did yet: the scale, rest first
        assert "What did Alice Smith do for you?" in gift_text
        assert "- an introduction, a referral or real work: a spa" in gift_text
        assert f"kizuna reminders favour {gift_id} call" in gift_text
        assert len(_prompts(dovecot)) == 2
        assert {r["kind"]: r["status"] for r in cli.json("reminders")}["gift"] == "delivered"

        # the user marks it done
        assert cli("reminders", "done", str(gift_id)).returncode == 0
        assert {r["kind"]: r["status"] for r in cli.json("reminders")}["gift"] == "done"

        # SIGTERM: exit 0, promptly
        code, took = daemon.terminate()
        with capsys.disabled():
            print(f"[kizuna] SIGTERM to exit: {took:.2f} s")
        assert code == 0
        assert took < 8
        assert "event=stopped" in daemon.log()
    finally:
        daemon.cleanup()


def test_reminders_cli_usage_errors(daemon_cli: Cli) -> None:
    assert daemon_cli.json("reminders") == []
    missing = daemon_cli("reminders", "done", "42")
    assert missing.returncode == 2 and "no reminder with id 42" in missing.stderr
    bad = daemon_cli("reminders", "snooze", "1", "soon")
    assert bad.returncode == 2
    listing = daemon_cli("reminders")
    assert listing.returncode == 0 and "No reminders" in listing.stdout
    status = daemon_cli.json("status")
    assert status["running"] is False and status["pending_reminders"] == 0
    assert os.path.exists(daemon_cli.state)


def test_run_serves_the_local_page_while_it_runs(dovecot: DevMail, tmp_path: Path) -> None:
    import httpx

    alice_mailbox(dovecot)
    port = free_port()
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": True, "port": port},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
    )
    url = cli("dashboard").stdout.strip()
    assert url.startswith(f"http://127.0.0.1:{port}/login?token=")
    token = url.split("token=", 1)[1]
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    try:
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/contacts?dormant=true",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert [c["email"] for c in answer.json()] == [
            c["email"] for c in cli.json("contacts", "--dormant")
        ]
        assert httpx.get(f"http://127.0.0.1:{port}/api/contacts", timeout=10).status_code == 401
        code, took = daemon.terminate()
        assert code == 0
    finally:
        daemon.cleanup()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
