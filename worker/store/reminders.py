"""The reminder queue: thank-you, gift and keep-in-touch reminders (table ``reminders``).

This module is long because it is the one owner of its table: every statement
on ``reminders`` and the queue's rules (chains, snoozes, favours) live together.

A reminder moves through these states:

``pending``    queued; delivered as a prompt mail once ``due`` has passed
``delivered``  the prompt went out (:mod:`worker.followup.delivery`)
``done``       the user acted on it
``dismissed``  the user waved it away

The table is the source of truth for delivery: a reminder is delivered when it
is ``pending`` and due, whatever the scheduler remembers, so a reminder that
fell due while the daemon was down goes out once at the next start.

Queueing is idempotent: each row is unique by (reconnection, kind, seq), where
``seq`` numbers the keep-in-touch nudges of one reconnection (0 for the
one-off thank-you and gift). Keep-in-touch is a chain: when one is delivered
(or marked done before it fired) the next is queued ``keep_in_touch_days``
later; any real contact either way pushes the pending one to
``last_contact + keep_in_touch_days`` (:func:`keep_in_touch_due`); dismissing a
pending one ends the chain.

Times are stamps (:mod:`.timecodec`), so they sort and compare as text.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from worker.errors import NotFound, UsageError
from worker.store.timecodec import decode_stamp, encode_stamp
from worker.words.gifts import Favour
from worker.words.names import person_label

if TYPE_CHECKING:
    from worker.store.db import Database

__all__ = [
    "KINDS",
    "STATUSES",
    "Reminder",
    "Reminders",
    "ReminderKind",
    "ReminderStatus",
    "keep_in_touch_due",
]


class ReminderKind(StrEnum):
    THANK_YOU = "thank-you"
    GIFT = "gift"
    KEEP_IN_TOUCH = "keep-in-touch"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DONE = "done"
    DISMISSED = "dismissed"


KINDS: tuple[str, ...] = tuple(ReminderKind)
STATUSES: tuple[str, ...] = tuple(ReminderStatus)
#: What a user (CLI, local API) may set a reminder to.
USER_STATUSES: tuple[str, ...] = (ReminderStatus.DONE, ReminderStatus.DISMISSED)


def keep_in_touch_due(current_due: datetime, last_contact: datetime | None, days: int) -> datetime:
    """The due date of a pending keep-in-touch nudge after contact at ``last_contact``.

    Real contact moves the nudge to ``last_contact + days``, never earlier than
    it already was (so a nudge that was pushed back after firing is not pulled
    forward by the old contact that started the chain).

    >>> d = datetime(2026, 1, 1, tzinfo=UTC)
    >>> keep_in_touch_due(d, datetime(2026, 3, 1, tzinfo=UTC), 10).date().isoformat()
    '2026-03-11'
    >>> keep_in_touch_due(d, datetime(2025, 1, 1, tzinfo=UTC), 10) == d
    True
    """
    if last_contact is None:
        return current_due
    return max(current_due, last_contact + timedelta(days=days))


@dataclass(frozen=True)
class Reminder:
    """One row of the queue. ``detail`` holds what the prompt needs (name, quote...)."""

    id: int
    email: str
    kind: ReminderKind
    due: datetime
    status: ReminderStatus
    reconnection: str
    seq: int = 0
    detail: dict[str, object] = field(default_factory=dict, compare=False)
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    deliveries: int = 0
    message_id: str | None = None
    attempts: int = 0
    last_error: str | None = None

    @property
    def name(self) -> str:
        return str(self.detail.get("name") or "")

    @property
    def draft_subject(self) -> str:
        return str(self.detail.get("draft_subject") or "")

    @property
    def language(self) -> str:
        return str(self.detail.get("language") or "en")

    @property
    def favour(self) -> Favour | None:
        """What the contact did for the user, as the user said (gift reminders), or None."""
        value = self.detail.get("favour")
        return Favour(value) if isinstance(value, str) and value in tuple(Favour) else None

    @property
    def tired(self) -> bool:
        """The contact's reply sounded tired (:func:`worker.words.gifts.sounds_tired`)."""
        return bool(self.detail.get("tired"))

    def to_json(self) -> dict[str, object]:
        """The contract's object for ``kizuna reminders --json`` (plus id, name, draft_subject)."""
        return {
            "id": self.id,
            "email": self.email,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "status": self.status,
            "name": person_label(self.name, self.email),
            "draft_subject": self.draft_subject,
            "favour": self.favour.value if self.favour else None,
        }

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Reminder:
        try:
            detail = json.loads(row["detail"] or "{}")
        except ValueError:
            detail = {}
        return cls(
            id=int(row["id"]),
            email=row["email"],
            kind=ReminderKind(row["kind"]),
            due=decode_stamp(row["due"]) or datetime.min.replace(tzinfo=UTC),
            status=ReminderStatus(row["status"]),
            reconnection=row["reconnection"],
            seq=int(row["seq"]),
            detail=detail if isinstance(detail, dict) else {},
            created_at=decode_stamp(row["created_at"]),
            delivered_at=decode_stamp(row["delivered_at"]),
            deliveries=int(row["deliveries"]),
            message_id=row["message_id"],
            attempts=int(row["attempts"]),
            last_error=row["last_error"],
        )


