"""Fixtures only: a real Dovecot per test, the CLI configured for it, SMTP, drafting, the API.

Integration tests need Dovecot (Debian package ``dovecot-imapd``). On CI
(``CI`` set) a missing Dovecot is a failure, never a silent skip. Harnesses and
factories live in :mod:`tests.support`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import REASON, Cli, sample_mailbox, write_config
from tests.support.require import need_dovecot
from tests.support.servers import KINDS, MailServer, new_server
from tests.support.smtp import SmtpServer, running_smtpd
from tests.support.web import Web, start_web

pytest_plugins = ["tests.support.markers"]


@pytest.fixture
def dovecot() -> Iterator[DevMail]:
    """A fresh Dovecot with Drafts, Sent, Junk, Trash and Archive (special-use)."""
    need_dovecot()
    server = DevMail()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(params=KINDS)
def imap_server(request: pytest.FixtureRequest) -> Iterator[MailServer]:
    """A fresh Dovecot, Courier or Cyrus, each with the folders a new account has there.

    Skipped where a server cannot run; on CI (``CI`` set) that is a failure.
    """
    server = new_server(request.param)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def cli(dovecot: DevMail, tmp_path: Path) -> Cli:
    """The CLI configured for the ``dovecot`` fixture, me = :data:`ME`."""
    return write_config(dovecot, tmp_path, api={"enabled": False})


@pytest.fixture
def smtpd() -> Iterator[SmtpServer]:
    """A recording aiosmtpd server with AUTH (see :mod:`tests.support.smtp`)."""
    with running_smtpd() as server:
        yield server


@pytest.fixture
def drafting(dovecot: DevMail, tmp_path: Path) -> Cli:
    sample_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        outreach={"reason": REASON},
        policy={"exclude": ["@bank.example"]},
        api={"enabled": False},
    )
    assert cli.json("scan")["contacts"] == 3
    return cli


@pytest.fixture
def web(dovecot: DevMail, tmp_path: Path) -> Iterator[Web]:
    cli, config, service = start_web(dovecot, tmp_path)
    try:
        yield Web(cli, config, service, service.token)
    finally:
        service.stop()
