"""Past mail with one contact, read at draft time: targeted, few, read-only.

:func:`read_history` fetches the latest few messages each way with one
contact with ``BODY.PEEK`` (never marking anything read), capped at
:data:`MAX_BYTES` a message, from folders opened with EXAMINE. It never walks
a folder. Which messages: where the scan's index says they are (``known``:
folder, UIDVALIDITY and UIDs, see :meth:`worker.store.Store.latest_with`),
so the cost grows with the few messages read, not with the mailbox; where the
index cannot say (nothing known, or the folder's UIDVALIDITY changed since the
scan), ``UID SEARCH FROM``/``TO``/``CC`` in that folder asks the server.

The result is :class:`worker.words.history.PastMessage` objects for the pure
rules in :mod:`worker.words.history`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

import imapclient
from imapclient.exceptions import IMAPClientError

from worker.mail.imap import examined, fetch_item, server_text
from worker.mail.replyparse import Reply, parse_reply
from worker.words.history import Direction, PastMessage

__all__ = ["read_history", "read_histories", "MAX_BYTES", "PER_SIDE"]

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
    known: Mapping[str, tuple[int, Sequence[int]]] | None = None,
) -> list[PastMessage]:
    """The latest ``per_side`` messages each way with ``email``, oldest first.

    ``known`` maps a folder to ``(uidvalidity, uids)`` from the scan's index:
    those folders are read by UID alone. Without it (or where it is stale),
    each of ``folders`` is searched. ``me`` are the user's addresses: a
    message from one of them is the user's (``out``), one from the contact
    theirs (``in``). A folder the server refuses is skipped (logged). A
    message in several folders (a Message-ID seen twice) counts once.
    """
    email = email.strip().lower()
    return read_histories(client, folders, {email: known or {}}, me, per_side=per_side)[email]


def read_histories(
    client: imapclient.IMAPClient,
    folders: Iterable[str],
    known: Mapping[str, Mapping[str, tuple[int, Sequence[int]]]],
    me: Iterable[str],
    *,
    per_side: int = PER_SIDE,
) -> dict[str, list[PastMessage]]:
    """:func:`read_history` for several contacts at once: each folder opened once, one FETCH.

    ``known`` maps each contact's address to its ``folder -> (uidvalidity,
    uids)``; a contact with nothing known is searched for in every folder.
    """
    mine = {a.strip().lower() for a in me}
    everywhere = list(folders)
    plan: dict[str, dict[str, tuple[int, Sequence[int]]]] = {}
    for email, places in known.items():
        for folder, (uidvalidity, uids) in (places or {f: (0, ()) for f in everywhere}).items():
            plan.setdefault(folder, {})[email.strip().lower()] = (uidvalidity, uids)
    found: dict[str, dict[str, PastMessage]] = {e.strip().lower(): {} for e in known}
    for folder, wanted_by in plan.items():
        try:
            with examined(client, folder) as info:
                current = info.get(b"UIDVALIDITY")
                wanted: set[int] = set()
                for email, (uidvalidity, uids) in wanted_by.items():
                    if uids and uidvalidity == current:
                        wanted.update(uids)
                    else:
                        wanted.update(_searched(client, email, per_side))
                if not wanted:
                    continue
                fetched = client.fetch(sorted(wanted), [_SECTION])
        except IMAPClientError as exc:
            log.warning("history: folder %s skipped: %s", folder, server_text(exc))
            continue
        for _uid, data in fetched.items():
            raw = fetch_item(data, _ANSWER)
            if not isinstance(raw, bytes | bytearray):
                continue
            reply, recipients = _parsed(bytes(raw))
            for email in wanted_by:
                message = _past(reply, recipients, email, mine)
                if message is not None:
                    key = message.message_id or f"{message.date.isoformat()}|{message.subject}"
                    found[email].setdefault(key, message)
    result: dict[str, list[PastMessage]] = {}
    for email, messages in found.items():
        ordered = sorted(messages.values(), key=lambda m: m.date)
        outs = [m for m in ordered if m.direction is Direction.OUT][-per_side:]
        ins = [m for m in ordered if m.direction is Direction.IN][-per_side:]
        result[email] = sorted(outs + ins, key=lambda m: m.date)
    return result


def _searched(client: imapclient.IMAPClient, email: str, per_side: int) -> list[int]:
    """UIDs of the latest messages from and to ``email`` in the selected folder."""
    theirs = _latest(_search(client, ["FROM", email]), per_side)
    to_them = _search(client, ["OR", "TO", email, "CC", email])
    ours = _latest([u for u in to_them if u not in set(theirs)], per_side * 2)
    return sorted(set(theirs) | set(ours))


def _parsed(raw: bytes) -> tuple[Reply, set[str]]:
    """The message parsed once, and its To/Cc addresses (lower case)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    values = [str(v) for v in (headers.get_all("To") or []) + (headers.get_all("Cc") or [])]
    return parse_reply(raw), {a.lower() for _, a in getaddresses(values) if a}


def _past(reply: Reply, recipients: set[str], email: str, mine: set[str]) -> PastMessage | None:
    sender = reply.sender_email
    if sender == email:
        direction = Direction.IN
    elif sender in mine and email in recipients:
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
