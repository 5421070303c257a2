"""Trust: real-world hostile mail, read-only proof, and state faults, against real Dovecot."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess
from tests.support.dovecot import DevMail
from tests.support.factories import CORPORA, Cli, message, write_config
from tests.support.require import need_dovecot
from worker.config import load_config
from worker.core import Kizuna
from worker.errors import StateError
from worker.mail.rules import parse_headers

BOUNCES = CORPORA / "sisimai-bounces"
CPYTHON_EMAIL = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
# A person forwarding a bounce by hand (see tests/test_corpus.py): personal mail.
PERSONAL_IN_CORPUS = {"lhost-sendmail-14.eml"}


def test_real_bounces_and_autoreplies_never_become_contacts(
    dovecot: DevMail, tmp_path: Path
) -> None:
    if not BOUNCES.is_dir():
        pytest.skip(f"real-mail corpus absent: {BOUNCES}")
    files = sorted(BOUNCES.glob("*.eml"))
    senders: dict[str, str] = {}
    for path in files:
        raw = path.read_bytes()
        dovecot.write_maildir("INBOX", raw)
        facts = parse_headers(raw.split(b"\n\n", 1)[0])
        if facts.sender:
            senders.setdefault(facts.sender.email, path.name)
    # I wrote to every one of those senders: only a person's mail back can make a contact.
    for i, addr in enumerate(sorted(senders)):
        dovecot.write_maildir(
            "Sent", message("me@example.com", addr, f"q{i}", "Thu, 01 Jan 2015 10:00:00 +0000")
        )
    dovecot.fix_ownership()
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    result = cli.json("scan")
    assert result["new_messages"] == len(files) + len(senders)
    contacts = {c["email"] for c in cli.json("contacts")}
    made_by = {senders[email] for email in contacts}
    assert made_by <= PERSONAL_IN_CORPUS, sorted(made_by)


def test_cpython_email_test_messages_index(dovecot: DevMail, tmp_path: Path) -> None:
    if not CPYTHON_EMAIL.is_dir():
        pytest.skip(f"CPython's test_email data is not installed here: {CPYTHON_EMAIL}")
    files = sorted(CPYTHON_EMAIL.glob("msg_*.txt"))
    for path in files:
        dovecot.write_maildir("INBOX", path.read_bytes())
    dovecot.fix_ownership()
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    assert cli.json("scan")["new_messages"] == len(files)


def _snapshot(server: DevMail) -> dict[tuple[str, int], tuple[tuple[bytes, ...], bytes]]:
    seen = {}
    with server.client() as client:
        for _, _, folder in client.list_folders():
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            if uids:
                for uid, data in client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]).items():
                    flags = tuple(sorted(f for f in data[b"FLAGS"] if f != b"\\Recent"))
                    seen[(folder, uid)] = (flags, data[b"BODY[]"])
            client.unselect_folder()
    return seen


def test_scan_and_draft_change_nothing_but_add_their_own_drafts(
    dovecot: DevMail, tmp_path: Path
) -> None:
    for i in range(6):
        dovecot.append(
            "Sent",
            message(
                "me@example.com", f"p{i}@example.net", f"q{i}", "Thu, 01 Jan 2015 10:00:00 +0000"
            ),
            flags=(b"\\Seen",),
        )
        dovecot.append(
            "INBOX",
            message(
                f"p{i}@example.net", "me@example.com", f"a{i}", "Fri, 02 Jan 2015 10:00:00 +0000"
            ),
            flags=() if i % 2 else (b"\\Flagged",),
        )
    dovecot.append(
        "Drafts", message("me@example.com", "x@example.net", "my own draft"), flags=(b"\\Draft",)
    )
    before = _snapshot(dovecot)
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    cli.json("scan")
    made = cli.json("draft")
    after = _snapshot(dovecot)
    for key, value in before.items():
        assert after[key] == value, key  # same flags, same bytes
    added = {k: v for k, v in after.items() if k not in before}
    assert len(added) == len(made) == 5
    assert all(k[0] == "Drafts" and b"X-Kizuna-Id:" in v[1] for k, v in added.items())


def test_locked_state_is_a_clear_error(cli: Cli, dovecot: DevMail) -> None:
    dovecot.append("INBOX", message("a@example.net", "me@example.com"))
    cli.json("scan")
    holder = sqlite3.connect(cli.state, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        done = cli("scan")
        assert done.returncode == 1
        assert "locked" in done.stderr and done.stderr.count("\n") == 1
        assert time.monotonic() - started < 60
        assert cli("contacts").returncode == 0  # readers still read (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cli.json("scan")["new_messages"] == 0


def test_full_disk_is_a_clear_error_without_corruption(cli: Cli, dovecot: DevMail) -> None:
    for i in range(200):
        dovecot.write_maildir("INBOX", message(f"p{i}@example.net", "me@example.com", "x" * 200))
    dovecot.fix_ownership()
    kizuna = Kizuna(load_config(cli.config))
    try:
        pages = kizuna.store.query("PRAGMA page_count")[0][0]
        kizuna.store.query(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(StateError, match="full"):
            kizuna.scan(batch_size=50, progress=False)
    finally:
        kizuna.close()
    check = sqlite3.connect(cli.state)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    assert cli.json("scan")["messages"] == 200  # room again: the scan completes


def test_security_none_refused_for_remote_host(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[account]\nhost = "imap.example.com"\nsecurity = "none"\nusername = "u"\n'
        'password = "p"\naddresses = ["a@b.c"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--config", str(config), "scan"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "account.security" in done.stderr


def test_state_files_are_private(cli: Cli, dovecot: DevMail) -> None:
    dovecot.append("INBOX", message("a@example.net", "me@example.com"))
    cli.json("scan")
    assert cli.state.parent.stat().st_mode & 0o777 == 0o700
    for path in cli.state.parent.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


def test_secret_set_then_scan_without_password_in_config(dovecot: DevMail, tmp_path: Path) -> None:
    dovecot.append("INBOX", message("a@example.net", "me@example.com"))
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    cli.config.write_text(cli.config.read_text().replace(f'password = "{dovecot.password}"\n', ""))
    env = {"KIZUNA_PASSPHRASE": "correct horse battery staple"}
    missing = cli("scan", env=env)
    assert missing.returncode == 2 and "kizuna secret set" in missing.stderr
    stored = cli("secret", "set", input=dovecot.password + "\n", env=env)
    assert stored.returncode == 0, stored.stderr
    assert dovecot.password not in stored.stdout + stored.stderr
    done = cli("scan", "--json", env=env)
    assert done.returncode == 0, done.stderr
    for path in cli.state.parent.rglob("*"):
        if path.is_file():
            assert dovecot.password.encode() not in path.read_bytes(), path
            assert path.stat().st_mode & 0o077 == 0, path
    wrong = cli("scan", env={"KIZUNA_PASSPHRASE": "not it"})
    assert wrong.returncode == 1 and "KIZUNA_PASSPHRASE" in wrong.stderr
    assert dovecot.password not in wrong.stderr


def test_a_daemon_run_changes_nothing_but_adds_its_own(dovecot: DevMail, tmp_path: Path) -> None:

    for i in range(4):
        dovecot.append(
            "Sent",
            message(
                "me@example.com", f"p{i}@example.net", f"q{i}", "Thu, 01 Jan 2015 10:00:00 +0000"
            ),
            flags=(b"\\Seen",),
        )
        dovecot.append(
            "INBOX",
            message(
                f"p{i}@example.net", "me@example.com", f"a{i}", "Fri, 02 Jan 2015 10:00:00 +0000"
            ),
        )
    cli = write_config(
        dovecot,
        tmp_path,
        api={"enabled": False},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
    )
    cli.json("draft")  # gives the daemon reconnections to watch
    before = _snapshot(dovecot)
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    try:
        dovecot.append(
            "INBOX",
            message("p0@example.net", "me@example.com", "news", "Fri, 02 Jan 2026 10:00:00 +0000"),
        )
        time.sleep(3)
        assert daemon.terminate()[0] == 0
    finally:
        daemon.cleanup()
    after = _snapshot(dovecot)
    for key, value in before.items():
        assert after[key] == value, key
    added = [v for k, v in after.items() if k not in before]
    assert len(added) == 1 and b"Subject: news" in added[0][1]  # only the mail the test itself sent


def test_missing_drafts_folder_is_created(tmp_path: Path) -> None:

    need_dovecot()
    server = DevMail(folders={"Sent": "\\Sent"})
    server.start()
    try:
        server.append(
            "Sent",
            message("me@example.com", "a@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000"),
        )
        server.append(
            "INBOX",
            message("a@example.net", "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000"),
        )
        cli = write_config(server, tmp_path, api={"enabled": False})
        cli.json("scan")
        assert len(cli.json("draft")) == 1
        with server.client() as client:
            assert client.folder_exists("Drafts")
            assert client.select_folder("Drafts", readonly=True)[b"EXISTS"] == 1
    finally:
        server.cleanup()
