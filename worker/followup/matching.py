"""Which indexed message is the reply to a sent reconnection: the contract's rule, pure.

A reply is a non-automated message from that contact whose ``In-Reply-To`` or
``References`` names the sent message, or, failing those headers, any later
non-automated message from that contact (../shared/CONTRACT.md, "Mail that
Kizuna writes").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from worker.store.timecodec import decode_time

__all__ = ["MessageView", "SentReconnection", "match_reply", "find_reply"]


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split() if part.startswith("<"))


@dataclass(frozen=True)
class MessageView:
    """What reply matching needs of one indexed message (a ``messages`` row)."""

    row_id: int
    folder: str
    uid: int
    message_id: str | None
    sender: str | None
    time: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automated: str | None = None
    kizuna_kind: str | None = None
    subject: str = ""
    sender_name: str = ""

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> MessageView:
        when = decode_time(r["tkey"])
        assert when is not None
        return cls(
            row_id=int(r["id"]),
            folder=r["folder"],
            uid=int(r["uid"]),
            message_id=r["message_id"],
            sender=r["sender"],
            time=when,
            in_reply_to=r["in_reply_to"],
            references=_ids(r["refs"]),
            automated=r["automated"],
            kizuna_kind=r["kizuna_kind"],
            subject=r["subject"] or "",
            sender_name=r["sender_name"] or "",
        )


@dataclass(frozen=True)
class SentReconnection:
    """A reconnection the user sent: who to, which Message-IDs name it, and when."""

    id: str
    email: str
    message_ids: frozenset[str]  # the sent copy's and the draft's Message-ID
    sent_at: datetime
    language: str = "en"
    subject: str = ""


def match_reply(msg: MessageView, sent: SentReconnection) -> str | None:
    """How ``msg`` answers ``sent``: ``"headers"``, ``"later"``, or None (not a reply).

    The contract: a non-automated message from that contact whose
    In-Reply-To/References names the sent message, or, failing those headers,
    any later non-automated message from that contact. Kizuna's own mail
    (``X-Kizuna-Kind``) never counts.
    """
    if msg.automated is not None or msg.kizuna_kind:
        return None
    if (msg.sender or "").lower() != sent.email.lower():
        return None
    named = {msg.in_reply_to, *msg.references} - {None}
    if named & sent.message_ids:
        return "headers"
    if msg.time > sent.sent_at:
        return "later"
    return None


def find_reply(
    messages: Iterable[MessageView], sent: SentReconnection
) -> tuple[MessageView, str] | None:
    """The reply to ``sent`` among ``messages``: a header match first, else the earliest later one."""
    by_headers: list[MessageView] = []
    later: list[MessageView] = []
    for msg in messages:
        how = match_reply(msg, sent)
        if how == "headers":
            by_headers.append(msg)
        elif how == "later":
            later.append(msg)
    for found, how in ((by_headers, "headers"), (later, "later")):
        if found:
            return min(found, key=lambda m: (m.time, m.row_id)), how
    return None
