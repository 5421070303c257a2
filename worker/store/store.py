"""Kizuna's state: one SQLite database (WAL, one writer), schema by migrations.

Tables, each with one owner in this package:

``migrations``     applied schema versions (:mod:`.db`, steps in :mod:`.migrations`).
``meta``           small key/value facts: last scan time, daemon heartbeat, the
                   messages' version and the counts kept against it (:mod:`.db`).
``folders``        per-folder sync cursor: UIDVALIDITY, last UID, UIDNEXT,
                   HIGHESTMODSEQ, MESSAGES at the last scan (:mod:`.messages`).
``messages``       per-message facts for the contact rules and reply matching (:mod:`.messages`).
``recipients``     To/Cc/Bcc addresses of each message (:mod:`.messages`).
``reconnections``  drafts Kizuna wrote and their fate (:mod:`.reconnections`).
``reminders``      queued thank-you, gift and keep-in-touch reminders (:mod:`.reminders`).
``social_people``  people from LinkedIn and Facebook exports, and the contact each
``social_imports`` matched; each source's last import (:mod:`.social`).
``contact_notes``  per contact: standing reason, "never", history read from mail (:mod:`.notes`).
"""

from __future__ import annotations

from functools import cached_property

from worker.store.contacts import ContactsMixin
from worker.store.messages import MessagesMixin
from worker.store.notes import Notes
from worker.store.reconnections import Reconnections
from worker.store.social import Social

__all__ = ["Store"]


class Store(MessagesMixin, ContactsMixin):
    """The state database: the message tables and contact queries, plus the follow-up tables.

    >>> import tempfile, pathlib
    >>> with Store(pathlib.Path(tempfile.mkdtemp()) / "state.db") as store:
    ...     store.schema_version > 0, store.reconnections.active_count()
    (True, 0)
    """

    @cached_property
    def reconnections(self) -> Reconnections:
        """The ``reconnections`` table."""
        return Reconnections(self)

    @cached_property
    def social(self) -> Social:
        """The ``social_people`` and ``social_imports`` tables."""
        return Social(self)

    @cached_property
    def notes(self) -> Notes:
        """The ``contact_notes`` table."""
        return Notes(self)
