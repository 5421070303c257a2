"""A recording aiosmtpd server whose login can be switched off."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .dovecot import free_port

USER, PASSWORD = "me@example.com", "smtp-secret"


def smtp_sections(port: int, **smtp: object) -> dict[str, dict[str, object]]:
    """Config sections for reminder delivery to an SMTP test server on loopback.

    ``smtp`` adds or overrides keys of ``[smtp]`` (``password`` is :data:`PASSWORD`
    unless given, None leaves it out).
    """
    section: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "timeout": 10,
        **smtp,
    }
    return {
        "api": {"enabled": False},
        "reminders": {"delivery": "smtp"},
        "smtp": {k: v for k, v in section.items() if v is not None},
    }


@dataclass
class SmtpServer:
    """A recording aiosmtpd handler whose login can be switched off."""

    port: int = 0
    accept_login: bool = True
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: int = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        self.messages.append(
            email.message_from_bytes(
                envelope.content,  # type: ignore[attr-defined]
                policy=email.policy.default,
            )
        )
        return "250 OK"

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        self.logins += 1
        ok = (
            self.accept_login
            and isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)


@contextmanager
def running_smtpd() -> Iterator[SmtpServer]:
    """A started :class:`SmtpServer` on a free loopback port, with AUTH required."""
    server = SmtpServer(port=free_port())
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
