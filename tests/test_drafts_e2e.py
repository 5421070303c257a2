"""Reconnection drafts against a real Dovecot: headers, text, never twice, crash safety."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import REASON, Cli, drafts_with_flags
from worker.config import load_config
from worker.core import Kizuna
from worker.outreach.drafting import Outreach


def test_drafts_land_in_drafts_with_exact_headers_and_text(drafting: Cli, dovecot: DevMail) -> None:
    made = drafting.json("draft")
    assert {d["email"] for d in made} == {"alice@example.net", "taro@example.jp"}  # bank excluded
    by_email = {d["email"]: d for d in made}
    assert by_email["taro@example.jp"]["language"] == "ja"
    assert by_email["alice@example.net"]["language"] == "en"
    drafts = drafts_with_flags(dovecot)
    assert len(drafts) == 2
    for flags, msg in drafts:
        assert b"\\Draft" in flags
        to = msg["To"].addresses[0].addr_spec
        info = by_email[to]
        assert msg["Message-ID"] == info["message_id"]
        assert msg["Subject"] == info["subject"]
        assert msg["From"].addresses[0].display_name == "Kizuna Tester"
        assert msg["From"].addresses[0].addr_spec == "me@example.com"
        assert msg["X-Kizuna-Id"].startswith("reconnect-")
        assert msg.get_content_charset() == "utf-8"
        assert msg["Content-Transfer-Encoding"] == "quoted-printable"
        body = msg.get_content()
        if to == "alice@example.net":
            assert body.startswith("Hello Alice,")  # the history greeted "Hello,"
            assert REASON in body and "Berlin conference" in body
            assert "don't worry" in body  # the way out
            assert '"Berlin conference"' not in body  # a topic in words, never a quoted subject
        else:
            assert msg["To"].addresses[0].display_name == "山田 太郎"
            assert body.startswith("山田さん")  # family name + さん, no mojibake
            assert "勉強会の資料" in body and "気にしないでください" in body
            assert "お気遣いなく" not in body and "つながれ" not in body
            assert "\ufffd" not in body


def test_second_run_writes_nothing_and_contacts_show_pending(
    drafting: Cli, dovecot: DevMail
) -> None:
    assert len(drafting.json("draft")) == 2
    assert drafting.json("draft") == []
    done = drafting("draft", "--to", "alice@example.net")
    assert done.returncode == 0 and "already pending" in done.stderr
    assert len(drafts_with_flags(dovecot)) == 2
    statuses = {c["email"]: c["status"] for c in drafting.json("contacts")}
    assert statuses["alice@example.net"] == "draft pending"


def test_dry_run_writes_nothing(drafting: Cli, dovecot: DevMail) -> None:
    shown = {d["email"]: d for d in drafting.json("draft", "--dry-run")}
    assert len(shown) == 2 and all("body" in d for d in shown.values())
    assert shown["alice@example.net"]["warnings"] == []  # Kizuna's own text raises nothing
    # The configured reason is English; the draft to 山田さん is Japanese: say so.
    assert [w for w in shown["taro@example.jp"]["warnings"] if "English" in w]
    text = drafting("draft", "--dry-run")
    assert "nothing was written" in text.stdout and "Subject:" in text.stdout
    assert drafts_with_flags(dovecot) == []
    assert len(drafting.json("draft")) == 2  # dry runs left no pending state behind


def test_limit_and_named_contacts(drafting: Cli, dovecot: DevMail) -> None:
    assert len(drafting.json("draft", "--limit", "1")) == 1
    done = drafting("draft", "--to", "nobody@example.org", "--to", "bank@bank.example", "--json")
    assert done.returncode == 0 and done.stdout.strip() == "[]"
    assert "not a contact" in done.stderr and "excluded" in done.stderr


def test_crash_between_append_and_state_write_yields_one_draft(
    drafting: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: Outreach, rid: str) -> None:
        raise SystemExit("simulated crash after APPEND")

    monkeypatch.setattr(Outreach, "_recorded", crash)
    with Kizuna(load_config(drafting.config)) as kizuna, pytest.raises(SystemExit):
        kizuna.draft(["alice@example.net"])
    monkeypatch.undo()
    again = drafting.json("draft", "--to", "alice@example.net")
    assert again == []  # the draft on the server was found again by X-Kizuna-Id


def test_deleted_draft_is_taken_as_a_no(drafting: Cli, dovecot: DevMail) -> None:
    drafting.json("draft", "--to", "alice@example.net")
    with dovecot.client() as client:
        client.select_folder("Drafts")
        client.delete_messages(client.search(["ALL"]))
        client.expunge()
    assert drafting.json("draft", "--to", "taro@example.jp")[0]["email"] == "taro@example.jp"
    assert drafting.json("draft") == []  # alice declined: not proposed again
    status = {c["email"]: c["status"] for c in drafting.json("contacts")}
    assert status["alice@example.net"].startswith("declined (no draft before ")


@pytest.mark.skipif(
    shutil.which("neomutt") is None or shutil.which("tmux") is None,
    reason="neomutt and tmux are installed by scripts/setup",
)
def test_neomutt_shows_the_japanese_draft(drafting: Cli, dovecot: DevMail, tmp_path: Path) -> None:
    drafting.json("draft", "--to", "taro@example.jp")
    muttrc = tmp_path / "muttrc"
    muttrc.write_text(
        f'set folder="imap://127.0.0.1:{dovecot.port}/"\n'
        f'set imap_user="{dovecot.user}"\nset imap_pass="{dovecot.password}"\n'
        'set spoolfile="=Drafts"\nset ssl_force_tls=no\nset ssl_starttls=no\nset imap_passive=no\nset charset="utf-8"\n'
        'set sort=date\nset pager_stop=yes\nset header_cache=""\nset message_cachedir=""\n'
    )
    session = f"kizuna-{dovecot.port}"
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color", "HOME": str(tmp_path)}
    envs = [f"-e{k}={v}" for k, v in env.items()]
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "160",
            "-y",
            "50",
            *envs,
            f"neomutt -n -F {muttrc}",
        ],
        check=True,
    )
    try:
        screen = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "お久しぶりです" not in screen:
            time.sleep(0.5)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
        assert "お久しぶりです" in screen, screen  # the subject in the index
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "山田さん" not in screen:
            time.sleep(0.5)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
        assert "山田さん" in screen and "お久しぶりです" in screen, screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def _send_with_new_message_id(
    server: DevMail, subject_suffix: str = "", date: str | None = None
) -> None:
    """What Gmail's web client or Outlook do: the sent copy gets a Message-ID of its own.

    ``date`` replaces the copy's Date field.
    """
    with server.client() as client:
        client.select_folder("Drafts")
        uids = client.search(["ALL"])
        raw = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        draft = email.message_from_bytes(raw, policy=email.policy.default)
        del draft["Message-ID"]
        draft["Message-ID"] = "<rewritten-by-the-client@mail.example>"
        subject = draft["Subject"] + subject_suffix
        del draft["Subject"]
        draft["Subject"] = subject
        if date is not None:
            del draft["Date"]
            draft["Date"] = date
        client.append("Sent", draft.as_bytes(policy=email.policy.SMTP), flags=(b"\\Seen",))
        client.delete_messages(uids)
        client.expunge()


@pytest.mark.parametrize(
    ("suffix", "date", "status"),
    [
        ("", None, "sent, awaiting reply"),
        (" (edited)", None, "declined (no draft before "),
        # same recipient and subject, but dated years before the draft was made: not it
        ("", "Mon, 01 Jun 2020 10:00:00 +0000", "declined (no draft before "),
    ],
    ids=["same-subject", "edited-subject", "dated-before-the-draft"],
)
def test_sent_is_recognised_by_recipient_and_subject(
    drafting: Cli, dovecot: DevMail, suffix: str, date: str | None, status: str
) -> None:
    drafting.json("draft", "--to", "alice@example.net")
    _send_with_new_message_id(dovecot, suffix, date)
    drafting.json("scan")
    drafting.json("draft", "--to", "taro@example.jp")  # reconciles the state with Drafts
    got = {c["email"]: c["status"] for c in drafting.json("contacts")}
    assert got["alice@example.net"].startswith(status)
