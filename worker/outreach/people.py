"""One contact as ``kizuna contact EMAIL`` and ``GET /api/contacts/<email>`` show it.

The contact object of ``kizuna contacts --json``, plus:

``reason``   the standing reason for writing to them (string), or null
``never``    true when the user said never to propose them
``history``  what past mail says of the two of you, or null when it was never
             read (:func:`worker.outreach.history.history_json`; keys documented
             in :mod:`worker.words.history`, plus ``read_at``, ``read_because``
             and ``current``)
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import imapclient

from worker.config import Config
from worker.mail.imap import ImapOpener
from worker.outreach.contacts import contact_index
from worker.outreach.history import Histories, history_json
from worker.store import Store

__all__ = ["contact_document"]


def contact_document(
    config: Config,
    store: Store,
    imap: ImapOpener | None,
    email: str,
    *,
    reason: str | None = None,
    never: bool | None = None,
    read_history: bool = True,
    now: datetime | None = None,
) -> dict[str, object] | None:
    """The contact's object with ``reason``, ``never`` and ``history``; None when not a contact.

    ``reason`` (``""`` clears) and ``never`` are stored first. With
    ``read_history`` and an ``imap`` opener, a missing or stale history is
    read from the server (read-only) before it is shown.
    """
    now = now or datetime.now(UTC)
    email = email.strip().lower()
    index = {c.email: c for c in contact_index(config, store, now=now, emails=[email])}
    contact = index.get(email)
    if contact is None:
        return None
    if reason is not None:
        store.notes.set_reason(email, reason, now=now)
    if never is not None:
        store.notes.set_never(email, never, now=now)
        contact = contact_index(config, store, now=now, emails=[email])[0]
    if read_history and imap is not None:
        histories = Histories(store, config.me)
        if not histories.current(contact):
            with contextlib.ExitStack() as stack:

                def client() -> imapclient.IMAPClient:
                    return stack.enter_context(imap())

                histories.facts(contact, client, now)
    note = store.notes.get(email)
    doc = contact.to_json()
    doc["reason"] = note.reason
    doc["never"] = note.never
    doc["history"] = history_json(note, contact)
    return doc
