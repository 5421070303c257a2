"""Reminder delivery over SMTP against a real aiosmtpd server (with AUTH, plain on loopback)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.dovecot import DevMail, free_port
from tests.support.factories import write_config
from tests.support.smtp import USER, SmtpServer, smtp_sections
from tests.support.web import queue_gift
from worker.config import load_config
from worker.core import Kizuna

# Plain SMTP with AUTH is what we test on loopback; aiosmtpd warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def kizuna(dovecot: DevMail, smtpd: SmtpServer, tmp_path: Path) -> Iterator[Kizuna]:
    cli = write_config(dovecot, tmp_path, **smtp_sections(smtpd.port))
    with Kizuna(load_config(cli.config)) as k:
        yield k


def test_smtp_delivery_to_my_first_address(
    kizuna: Kizuna, smtpd: SmtpServer, dovecot: DevMail
) -> None:
    rid = queue_gift(kizuna)
    report = kizuna.deliver_reminders()
    assert report.delivered == [rid] and report.failed == []
    (msg,) = smtpd.messages
    assert smtpd.envelopes == [("me@example.com", ["me@example.com"])]
    assert msg["X-Kizuna-Kind"] == "gift"
    assert msg["To"] == "me@example.com"
    assert msg["Message-ID"].startswith(f"<kizuna-reminder-{rid}.0.")
    assert "Alice Smith" in msg["Subject"]
    (reminder,) = kizuna.reminders()
    assert reminder.status == "delivered" and reminder.delivered_at is not None
    assert kizuna.deliver_reminders().delivered == []  # never twice
    assert len(smtpd.messages) == 1
    with dovecot.client() as client:  # no copy in Sent
        client.select_folder("Sent", readonly=True)
        assert client.search(["ALL"]) == []


def test_refused_login_keeps_it_pending_then_retries(
    kizuna: Kizuna, smtpd: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    rid = queue_gift(kizuna)
    smtpd.accept_login = False
    with caplog.at_level(logging.ERROR, logger="worker.followup.delivery"):
        report = kizuna.deliver_reminders()
        kizuna.deliver_reminders()
    assert report.delivered == [] and len(report.failed) == 1
    error = report.failed[0][1]
    assert f"SMTP login refused for {USER} at 127.0.0.1:{smtpd.port}: 535" in error
    assert "event=reminder_delivery_failed" in caplog.text and "login refused" in caplog.text
    (reminder,) = kizuna.reminders()
    assert (reminder.status, reminder.attempts) == ("pending", 2)
    assert reminder.last_error == error
    assert smtpd.messages == [] and smtpd.logins >= 2

    smtpd.accept_login = True  # the user fixed the password
    assert kizuna.deliver_reminders().delivered == [rid]
    (reminder,) = kizuna.reminders()
    assert reminder.status == "delivered" and reminder.last_error is None
    assert len(smtpd.messages) == 1
    assert smtpd.messages[0]["X-Kizuna-Kind"] == "gift"


def test_unreachable_smtp_server_is_a_clear_error(kizuna: Kizuna, smtpd: SmtpServer) -> None:
    queue_gift(kizuna)
    smtp = kizuna.config.smtp
    assert smtp is not None
    kizuna.config = msgspec.structs.replace(
        kizuna.config, smtp=msgspec.structs.replace(smtp, port=free_port())
    )
    report = kizuna.deliver_reminders()
    assert "cannot reach SMTP server 127.0.0.1:" in report.failed[0][1]
    assert kizuna.reminders()[0].status == "pending"


@dataclass
class XOAuth2Server(SmtpServer):
    """Accepts only XOAUTH2 with the expected bearer token (RFC 7628 style initial response)."""

    tokens: list[str] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: object, args: list[str]) -> AuthResult:
        import base64

        raw = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(part.split("=", 1) for part in raw.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.tokens.append(token)
        return AuthResult(
            success=fields.get("user") == USER and token == "fresh-token-42", handled=False
        )


def test_smtp_xoauth2_with_a_token_command(dovecot: DevMail, tmp_path: Path) -> None:
    import sys

    server = XOAuth2Server(port=free_port())
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        auth_require_tls=False,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN", "PLAIN"],
    )
    controller.start()
    try:
        command = f"{sys.executable} -c \"print('fresh-token-42')\""
        cli = write_config(
            dovecot,
            tmp_path,
            **smtp_sections(server.port, password=None, oauth2_token_cmd=command),
        )
        with Kizuna(load_config(cli.config)) as kizuna:
            rid = queue_gift(kizuna)
            report = kizuna.deliver_reminders()
            assert report.delivered == [rid], report
        assert server.tokens == ["fresh-token-42"]
        assert len(server.messages) == 1
    finally:
        controller.stop()
