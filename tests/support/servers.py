"""Dovecot, Courier or Cyrus by name, and what the cross-server tests do to a mailbox.

:func:`new_server` makes one of the three throwaway servers (not started),
skipping the test when it cannot run (failing on CI, see :mod:`.require`).
The helpers below read and change a mailbox as a mail client would, in the
server's own folder names (:meth:`mailbox`: ``"Sent"`` is ``INBOX.Sent`` on
Courier and Cyrus).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import sqlite3
from typing import Union

from .courier import CourierMail
from .cyrus import CyrusMail
from .dovecot import SPECIAL_FOLDERS, DevMail
from .factories import ME, Cli, message
from .imapserver import RealImapServer
from .require import need_courier, need_cyrus, need_dovecot

__all__ = [
    "KINDS",
    "MailServer",
    "new_server",
    "fetch_messages",
    "prompts",
    "send_like_a_client",
    "state_rows",
    "known_mailbox",
    "TARO",
]

#: every IMAP server the suite runs Kizuna against
KINDS = ("dovecot", "courier", "cyrus")

MailServer = Union[DevMail, RealImapServer]  # noqa: UP007 - a runtime alias


def new_server(kind: str, *, drafts: bool = True, debian_idle: bool = False) -> MailServer:
    """A fresh, unstarted server of ``kind`` (skips, or fails on CI, when it cannot run).

    ``drafts=False``: an account without a Drafts folder. ``debian_idle``:
    the server looks for new mail during IDLE only as often as Debian's
    defaults say (60 s on Courier and Cyrus) instead of the tests' 1-2 s.
    """
    if kind == "dovecot":
        need_dovecot()
        folders = {k: v for k, v in SPECIAL_FOLDERS.items() if drafts or k != "Drafts"}
        return DevMail(folders=folders)
    if kind == "courier":
        need_courier()
        courier = CourierMail(folders=None if drafts else ("Sent", "Trash"))
        if debian_idle:
            courier.idle_timeout = 60
        return courier
    if kind == "cyrus":
        need_cyrus()
        names = CyrusMail.server_folders
        cyrus = CyrusMail(folders=None if drafts else tuple(n for n in names if n != "Drafts"))
        if debian_idle:
            cyrus.idle_poll = 60
        return cyrus
    raise ValueError(f"unknown server kind {kind!r}: one of {', '.join(KINDS)}")


def fetch_messages(
    server: MailServer, folder: str, criteria: list[object] | None = None
) -> list[tuple[tuple[bytes, ...], email.message.EmailMessage]]:
    """(flags, message) of every message in ``folder`` matching ``criteria``, in UID order."""
    with server.client() as client:
        client.select_folder(server.mailbox(folder), readonly=True)  # type: ignore[attr-defined]
        uids = client.search(criteria or ["ALL"])  # type: ignore[attr-defined]
        fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}  # type: ignore[attr-defined]
    out = []
    for _, data in sorted(fetched.items()):
        # Courier and Cyrus answer BODY[] like Dovecot; the flags' case varies (\\Seen, \\seen)
        raw = next(v for k, v in data.items() if k.upper() == b"BODY[]")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append((tuple(data[b"FLAGS"]), message))
    return out


def prompts(
    server: MailServer, kind: str | None = None
) -> list[tuple[tuple[bytes, ...], email.message.EmailMessage]]:
    """Kizuna's reminder mails in INBOX (of one ``kind``, or all)."""
    return fetch_messages(server, "INBOX", ["HEADER", "X-Kizuna-Kind", kind or ""])


def send_like_a_client(server: MailServer, to: str | None = None) -> email.message.EmailMessage:
    """Send the one draft (to ``to``) as a mail client does: a copy in Sent, the draft expunged."""
    drafts, sent = server.mailbox("Drafts"), server.mailbox("Sent")
    with server.client() as client:
        client.select_folder(drafts)  # type: ignore[attr-defined]
        uids = client.search(["TO", to] if to else ["ALL"])  # type: ignore[attr-defined]
        assert len(uids) == 1, f"expected one draft{' to ' + to if to else ''}, found {len(uids)}"
        data = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]]  # type: ignore[attr-defined]
        raw = next(v for k, v in data.items() if k.upper() == b"BODY[]")
        client.append(sent, raw, flags=(b"\\Seen",))  # type: ignore[attr-defined]
        client.delete_messages(uids)  # type: ignore[attr-defined]
        client.expunge()  # type: ignore[attr-defined]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def state_rows(cli: Cli, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of a read-only query on the CLI's state (the daemon may be writing)."""
    db = sqlite3.connect(f"file:{cli.state}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


TARO = "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>"  # 山田 太郎


# The two of them wrote in Japanese: a draft to 山田さん is in Japanese.
JA_SENT = "山田さん\r\n\r\n勉強会の資料をお送りします。\r\nよろしくお願いします。\r\n"
JA_REPLY = "ありがとうございます。拝見します。\r\n"


def known_mailbox(server: MailServer) -> None:
    """A mailbox of known truth, filled over IMAP as a mail client would.

    Alice Smith (2016) and 山田 太郎 (2014, names and subject RFC 2047
    encoded): one message each way, both dormant contacts. A newsletter with
    a ``List-Id`` and my reply to it (automated: no contact), and a bank that
    wrote both ways (a contact; the tests exclude it by ``policy.exclude``).
    """
    mail = [
        ("Sent", ME[0], "Alice Smith <alice@example.net>", "Berlin conference",
         "Mon, 04 Jan 2016 10:00:00 +0000", {}),
        ("INBOX", "Alice Smith <alice@example.net>", ME[0], "Re: Berlin conference",
         "Tue, 05 Jan 2016 10:00:00 +0000", {}),
        ("Sent", ME[0], TARO, "=?UTF-8?B?5YuJ5by35Lya44Gu6LOH5paZ?=",
         "Mon, 04 Jan 2014 10:00:00 +0900", {}, JA_SENT),
        ("INBOX", TARO, ME[0], "=?UTF-8?B?UmU6IOWLieW8t+S8muOBruizh+aWmQ==?=",
         "Tue, 05 Jan 2014 10:00:00 +0900", {}, JA_REPLY),
        ("INBOX", "News <news@shop.example>", ME[0], "Sale",
         "Wed, 06 Jan 2016 10:00:00 +0000", {"List-Id": "<sale.shop.example>"}),
        ("Sent", ME[0], "news@shop.example", "unsubscribe",
         "Thu, 07 Jan 2016 10:00:00 +0000", {}),
        ("Sent", ME[0], "bank@bank.example", "q", "Mon, 04 Jan 2016 10:00:00 +0000", {}),
        ("INBOX", "bank@bank.example", ME[0], "a", "Tue, 05 Jan 2016 10:00:00 +0000", {}),
    ]  # fmt: skip
    for folder, frm, to, subject, date, headers, *body in mail:
        raw = message(
            frm, to, subject, date, headers=headers, **({"body": body[0]} if body else {})
        )
        server.append(folder, raw)