class Reminders:
    """Every statement on ``reminders``, and the queue's rules."""

    def __init__(self, store: Database, *, keep_in_touch_days: int = 180) -> None:
        self.store = store
        self.keep_in_touch_days = keep_in_touch_days

    # -- reading ---------------------------------------------------------------------

    def list(self, *, statuses: Sequence[str] = (), email: str | None = None) -> list[Reminder]:
        """Reminders, soonest due first."""
        sql, params = "SELECT * FROM reminders WHERE 1=1", builtins.list[object]()
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        if email:
            sql += " AND email = ?"
            params.append(email.lower())
        return [Reminder.from_row(r) for r in self.store.query(sql + " ORDER BY due, id", params)]

    def get(self, reminder_id: int) -> Reminder:
        rows = self.store.query("SELECT * FROM reminders WHERE id = ?", (int(reminder_id),))
        if not rows:
            raise NotFound(f"there is no reminder with id {reminder_id} (see `kizuna reminders`)")
        return Reminder.from_row(rows[0])

    def due_now(self, now: datetime | None = None) -> builtins.list[Reminder]:
        """Pending reminders whose time has come."""
        stamp = encode_stamp(now or datetime.now(UTC))
        rows = self.store.query(
            "SELECT * FROM reminders WHERE status = 'pending' AND due <= ? ORDER BY due, id",
            (stamp,),
        )
        return [Reminder.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        return {
            r[0]: int(r[1])
            for r in self.store.query("SELECT status, COUNT(*) FROM reminders GROUP BY status")
        }

    # -- queueing --------------------------------------------------------------------

    @staticmethod
    def queue(
        db: sqlite3.Connection,
        *,
        email: str,
        kind: str,
        due: datetime,
        reconnection: str,
        detail: dict[str, object],
        seq: int = 0,
        now: datetime | None = None,
    ) -> bool:
        """Queue a reminder inside the caller's transaction; False when it was already queued."""
        if kind not in KINDS:
            raise ValueError(f"unknown reminder kind {kind!r}")
        stamp = encode_stamp(now or datetime.now(UTC))
        cur = db.execute(
            "INSERT OR IGNORE INTO reminders (email, kind, due, status, reconnection, seq, detail, "
            "created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
            (
                email.lower(),
                kind,
                encode_stamp(due),
                reconnection,
                seq,
                json.dumps(detail, ensure_ascii=False),
                stamp,
                stamp,
            ),
        )
        return bool(cur.rowcount)

    def _next_keep_in_touch(
        self, db: sqlite3.Connection, reminder: Reminder, after: datetime
    ) -> None:
        self.queue(
            db,
            email=reminder.email,
            kind="keep-in-touch",
            reconnection=reminder.reconnection,
            seq=reminder.seq + 1,
            due=after + timedelta(days=self.keep_in_touch_days),
            detail=reminder.detail,
        )

    # -- user actions ----------------------------------------------------------------

    def set_status(self, reminder_id: int, status: str, *, now: datetime | None = None) -> Reminder:
        """Mark a reminder ``done`` or ``dismissed`` (from the CLI or the local API)."""
        if status not in USER_STATUSES:
            raise UsageError(
                f"a reminder can be set to {' or '.join(USER_STATUSES)}, not {status!r}"
            )
        now = now or datetime.now(UTC)
        reminder = self.get(reminder_id)
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reminders SET status = ?, updated_at = ? WHERE id = ?",
                (status, encode_stamp(now), reminder.id),
            )
            if (
                reminder.kind == "keep-in-touch"
                and reminder.status == "pending"
                and status == "done"
            ):
                # done before the nudge fired: the chain goes on from today
                self._next_keep_in_touch(db, reminder, now)
        return self.get(reminder.id)

    def set_favour(self, reminder_id: int, favour: str, *, now: datetime | None = None) -> Reminder:
        """Record what the contact did (a gift reminder's ``favour``); the gift follows it.

        ``favour`` is one of :class:`~worker.words.gifts.Favour` (``reply``,
        ``call``, ``advice``, ``introduction``, ``work``). The status and due
        date stay as they are.
        """
        try:
            chosen = Favour(favour)
        except ValueError:
            raise UsageError(f"a favour is one of {', '.join(Favour)}, not {favour!r}") from None
        reminder = self.get(reminder_id)
        if reminder.kind != ReminderKind.GIFT:
            raise UsageError(
                f"reminder {reminder.id} is a {reminder.kind} reminder; "
                "only a gift reminder asks what they did"
            )
        detail = {**reminder.detail, "favour": chosen.value}
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reminders SET detail = ?, updated_at = ? WHERE id = ?",
                (
                    json.dumps(detail, ensure_ascii=False),
                    encode_stamp(now or datetime.now(UTC)),
                    reminder.id,
                ),
            )
        return self.get(reminder.id)

    def snooze(self, reminder_id: int, days: float, *, now: datetime | None = None) -> Reminder:
        """Due again ``days`` from now (0: at once), pending again even if delivered."""
        if days < 0:
            raise UsageError(f"snooze needs zero or more days, not {days}")
        now = now or datetime.now(UTC)
        reminder = self.get(reminder_id)
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reminders SET status = 'pending', due = ?, message_id = NULL, attempts = 0, "
                "last_error = NULL, updated_at = ? WHERE id = ?",
                (encode_stamp(now + timedelta(days=days)), encode_stamp(now), reminder.id),
            )
        return self.get(reminder.id)

    # -- delivery bookkeeping (worker.delivery) --------------------------------------

    def begin_delivery(self, reminder_id: int, message_id: str) -> None:
        """Record the intent (the prompt's Message-ID) before anything is sent."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reminders SET message_id = ? WHERE id = ?", (message_id, reminder_id)
            )

    def delivered(self, reminder: Reminder, *, now: datetime | None = None) -> None:
        """The prompt went out; a keep-in-touch nudge queues the next one."""
        now = now or datetime.now(UTC)
        with self.store.transaction() as db:
            cur = db.execute(
                "UPDATE reminders SET status = 'delivered', delivered_at = ?, updated_at = ?, "
                "deliveries = deliveries + 1, last_error = NULL "
                "WHERE id = ? AND status = 'pending'",
                (encode_stamp(now), encode_stamp(now), reminder.id),
            )
            if cur.rowcount and reminder.kind == "keep-in-touch":
                self._next_keep_in_touch(db, reminder, now)

    def failed(self, reminder_id: int, error: str) -> None:
        """A delivery attempt failed: it stays pending and is retried on the next tick."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reminders SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
                (error, encode_stamp(datetime.now(UTC)), reminder_id),
            )

    # -- keep-in-touch resets --------------------------------------------------------

    def reset_keep_in_touch(self, email: str, last_contact: datetime | None) -> bool:
        """Real contact with ``email``: push its pending nudge to last_contact + days."""
        changed = False
        for reminder in self.list(statuses=("pending",), email=email):
            if reminder.kind != "keep-in-touch":
                continue
            due = keep_in_touch_due(reminder.due, last_contact, self.keep_in_touch_days)
            if due != reminder.due:
                with self.store.transaction() as db:
                    db.execute(
                        "UPDATE reminders SET due = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                        (encode_stamp(due), encode_stamp(datetime.now(UTC)), reminder.id),
                    )
                changed = True
        return changed

    # -- what reply processing asks -------------------------------------------------

    def stamp(self) -> tuple[int, str | None]:
        """How many rows and the latest change: changes whenever the table does."""
        row = self.store.query("SELECT COUNT(*), MAX(updated_at) FROM reminders")[0]
        return int(row[0]), row[1]

    @staticmethod
    def end_other_chains(db: sqlite3.Connection, email: str, keep: str, now: datetime) -> None:
        """One keep-in-touch chain per contact: dismiss pending nudges not of ``keep``."""
        db.execute(
            "UPDATE reminders SET status = ?, updated_at = ? WHERE email = ? "
            "AND kind = ? AND status = ? AND reconnection != ?",
            (
                ReminderStatus.DISMISSED,
                encode_stamp(now),
                email,
                ReminderKind.KEEP_IN_TOUCH,
                ReminderStatus.PENDING,
                keep,
            ),
        )

    def keep_in_touch_emails(self) -> builtins.list[str]:
        """Contacts with a pending keep-in-touch nudge."""
        rows = self.store.query(
            "SELECT DISTINCT email FROM reminders WHERE kind = ? AND status = ?",
            (ReminderKind.KEEP_IN_TOUCH, ReminderStatus.PENDING),
        )
        return [str(r[0]) for r in rows]

    def thank_yous_without_draft(self) -> builtins.list[tuple[Reminder, str | None]]:
        """Thank-you reminders whose draft (``thanks-<reconnection>``) was never written whole.

        Each comes with the Message-ID an interrupted APPEND already chose (or None).
        """
        rows = self.store.query(
            """SELECT r.*, t.message_id AS draft_mid FROM reminders r
               LEFT JOIN reconnections t ON t.id = 'thanks-' || r.reconnection
               WHERE r.kind = ? AND (t.id IS NULL OR t.status = 'appending')
               ORDER BY r.id""",
            (ReminderKind.THANK_YOU,),
        )
        return [(Reminder.from_row(r), r["draft_mid"]) for r in rows]
