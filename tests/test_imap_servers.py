"""What Courier-IMAP and Cyrus IMAP report of themselves, as the harnesses start them.

Each test starts the server from nothing on a free loopback port (see
:mod:`tests.support.courier` and :mod:`tests.support.cyrus`). Kizuna's flows
on all three servers (scan, draft, the daemon) are in ``test_servers_e2e.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.courier import CourierMail
from tests.support.cyrus import CyrusMail
from tests.support.factories import ME, Cli, message
from tests.support.imapserver import RealImapServer
from tests.support.require import need_courier, need_cyrus

pytestmark = pytest.mark.dovecot  # "needs a real IMAP server"

TARO = "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>"  # 山田 太郎


@pytest.fixture(params=["courier", "cyrus"])
def server(request: pytest.FixtureRequest) -> Iterator[RealImapServer]:
    """A fresh Courier or Cyrus with the folders a new account has there."""
    if request.param == "courier":
        need_courier()
        instance: RealImapServer = CourierMail()
    else:
        need_cyrus()
        instance = CyrusMail()
    instance.start()
    try:
        yield instance
    finally:
        instance.cleanup()


def cli_for(server: RealImapServer, tmp_path: Path, **sections: dict[str, object]) -> Cli:
    state = tmp_path / "state" / "state.db"
    config = tmp_path / "config.toml"
    config.write_text(server.kizuna_config(state, ME, api={"enabled": False}, **sections))
    return Cli(config, state)


def fill(server: RealImapServer) -> None:
    """Alice (2016) and 山田 太郎 (2014), one message each way; a newsletter; a bank."""
    server.append(
        "Sent",
        message(
            "me@example.com",
            "Alice Smith <alice@example.net>",
            "Berlin conference",
            "Mon, 04 Jan 2016 10:00:00 +0000",
        ),
    )
    server.append(
        "INBOX",
        message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Re: Berlin conference",
            "Tue, 05 Jan 2016 10:00:00 +0000",
        ),
    )
    server.append(
        "Sent",
        message(
            "me@example.com",
            TARO,
            "=?UTF-8?B?5YuJ5by35Lya44Gu6LOH5paZ?=",
            "Mon, 04 Jan 2014 10:00:00 +0900",
        ),
    )
    server.append(
        "INBOX",
        message(
            TARO,
            "me@example.com",
            "=?UTF-8?B?UmU6IOWLieW8t+S8muOBruizh+aWmQ==?=",
            "Tue, 05 Jan 2014 10:00:00 +0900",
        ),
    )
    server.append(
        "INBOX",
        message(
            "News <news@shop.example>",
            "me@example.com",
            "Sale",
            "Wed, 06 Jan 2016 10:00:00 +0000",
            headers={"List-Id": "<sale.shop.example>"},
        ),
    )
    server.append(
        "Sent",
        message(
            "me@example.com", "news@shop.example", "unsubscribe", "Thu, 07 Jan 2016 10:00:00 +0000"
        ),
    )


def test_the_server_reports_its_own_namespace_and_folders(server: RealImapServer) -> None:
    """What Kizuna has to cope with, as each server says it (the facts issue 17 reports)."""
    with server.client() as client:
        personal = client.namespace().personal  # type: ignore[attr-defined]
        listing = {name: {f.lower() for f in flags} for flags, _sep, name in client.list_folders()}  # type: ignore[attr-defined]
        separators = {sep for _flags, sep, _name in client.list_folders()}  # type: ignore[attr-defined]
        caps = set(client.capabilities())  # type: ignore[attr-defined]
    assert personal[0] == ("INBOX.", ".")
    assert separators == {b"."}
    if isinstance(server, CourierMail):
        assert set(listing) == {"INBOX", "INBOX.Drafts", "INBOX.Sent", "INBOX.Trash"}
        assert not any(flags & {b"\\drafts", b"\\sent", b"\\trash"} for flags in listing.values())
        assert caps >= {b"IDLE", b"UIDPLUS", b"NAMESPACE", b"ENABLE"}
        assert not caps & {b"SPECIAL-USE", b"UNSELECT", b"CONDSTORE", b"MOVE", b"LITERAL+", b"ID"}
    else:
        special = {
            name: flags & {b"\\drafts", b"\\sent", b"\\trash", b"\\junk", b"\\archive"}
            for name, flags in listing.items()
        }
        assert special == {
            "INBOX": set(),
            "INBOX.Drafts": {b"\\drafts"},
            "INBOX.Sent": {b"\\sent"},
            "INBOX.Trash": {b"\\trash"},
            "INBOX.Junk": {b"\\junk"},
            "INBOX.Archive": {b"\\archive"},
        }
        assert caps >= {
            b"IDLE",
            b"UNSELECT",
            b"CONDSTORE",
            b"SPECIAL-USE",
            b"CREATE-SPECIAL-USE",
            b"MOVE",
        }
