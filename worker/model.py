"""Value objects shared across Kizuna's modules.

Plain frozen dataclasses (and one named tuple, :class:`MessageFacts`, made
once per scanned message), timezone-aware datetimes (each keeps the offset it
was written with), and a ``to_json`` where the object crosses the CLI or the
local API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

__all__ = ["Address", "MessageFacts", "Contact", "SocialSource", "iso"]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value is not None else None


class SocialSource(StrEnum):
    """A social export Kizuna reads; also the word in ``kizuna import <source>``.

    Here, below both, so the readers (:mod:`worker.social`, which calls it
    ``Source``) and the state (:mod:`worker.store.social`) share one type.
    """

    LINKEDIN = "linkedin"
    FACEBOOK = "facebook"


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox address: ``email`` is lower case, ``name`` decoded (may be empty)."""

    email: str
    name: str = ""


class MessageFacts(NamedTuple):
    """What the contact rules and reply matching need to know of one message.

    Built from the message's header fields alone (see :mod:`worker.mail.rules`).
    A named tuple rather than a dataclass: a scan makes one per message, and
    a tuple is made in one step.
    """

    message_id: str | None
    date: datetime
    sender: Address | None
    recipients: tuple[Address, ...]  # To + Cc + Bcc, in that order, duplicates kept out
    subject: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automated: str | None = None  # the reason it is automated, or None for personal mail
    recipient_count: int = 0  # distinct recipient addresses (To+Cc+Bcc), for the recipients cap
    kizuna_id: str | None = None  # X-Kizuna-Id when Kizuna wrote it
    kizuna_kind: str | None = None  # X-Kizuna-Kind when Kizuna wrote it


@dataclass(frozen=True, slots=True)
class Contact:
    """One entry of the contact index (an address with qualifying mail both ways)."""

    email: str
    name: str
    first_contact: datetime | None
    last_contact: datetime | None
    last_sent: datetime | None
    last_received: datetime | None
    sent_count: int
    received_count: int
    last_subject: str = ""
    thread_count: int = 0
    japanese: bool = False  # the name or past subjects are Japanese
    dormant: bool = False
    excluded: bool = False
    status: str = ""  # e.g. "draft pending", "draft declined until 2027-05-01"
    organization: str | None = None  # where they work, as a social export says
    position: str | None = None
    sources: tuple[str, ...] = ("mail",)  # "mail" first, then "linkedin", "facebook"

    def to_json(self) -> dict[str, object]:
        """The contract's JSON object for ``kizuna contacts --json``."""
        return {
            "email": self.email,
            "name": self.name,
            "last_contact": iso(self.last_contact),
            "last_sent": iso(self.last_sent),
            "last_received": iso(self.last_received),
            "sent_count": self.sent_count,
            "received_count": self.received_count,
            "first_contact": iso(self.first_contact),
            "last_subject": self.last_subject,
            "thread_count": self.thread_count,
            "dormant": self.dormant,
            "status": self.status,
            "organization": self.organization,
            "position": self.position,
            "sources": list(self.sources),
        }
