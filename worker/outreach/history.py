"""A contact's shared history: read from the mailbox once, kept, read again on new mail.

At draft time (and for ``kizuna contact EMAIL``), :class:`Histories` gives
the :class:`~worker.words.history.HistoryFacts` of one contact. The first
time, it reads the last few messages each way from the server
(:func:`worker.mail.history.read_history`: UID SEARCH, BODY.PEEK, read-only)
and keeps short excerpts of them in the contact's note
(:mod:`worker.store.notes`). Later it uses the kept excerpts, until the
contact index says there is new mail with them: the note remembers the index's
``last_contact`` and message counts when it was read (:func:`history_key`),
and a different key means read again.

The facts are computed from the excerpts each time (pure and fast), so better
rules apply to histories read before them.

Excerpts keep what the rules read and little more: each message's direction,
date, subject, sender name and ids, the first lines of the writer's own
text (greeting, language) and the first lines of the signature
(organization); no quoted text, no attachment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import imapclient

from worker.mail.history import PER_SIDE, read_histories
from worker.model import Contact
from worker.store import Store
from worker.store.notes import ContactNote
from worker.words.history import Direction, HistoryFacts, PastMessage, history_facts
from worker.words.register import split_body

__all__ = ["Histories", "history_key", "excerpt", "from_excerpt", "history_json"]

_TEXT_LINES = 12
_SIGNATURE_LINES = 8


def history_key(contact: Contact) -> str:
    """What the contact index says now; a change means new mail with the contact."""
    last = contact.last_contact.isoformat() if contact.last_contact else "-"
    return f"{last}|{contact.sent_count}|{contact.received_count}"


def excerpt(message: PastMessage) -> dict[str, Any]:
    """The part of a past message that is kept (see the module docstring)."""
    parts = split_body(message.body)
    text = "\n".join(parts.text.split("\n")[:_TEXT_LINES])
    signature = "\n".join(parts.signature.split("\n")[:_SIGNATURE_LINES])
    body = f"{text}\n-- \n{signature}" if signature else text
    return {
        "direction": message.direction.value,
        "date": message.date.isoformat(),
        "subject": message.subject,
        "from_name": message.from_name,
        "message_id": message.message_id,
        "in_reply_to": message.in_reply_to,
        "references": list(message.references),
        "body": body,
    }


def from_excerpt(data: dict[str, Any]) -> PastMessage:
    """The :class:`PastMessage` an excerpt stands for."""
    return PastMessage(
        direction=Direction(data["direction"]),
        date=datetime.fromisoformat(data["date"]),
        subject=str(data.get("subject") or ""),
        body=str(data.get("body") or ""),
        from_name=str(data.get("from_name") or ""),
        message_id=data.get("message_id"),
        in_reply_to=data.get("in_reply_to"),
        references=tuple(data.get("references") or ()),
    )


def _messages(note: ContactNote) -> list[PastMessage] | None:
    if note.history is None:
        return None
    try:
        return [from_excerpt(m) for m in note.history.get("messages", [])]
    except (KeyError, TypeError, ValueError):
        return None  # a damaged or older shape: read again


def history_json(note: ContactNote, contact: Contact) -> dict[str, object] | None:
    """The ``history`` object of ``kizuna contact EMAIL --json``, or None when never read.

    :meth:`HistoryFacts.to_json` (keys documented in :mod:`worker.words.history`)
    plus ``read_at`` (when the mailbox was read, ISO 8601), ``read_because``
    (``"first"``: never read before; ``"new-mail"``: the contact index changed)
    and ``current`` (false when new mail arrived since: the next draft reads again).
    """
    messages = _messages(note)
    if messages is None:
        return None
    doc = history_facts(messages, email=contact.email, name=contact.name).to_json()
    doc["read_at"] = note.history_at.isoformat() if note.history_at else None
    doc["read_because"] = note.history_why
    doc["current"] = note.history_key == history_key(contact)
    return doc


class Histories:
    """The shared histories of contacts, kept in the state and read from the server when stale."""

    def __init__(self, store: Store, me: frozenset[str]) -> None:
        self.store = store
        self.me = me

    def current(self, contact: Contact) -> bool:
        """Whether a history was read since the contact's mail last changed (no parsing)."""
        note = self.store.notes.get(contact.email)
        return note.history is not None and note.history_key == history_key(contact)

    def kept(self, contact: Contact) -> tuple[HistoryFacts | None, bool]:
        """The kept facts (None when never read) and whether they are current."""
        note = self.store.notes.get(contact.email)
        messages = _messages(note)
        if messages is None:
            return None, False
        facts = history_facts(messages, email=contact.email, name=contact.name)
        return facts, note.history_key == history_key(contact)

    def prefetch(
        self,
        contacts: list[Contact],
        client: Callable[[], imapclient.IMAPClient],
        now: datetime,
    ) -> None:
        """Read every stale history among ``contacts`` in one pass (each folder opened once)."""
        stale = [c for c in contacts if not self.current(c)]
        if not stale:
            return
        known: dict[str, dict[str, tuple[int, list[int]]]] = {}
        for contact in stale:
            places: dict[str, tuple[int, list[int]]] = {}
            for folder, uid, uidvalidity, _mine in self.store.latest_with(
                contact.email, self.me, PER_SIDE
            ):
                places.setdefault(folder, (uidvalidity, []))[1].append(uid)
            known[contact.email] = places
        read = read_histories(client(), self.store.known_folders(), known, self.me)
        for contact in stale:
            self._keep(contact, read.get(contact.email, []), now)

    def _keep(self, contact: Contact, read: list[PastMessage], now: datetime) -> None:
        # Only the excerpts are kept, and every draft learns from them (fresh or
        # kept): one answer whichever way the facts came.
        self.store.notes.save_history(
            contact.email,
            {"messages": [excerpt(m) for m in read]},
            key=history_key(contact),
            why="first" if self.store.notes.get(contact.email).history is None else "new-mail",
            now=now,
        )

    def facts(
        self,
        contact: Contact,
        client: Callable[[], imapclient.IMAPClient] | None,
        now: datetime,
    ) -> HistoryFacts:
        """The facts of ``contact``'s history: kept when current, else read from the server.

        ``client`` opens (or hands back) a logged-in connection; it is called
        only when the mailbox must be read. Without one (no server at hand) the
        kept facts serve even when stale, and the index's header facts when
        none were ever read.
        """
        kept, current = self.kept(contact)
        if kept is not None and (current or client is None):
            return kept
        if client is None:
            return history_facts([], email=contact.email, name=contact.name)
        self.prefetch([contact], client, now)
        kept, _ = self.kept(contact)
        return kept or history_facts([], email=contact.email, name=contact.name)
