"""Contract behaviours not covered elsewhere, end to end (real Dovecot, real CLI)."""

from __future__ import annotations

import email
import email.policy
import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.daemon import DaemonProcess, wait_for
from tests.support.dovecot import DevMail, free_port
from tests.support.factories import (
    REASON,
    Cli,
    alice_mailbox,
    drafts_with_flags,
    message,
    sample_mailbox,
    write_config,
)
from tests.support.smtp import PASSWORD, SmtpServer, smtp_sections
from tests.support.web import queue_gift
from worker.config import load_config
from worker.core import Kizuna

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
PASSPHRASE = {"KIZUNA_PASSPHRASE": "correct horse battery staple"}


def _emails(cli: Cli, *args: str) -> list[str]:
    return [c["email"] for c in cli.json("contacts", *args)]  # type: ignore[union-attr]


def test_dormant_after_days_decides_who_is_dormant(dovecot: DevMail, tmp_path: Path) -> None:
    alice_mailbox(dovecot)  # last contact 2016-01-05
    recent = datetime.now(UTC) - timedelta(days=400)
    dovecot.append("Sent", message("me@example.com", "bob@example.org", "q", recent))
    dovecot.append(
        "INBOX", message("bob@example.org", "me@example.com", "a", recent + timedelta(hours=1))
    )
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    assert cli.json("scan")["contacts"] == 2
    assert _emails(cli, "--dormant") == ["alice@example.net"]  # default 1095 days
    for days, dormant in [(300, ["alice@example.net", "bob@example.org"]), (20000, [])]:
        write_config(dovecot, tmp_path, api={"enabled": False}, policy={"dormant_after_days": days})
        assert _emails(cli, "--dormant") == dormant
        assert _emails(cli) == ["alice@example.net", "bob@example.org"]  # still contacts


def test_max_drafts_per_run_caps_even_a_larger_limit(dovecot: DevMail, tmp_path: Path) -> None:
    sample_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": False},
        policy={"exclude": ["@bank.example"]},
        outreach={"reason": REASON, "max_drafts_per_run": 1},
    )
    cli.json("scan")
    named = cli(
        "draft", "--to", "alice@example.net", "--to", "taro@example.jp", "--limit", "5", "--json"
    )
    assert named.returncode == 0, named.stderr
    assert [d["email"] for d in json.loads(named.stdout)] == ["alice@example.net"]
    assert "skipped taro@example.jp: over the limit of 1 drafts per run" in named.stderr
    assert [d["email"] for d in cli.json("draft", "--limit", "5")] == ["taro@example.jp"]  # type: ignore[union-attr]
    assert cli.json("draft", "--limit", "5") == []
    assert len(drafts_with_flags(dovecot)) == 2


@pytest.mark.parametrize(
    ("setting", "who", "marker"),
    [
        ("en", "taro@example.jp", "Hi Yamada-san,"),  # auto would write Japanese
        ("ja", "alice@example.net", "お久しぶりです"),  # auto would write English
    ],
    ids=["en", "ja"],
)
def test_outreach_language_forces_the_draft_language(
    dovecot: DevMail, tmp_path: Path, setting: str, who: str, marker: str
) -> None:
    sample_mailbox(dovecot)
    cli = write_config(
        dovecot, tmp_path, api={"enabled": False}, outreach={"reason": REASON, "language": setting}
    )
    cli.json("scan")
    (made,) = cli.json("draft", "--to", who)  # type: ignore[misc]
    assert made["language"] == setting
    ((_, draft),) = drafts_with_flags(dovecot)
    assert draft["To"].addresses[0].addr_spec == who
    assert marker in draft.get_content()


def test_reminders_dismiss_via_cli(dovecot: DevMail, tmp_path: Path) -> None:
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna:
        rid = queue_gift(kizuna)
    assert [(r["kind"], r["status"]) for r in cli.json("reminders")] == [("gift", "pending")]  # type: ignore[index]
    done = cli("reminders", "dismiss", str(rid))
    assert done.returncode == 0, done.stderr
    (shown,) = cli.json("reminders")  # type: ignore[misc]
    assert (shown["email"], shown["kind"], shown["status"]) == (
        "alice@example.net",
        "gift",
        "dismissed",
    )
    with Kizuna(load_config(cli.config)) as kizuna:
        assert kizuna.deliver_reminders().delivered == []  # a dismissed reminder is never delivered


