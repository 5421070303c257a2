"""Past mail with one contact, read at draft time: targeted, few, read-only.

:func:`read_history` looks in each scanned folder with ``UID SEARCH`` for
messages from the contact (``FROM``) and to them (``TO``/``CC``), keeps the
latest few of each direction, and fetches only those with ``BODY.PEEK``
(never marking anything read), capped at :data:`MAX_BYTES` a message. Folders
are opened with EXAMINE. It never walks a folder: the server's index answers
the searches, so the cost grows with the contact's messages, not the mailbox.

The result is :class:`worker.words.history.PastMessage` objects for the pure
rules in :mod:`worker.words.history`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import imapclient
from imapclient.exceptions import IMAPClientError

from worker.mail.imap import examined, fetch_item, server_text
from worker.mail.replyparse import parse_reply
from worker.words.history import Direction, PastMessage

__all__ = ["read_history", "MAX_BYTES", "PER_SIDE"]

log = logging.getLogger(__name__)

#: Bytes fetched of one message: the text part comes first in nearly all mail;
#: attachments after it are not needed.
MAX_BYTES = 65536
#: Messages kept each way (the user's and the contact's).
PER_SIDE = 4

_SECTION = f"BODY.PEEK[]<0.{MAX_BYTES}>"
_ANSWER = b"BODY[]<0>"


def _search(client: imapclient.IMAPClient, criteria: list[object]) -> list[int]:
    return sorted(int(uid) for uid in client.search(criteria))


def _latest(uids: Sequence[int], n: int) -> list[int]:
    # UIDs grow with arrival: the highest are the latest in this folder.
    return list(uids[-n:]) if n > 0 else []


def read_history(
    client: imapclient.IMAPClient,
    folders: Iterable[str],
    email: str,
    me: Iterable[str],
    *,
    per_side: int = PER_SIDE,
) -> list[PastMessage]:
    """The latest ``per_side`` messages each way with ``email``, across ``folders``, oldest first.

    ``me`` are the user's addresses: a message from one of them to the
    contact is the user's (``out``); a message from the contact is theirs
    (``in``). A folder the server refuses is skipped (logged). A message in
    several folders (a Message-ID seen twice) counts once.
    """
    email = email.strip().lower()
    mine = {a.strip().lower() for a in me}
    found: dict[str, PastMessage] = {}
    for folder in folders:
        try:
            with examined(client, folder):
                theirs = _latest(_search(client, ["FROM", email]), per_side)
                to_them = _search(client, ["OR", "TO", email, "CC", email])
                ours = _latest([u for u in to_them if u not in set(theirs)], per_side * 2)
                wanted = sorted(set(theirs) | set(ours))
                if not wanted:
                    continue
                fetched = client.fetch(wanted, [_SECTION])
        except IMAPClientError as exc:
            log.warning("history: folder %s skipped: %s", folder, server_text(exc))
            continue
        for _uid, data in fetched.items():
            raw = fetch_item(data, _ANSWER)
            if not isinstance(raw, bytes | bytearray):
                continue
            message = _past(bytes(raw), email, mine)
            if message is None:
                continue
            key = message.message_id or f"{message.date.isoformat()}|{message.subject}"
            found.setdefault(key, message)
    ordered = sorted(found.values(), key=lambda m: m.date)
    outs = [m for m in ordered if m.direction is Direction.OUT][-per_side:]
    ins = [m for m in ordered if m.direction is Direction.IN][-per_side:]
    return sorted(outs + ins, key=lambda m: m.date)


def _past(raw: bytes, email: str, mine: set[str]) -> PastMessage | None:
    reply = parse_reply(raw)
    sender = reply.sender_email
    if sender == email:
        direction = Direction.IN
    elif sender in mine:
        direction = Direction.OUT
    else:
        return None  # someone else wrote to them, or a list copy: not the two of you
    return PastMessage(
        direction=direction,
        date=reply.date or datetime.min.replace(tzinfo=UTC),
        subject=reply.subject,
        body=reply.text,
        from_name=reply.sender_name,
        message_id=reply.message_id,
        in_reply_to=reply.in_reply_to,
        references=reply.references,
    )
