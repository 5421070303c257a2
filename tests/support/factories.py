"""Factories: raw messages, sample mailboxes, Kizuna configs and the CLI runner."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .dovecot import DevMail

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
REASON = "I am moving into product design and would love your view on it."


def message(
    frm: str,
    to: str | list[str] = "",
    subject: str = "hello",
    date: datetime | str | None = None,
    *,
    cc: str = "",
    bcc: str = "",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    body: str = "Hello,\r\n\r\nJust a note.\r\n",
) -> bytes:
    """A raw RFC 5322 message (CRLF) for tests; ``message_id=""`` leaves the Message-ID out."""
    lines = [f"From: {frm}"]
    if to:
        lines.append(f"To: {', '.join(to) if isinstance(to, list) else to}")
    if cc:
        lines.append(f"Cc: {cc}")
    if bcc:
        lines.append(f"Bcc: {bcc}")
    lines.append(f"Subject: {subject}")
    if date is not None:
        lines.append(f"Date: {date if isinstance(date, str) else format_datetime(date)}")
    if message_id != "":
        lines.append(f"Message-ID: {message_id or make_msgid(domain='test.example')}")
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    lines.append("MIME-Version: 1.0")
    lines.append("Content-Type: text/plain; charset=utf-8")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


@dataclass
class Cli:
    """Runs ``python -m worker --config <config> ...`` as a user would."""

    config: Path
    state: Path

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )

    def json(self, *args: str) -> object:
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


ME = ["me@example.com", "me@old-job.example"]


def alice_mailbox(server: DevMail) -> None:
    """Alice Smith: one exchange each way in January 2016 (a dormant contact)."""
    w = server.write_maildir
    w(
        "Sent",
        message(
            "me@example.com",
            "Alice Smith <alice@example.net>",
            "Berlin conference",
            "Mon, 04 Jan 2016 10:00:00 +0000",
        ),
    )
    w(
        "INBOX",
        message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Re: Berlin conference",
            "Tue, 05 Jan 2016 10:00:00 +0000",
        ),
    )
    server.fix_ownership()


def sample_mailbox(server: DevMail) -> None:
    """Alice (2016), 山田 太郎 (2014, Japanese) and a bank (for policy.exclude): all dormant."""
    alice_mailbox(server)
    w = server.write_maildir
    w(
        "Sent",
        message(
            "me@example.com",
            "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>",
            "=?UTF-8?B?5YuJ5by35Lya44Gu6LOH5paZ?=",
            "Mon, 04 Jan 2014 10:00:00 +0900",
            body="山田さん\r\n\r\n勉強会の資料をお送りします。\r\nよろしくお願いします。\r\n",
        ),
    )
    w(
        "INBOX",
        message(
            "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>",
            "me@example.com",
            "=?UTF-8?B?UmU6IOWLieW8t+S8muOBruizh+aWmQ==?=",
            "Tue, 05 Jan 2014 10:00:00 +0900",
            body="ありがとうございます。拝見します。\r\n",
        ),
    )
    w(
        "Sent",
        message("me@example.com", "bank@bank.example", "q", "Mon, 04 Jan 2016 10:00:00 +0000"),
    )
    w(
        "INBOX",
        message("bank@bank.example", "me@example.com", "a", "Tue, 05 Jan 2016 10:00:00 +0000"),
    )
    server.fix_ownership()


def write_config(
    dovecot: DevMail,
    tmp_path: Path,
    addresses: list[str] | None = None,
    account: dict[str, object | None] | None = None,
    **sections: dict[str, object],
) -> Cli:
    """A config for ``dovecot`` in ``tmp_path`` (``account`` overrides [account] keys)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    state = tmp_path / "state" / "state.db"
    config = tmp_path / "config.toml"
    config.write_text(dovecot.kizuna_config(state, addresses or ME, account=account, **sections))
    return Cli(config, state)


def drafts_with_flags(
    server: DevMail,
) -> list[tuple[tuple[bytes, ...], email.message.EmailMessage]]:
    with server.client() as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
    return [
        (tuple(d[b"FLAGS"]), email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default))
        for _, d in sorted(fetched.items())
    ]


def drafts_on_server(server: DevMail) -> list[email.message.EmailMessage]:
    with server.client() as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
    return [
        email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default)
        for _, d in sorted(fetched.items())
    ]
