"""Build the mail Kizuna writes: drafts (reconnection, thank-you).

UTF-8, quoted-printable text (every client can edit it), a fresh Message-ID,
``From: display_name <first address>`` and ``X-Kizuna-Id`` naming the
reconnection (``../shared/CONTRACT.md``, "Mail that Kizuna writes").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

__all__ = ["build_draft", "domain_of"]


def domain_of(address: str) -> str:
    """The domain for a Message-ID made for ``address`` (odd characters dropped)."""
    _, at, domain = address.rpartition("@")
    return re.sub(r"[^A-Za-z0-9.-]", "", domain if at else "") or "kizuna.invalid"


def _address(name: str, email: str) -> HeaderAddress:
    local, _, domain = email.partition("@")
    return HeaderAddress(display_name=name or "", username=local, domain=domain)


def build_draft(
    *,
    from_name: str,
    from_addr: str,
    to_name: str,
    to_addr: str,
    subject: str,
    body: str,
    kizuna_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A draft ready to APPEND (serialise with ``bytes(msg)``; CRLF line ends).

    ``message_id`` None makes a fresh one.
    """
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(from_name, from_addr)
    msg["To"] = _address(to_name, to_addr)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=domain_of(from_addr))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*[r for r in references if r != in_reply_to], in_reply_to])
    msg["X-Kizuna-Id"] = kizuna_id
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    return msg
