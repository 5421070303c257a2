"""Kizuna against Courier-IMAP and Cyrus IMAP, the two real servers beside Dovecot (issue 17).

Each test starts the server from nothing on a free loopback port (see
:mod:`tests.support.courier` and :mod:`tests.support.cyrus`), fills it over
IMAP as a mail client would, and runs Kizuna's CLI against it.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.courier import CourierMail
from tests.support.cyrus import CyrusMail
from tests.support.factories import ME, REASON, Cli, message
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


def test_scan_and_contacts_are_exact(server: RealImapServer, tmp_path: Path) -> None:
    fill(server)
    cli = cli_for(server, tmp_path)
    scanned = cli.json("scan")
    # INBOX and Sent, plus Archive where the server made one; never Drafts, Junk or Trash
    folders = 3 if isinstance(server, CyrusMail) else 2
    assert scanned == {"folders": folders, "messages": 6, "new_messages": 6, "contacts": 2}
    contacts = cli.json("contacts")
    assert isinstance(contacts, list)
    got = [
        (
            c["email"],
            c["name"],
            c["last_contact"],
            c["last_sent"],
            c["last_received"],
            c["sent_count"],
            c["received_count"],
        )
        for c in contacts
    ]
    assert got == [
        (
            "taro@example.jp",
            "山田 太郎",
            "2014-01-05T10:00:00+09:00",
            "2014-01-04T10:00:00+09:00",
            "2014-01-05T10:00:00+09:00",
            1,
            1,
        ),
        (
            "alice@example.net",
            "Alice Smith",
            "2016-01-05T10:00:00+00:00",
            "2016-01-04T10:00:00+00:00",
            "2016-01-05T10:00:00+00:00",
            1,
            1,
        ),
    ]
    # incremental: one more message, one new
    server.append(
        "INBOX",
        message(
            "Alice Smith <alice@example.net>",
            "me@example.com",
            "Again",
            "Fri, 08 Jan 2016 10:00:00 +0000",
        ),
    )
    again = cli.json("scan")
    assert isinstance(again, dict)
    assert (again["messages"], again["new_messages"]) == (7, 1)


def test_draft_twice_writes_one_draft_per_contact(server: RealImapServer, tmp_path: Path) -> None:
    fill(server)
    cli = cli_for(server, tmp_path, outreach={"reason": REASON})
    cli.json("scan")
    first = cli("draft", "--json")
    assert first.returncode == 0, first.stderr
    second = cli("draft", "--json")
    assert second.returncode == 0, second.stderr
    with server.client() as client:
        client.select_folder(server.mailbox("Drafts"), readonly=True)  # type: ignore[attr-defined]
        fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])  # type: ignore[attr-defined]
    drafts = [
        email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default)
        for d in fetched.values()
    ]
    assert sorted(str(d["To"]) for d in drafts) == [
        "Alice Smith <alice@example.net>",
        "山田 太郎 <taro@example.jp>",
    ]


@pytest.mark.parametrize("kind", ["courier", "cyrus"])
def test_draft_creates_drafts_under_the_namespace(kind: str, tmp_path: Path) -> None:
    """An account without a Drafts folder: Kizuna makes INBOX.Drafts (flagged where it can)."""
    if kind == "courier":
        need_courier()
        server: RealImapServer = CourierMail(folders=("Sent",))
    else:
        need_cyrus()
        server = CyrusMail(folders=("Sent",))
    server.start()
    try:
        fill(server)
        cli = cli_for(server, tmp_path, outreach={"reason": REASON})
        cli.json("scan")
        done = cli("draft", "--json")
        assert done.returncode == 0, done.stderr
        with server.client() as client:
            listing = {name: flags for flags, _sep, name in client.list_folders()}  # type: ignore[attr-defined]
            client.select_folder("INBOX.Drafts", readonly=True)  # type: ignore[attr-defined]
            assert len(client.search(["ALL"])) == 2  # type: ignore[attr-defined]
        assert "Drafts" not in listing
        if kind == "cyrus":  # CREATE-SPECIAL-USE
            assert b"\\Drafts" in {f.title() for f in listing["INBOX.Drafts"]}
    finally:
        server.cleanup()