def _message_ids(server: DevMail) -> list[str]:
    ids = []
    with server.client() as client:
        for _, _, folder in client.list_folders():
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            for data in (client.fetch(uids, ["BODY.PEEK[HEADER]"]) if uids else {}).values():
                msg = email.message_from_bytes(data[b"BODY[HEADER]"], policy=email.policy.default)
                ids.append(str(msg["Message-ID"]))
    return ids


def test_drafts_have_fresh_distinct_message_ids(drafting: Cli, dovecot: DevMail) -> None:
    before = _message_ids(dovecot)
    assert len(before) == 6
    made = drafting.json("draft")
    ids = [d["message_id"] for d in made]  # type: ignore[union-attr]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(i.startswith("<") and i.endswith(">") and "@" in i for i in ids)
    assert not set(ids) & set(before)
    assert sorted(str(m["Message-ID"]) for _, m in drafts_with_flags(dovecot)) == sorted(ids)


@pytest.fixture
def quick_daemon(dovecot: DevMail, tmp_path: Path) -> tuple[Cli, int]:
    alice_mailbox(dovecot)
    port = free_port()
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": False, "port": port},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
    )
    return cli, port


def test_daemon_stops_cleanly_on_sigint(quick_daemon: tuple[Cli, int], tmp_path: Path) -> None:
    cli, _ = quick_daemon
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    try:
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGINT)
        assert daemon.proc.wait(15) == 0
        assert "signal=SIGINT" in daemon.log() and "event=stopped" in daemon.log()
        assert cli.json("status")["running"] is False  # type: ignore[index]
    finally:
        daemon.cleanup()


def test_daemon_scans_unwatched_folders_on_its_schedule(dovecot: DevMail, tmp_path: Path) -> None:
    # IDLE watches INBOX and Sent only: mail filed straight into Archive is
    # found by the scheduled scan (every 3 s here), not by a watcher
    alice_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": False},
        daemon={"poll_seconds": 60, "scan_interval_minutes": 0.05, "idle_renew_seconds": 60},
    )
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    try:
        assert _emails(cli) == ["alice@example.net"]
        when = datetime.now(UTC) - timedelta(days=2)
        dovecot.append("Archive", message("me@example.com", "bob@example.org", "q", when))
        dovecot.append(
            "Archive", message("bob@example.org", "me@example.com", "a", when + timedelta(hours=1))
        )
        wait_for(
            lambda: "bob@example.org" in _emails(cli),
            timeout=30,
            what="a scheduled scan to index Archive",
        )
        assert daemon.terminate()[0] == 0
    finally:
        daemon.cleanup()


def test_api_disabled_serves_nothing_and_dashboard_refuses(
    quick_daemon: tuple[Cli, int], tmp_path: Path
) -> None:
    cli, port = quick_daemon
    refused = cli("dashboard")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == "kizuna: the local page is off: set [api] enabled = true\n"
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        assert daemon.terminate()[0] == 0
    finally:
        daemon.cleanup()


def test_smtp_secret_set_lets_delivery_work_without_a_password(
    dovecot: DevMail, smtpd: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUNA_PASSPHRASE", PASSPHRASE["KIZUNA_PASSPHRASE"])
    cli = write_config(dovecot, tmp_path, **smtp_sections(smtpd.port, password=None))
    with Kizuna(load_config(cli.config)) as kizuna:
        rid = queue_gift(kizuna)
        assert "kizuna secret set --smtp" in kizuna.deliver_reminders().failed[0][1]
    stored = cli("secret", "set", "--smtp", input=PASSWORD + "\n", env=PASSPHRASE)
    assert stored.returncode == 0 and "SMTP" in stored.stderr and PASSWORD not in stored.stderr
    with Kizuna(load_config(cli.config)) as kizuna:
        assert kizuna.deliver_reminders().delivered == [rid]
    assert [m["X-Kizuna-Kind"] for m in smtpd.messages] == ["gift"]
    assert smtpd.envelopes == [("me@example.com", ["me@example.com"])]
