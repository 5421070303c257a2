"""The ``contact_notes`` table: what the user and Kizuna keep about one contact.

One row per contact address (lower case), made on first use:

``reason``        the user's standing reason for writing to them (``kizuna contact
                  EMAIL --reason TEXT``), or NULL
``never``         1 when the user said never to propose them (``--never``)
``history``       what Kizuna learned from past mail with them: a JSON object
                  ``{"messages": [...]}`` holding a few short excerpts of past
                  messages (see :mod:`worker.outreach.history`), or NULL
``history_key``   what the contact index said when the history was read (last
                  contact and message counts): a different key means new mail
``history_at``    when it was read (a stamp, :mod:`.timecodec`)
``history_why``   why it was read then: ``first``, ``new-mail`` or ``rules``
``updated_at``    the last change of the row (a stamp)

The table is made by the migration "contact-notes" (:mod:`.migrations`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from worker.store.timecodec import decode_stamp, encode_stamp

if TYPE_CHECKING:
    from worker.store.db import Database

__all__ = ["ContactNote", "Notes"]


@dataclass(frozen=True, slots=True)
class ContactNote:
    """One row of ``contact_notes`` (an empty note when the contact has none)."""

    email: str
    reason: str | None = None
    never: bool = False
    history: dict[str, Any] | None = None
    history_key: str | None = None
    history_at: datetime | None = None
    history_why: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ContactNote:
        history = None
        if row["history"]:
            try:
                loaded = json.loads(row["history"])
            except ValueError:
                loaded = None  # a damaged cache is read again, not trusted
            history = loaded if isinstance(loaded, dict) else None
        return cls(
            email=str(row["email"]),
            reason=row["reason"],
            never=bool(row["never"]),
            history=history,
            history_key=row["history_key"],
            history_at=decode_stamp(row["history_at"]),
            history_why=row["history_why"],
        )


class Notes:
    """Every statement on ``contact_notes``."""

    def __init__(self, db: Database) -> None:
        self.store = db

    def get(self, email: str) -> ContactNote:
        """The note on ``email`` (an empty one when there is none)."""
        email = email.strip().lower()
        rows = self.store.query("SELECT * FROM contact_notes WHERE email = ?", (email,))
        return ContactNote.from_row(rows[0]) if rows else ContactNote(email)

    def never(self) -> frozenset[str]:
        """Addresses the user said never to propose."""
        rows = self.store.query("SELECT email FROM contact_notes WHERE never = 1")
        return frozenset(str(r[0]) for r in rows)

    def reasons(self) -> dict[str, str]:
        """Every standing reason, by address."""
        rows = self.store.query(
            "SELECT email, reason FROM contact_notes WHERE reason IS NOT NULL AND reason != ''"
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def _upsert(self, email: str, column: str, value: object, now: datetime | None) -> None:
        # ``column`` is one of this class's own names, never user input.
        stamp = encode_stamp(now or datetime.now(UTC))
        with self.store.transaction() as db:
            db.execute(
                f"INSERT INTO contact_notes (email, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (email) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (email.strip().lower(), value, stamp),
            )

    def set_reason(self, email: str, reason: str | None, *, now: datetime | None = None) -> None:
        """Keep ``reason`` as the standing reason for ``email``; None or blank clears it."""
        text = (reason or "").strip() or None
        self._upsert(email, "reason", text, now)

    def set_never(self, email: str, never: bool, *, now: datetime | None = None) -> None:
        """``never``: stop proposing ``email``; False undoes it."""
        self._upsert(email, "never", 1 if never else 0, now)

    def save_history(
        self,
        email: str,
        history: dict[str, Any],
        *,
        key: str,
        why: str,
        now: datetime | None = None,
    ) -> None:
        """Keep what past mail said (``history``), read when the index said ``key``."""
        stamp = encode_stamp(now or datetime.now(UTC))
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO contact_notes (email, history, history_key, history_at, history_why, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET "
                "history = excluded.history, history_key = excluded.history_key, "
                "history_at = excluded.history_at, history_why = excluded.history_why, "
                "updated_at = excluded.updated_at",
                (
                    email.strip().lower(),
                    json.dumps(history, ensure_ascii=False),
                    key,
                    stamp,
                    why,
                    stamp,
                ),
            )
