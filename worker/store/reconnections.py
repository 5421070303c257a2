"""The ``reconnections`` table: every draft Kizuna wrote, and its fate.

A reconnection draft moves through these states:

``appending``  intent recorded, APPEND to Drafts in flight
``pending``    the draft waits in Drafts
``sent``       a message to the contact appeared in a scanned folder
``replied``    the contact answered
``declined``   the draft vanished unsent: the user took a pass on it

A thank-you draft (kind ``thank-you``, id ``thanks-<reconnection id>``) uses
``appending`` and ``pending`` only. Times are stamps (:mod:`.timecodec`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from worker.store.timecodec import decode_stamp, encode_stamp

if TYPE_CHECKING:
    from worker.store.db import Database

__all__ = ["Reconnection", "ReconnectionKind", "ReconnectionStatus", "Reconnections", "ACTIVE"]


class ReconnectionKind(StrEnum):
    RECONNECTION = "reconnection"
    THANK_YOU = "thank-you"


class ReconnectionStatus(StrEnum):
    APPENDING = "appending"
    PENDING = "pending"
    SENT = "sent"
    REPLIED = "replied"
    DECLINED = "declined"


#: States in which a contact already has a reconnection under way.
ACTIVE = frozenset(
    {ReconnectionStatus.APPENDING, ReconnectionStatus.PENDING, ReconnectionStatus.SENT}
)


@dataclass(frozen=True, slots=True)
class Reconnection:
    """One row of ``reconnections``."""

    id: str
    email: str
    kind: ReconnectionKind
    status: ReconnectionStatus
    subject: str
    message_id: str
    language: str
    created_at: datetime
    updated_at: datetime
    parent: str | None = None
    sent_message_id: str | None = None
    reply_message_id: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Reconnection:
        epoch = datetime.min.replace(tzinfo=UTC)
        return cls(
            id=str(row["id"]),
            email=str(row["email"]),
            kind=ReconnectionKind(row["kind"]),
            status=ReconnectionStatus(row["status"]),
            subject=str(row["subject"]),
            message_id=str(row["message_id"]),
            language=str(row["language"]),
            created_at=decode_stamp(row["created_at"]) or epoch,
            updated_at=decode_stamp(row["updated_at"]) or epoch,
            parent=row["parent"],
            sent_message_id=row["sent_message_id"],
            reply_message_id=row["reply_message_id"],
        )


_INSERT = (
    "INSERT {} INTO reconnections (id, email, kind, status, subject, message_id, language, "
    "created_at, updated_at, parent, reply_message_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


class Reconnections:
    """Every statement on ``reconnections``."""

    def __init__(self, db: Database) -> None:
        self.store = db

    # -- reading -------------------------------------------------------------------

    def list(
        self,
        kind: ReconnectionKind = ReconnectionKind.RECONNECTION,
        statuses: Iterable[ReconnectionStatus] = (),
    ) -> list[Reconnection]:
        """Rows of one kind (optionally in some statuses), oldest first."""
        wanted = [str(s) for s in statuses]
        sql = "SELECT * FROM reconnections WHERE kind = ?"
        if wanted:
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
        rows = self.store.query(sql + " ORDER BY created_at, rowid", (str(kind), *wanted))
        return [Reconnection.from_row(r) for r in rows]

    def get(self, rid: str) -> Reconnection | None:
        rows = self.store.query("SELECT * FROM reconnections WHERE id = ?", (rid,))
        return Reconnection.from_row(rows[0]) if rows else None

    def latest_by_email(self) -> dict[str, Reconnection]:
        """Each contact's newest reconnection."""
        return {r.email: r for r in self.list()}

    def active_count(self) -> int:
        """Drafts waiting in Drafts (or on their way there), of any kind."""
        rows = self.store.query(
            "SELECT COUNT(*) FROM reconnections WHERE status IN (?, ?)",
            (ReconnectionStatus.APPENDING, ReconnectionStatus.PENDING),
        )
        return int(rows[0][0])

    def stamp(self) -> tuple[int, str | None]:
        """How many rows and the latest change: changes whenever the table does."""
        row = self.store.query("SELECT COUNT(*), MAX(updated_at) FROM reconnections")[0]
        return int(row[0]), row[1]

    # -- writing -------------------------------------------------------------------

    def add(
        self,
        rid: str,
        *,
        email: str,
        kind: ReconnectionKind,
        status: ReconnectionStatus,
        subject: str,
        message_id: str,
        language: str,
        parent: str | None = None,
        reply_message_id: str | None = None,
        if_new: bool = False,
        now: datetime | None = None,
    ) -> None:
        """Record a draft (``if_new``: leave an existing row with that id as it is)."""
        stamp = encode_stamp(now or datetime.now(UTC))
        with self.store.transaction() as db:
            db.execute(
                _INSERT.format("OR IGNORE" if if_new else ""),
                (
                    rid,
                    email,
                    kind,
                    status,
                    subject,
                    message_id,
                    language,
                    stamp,
                    stamp,
                    parent,
                    reply_message_id,
                ),
            )

    def set_status(
        self,
        rid: str,
        status: ReconnectionStatus,
        *,
        sent_message_id: str | None = None,
        now: datetime | None = None,
    ) -> None:
        stamp = encode_stamp(now or datetime.now(UTC))
        with self.store.transaction() as db:
            if sent_message_id is None:
                db.execute(
                    "UPDATE reconnections SET status = ?, updated_at = ? WHERE id = ?",
                    (status, stamp, rid),
                )
            else:
                db.execute(
                    "UPDATE reconnections SET status = ?, updated_at = ?, sent_message_id = ? "
                    "WHERE id = ?",
                    (status, stamp, sent_message_id, rid),
                )

    def delete(self, rid: str) -> None:
        """Forget a draft whose APPEND never happened."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM reconnections WHERE id = ?", (rid,))

    @staticmethod
    def mark_replied(
        db: sqlite3.Connection, rid: str, reply_message_id: str, now: datetime
    ) -> bool:
        """``sent`` -> ``replied`` inside the caller's transaction; False when already done."""
        cur = db.execute(
            "UPDATE reconnections SET status = ?, reply_message_id = ?, updated_at = ? "
            "WHERE id = ? AND status = ?",
            (
                ReconnectionStatus.REPLIED,
                reply_message_id,
                encode_stamp(now),
                rid,
                ReconnectionStatus.SENT,
            ),
        )
        return bool(cur.rowcount)
