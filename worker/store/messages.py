"""The tables ``folders``, ``messages`` and ``recipients``: scan cursors, writes, staging, bulk load.

This module is long because it is the one owner of the message tables: every
statement on them (the scan's writes and the few reads above it) lives here.

A big scan's helper process writes into a :class:`Staging` database of its
own; only the scanning process writes the state, copying staged batches in
with :meth:`MessagesMixin.merge_staged`. A first scan is a *bulk load*: the
message indexes are dropped and built once at the end (or earlier, see
:meth:`MessagesMixin.build_indexes`), with WAL checkpoints in the background.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from worker.errors import StateLocked
from worker.model import MessageFacts
from worker.store.db import Database, state_error
from worker.store.migrations import messages_changed
from worker.store.rows import (
    INSERT_MESSAGE,
    INSERT_RECIPIENT,
    MESSAGE_COLUMNS,
    insert_rows,
    message_rows,
    next_message_id,
)
from worker.store.staging import StagedBatch, Staging

__all__ = ["MessagesMixin", "FolderCursor", "Staging", "StagedBatch"]


#: The indexes on the message tables, dropped for a bulk load (:meth:`Store.bulk_load`).
_MESSAGE_INDEXES = {
    "messages_mkey": "CREATE INDEX IF NOT EXISTS messages_mkey ON messages (mkey)",
    "messages_sender": "CREATE INDEX IF NOT EXISTS messages_sender ON messages (sender)",
    "recipients_msg": "CREATE INDEX IF NOT EXISTS recipients_msg ON recipients (msg)",
}
_BULK_CHECKPOINT_ROWS = (
    250_000  # rows written (about 100k messages, 60 MB of WAL) between checkpoints
)


@dataclass(frozen=True, slots=True)
class FolderCursor:
    name: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None
    highestmodseq: int | None
    exists_count: int | None


class MessagesMixin(Database):
    """The message tables' statements, mixed into :class:`~worker.store.Store`."""

    _checkpoint: threading.Thread | None = None
    _bulk = False
    _checkpointed_at = 0

    def _opened(self) -> None:
        self._ensure_indexes()  # a bulk load cut off left them dropped

    def _committed(self) -> None:
        if self._bulk:
            self._after_bulk_commit()

    def _closing(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.join()

    # -- folders -------------------------------------------------------------------

    def cursor(self, folder: str) -> FolderCursor | None:
        rows = self.query(
            "SELECT name, uidvalidity, last_uid, uidnext, highestmodseq, exists_count "
            "FROM folders WHERE name = ?",
            (folder,),
        )
        return FolderCursor(*rows[0]) if rows else None

    def known_folders(self) -> list[str]:
        return [row[0] for row in self.query("SELECT name FROM folders ORDER BY name")]

    def reset_folder(self, db: sqlite3.Connection, folder: str, uidvalidity: int) -> None:
        """Forget a folder's messages and cursor (new UIDVALIDITY, RFC 4549)."""
        if db.execute("SELECT 1 FROM messages WHERE folder = ? LIMIT 1", (folder,)).fetchone():
            self._forget_folder_messages(db, folder)
        db.execute(
            "INSERT OR REPLACE INTO folders (name, uidvalidity, last_uid) VALUES (?, ?, 0)",
            (folder, uidvalidity),
        )

    def _forget_folder_messages(self, db: sqlite3.Connection, folder: str) -> None:
        db.execute(
            "DELETE FROM recipients WHERE msg IN (SELECT id FROM messages WHERE folder = ?)",
            (folder,),
        )
        db.execute("DELETE FROM messages WHERE folder = ?", (folder,))
        messages_changed(db)

    def drop_folder(self, folder: str) -> None:
        """Forget a folder that no longer exists on the server (or is no longer scanned)."""
        with self.transaction() as db:
            self._forget_folder_messages(db, folder)
            db.execute("DELETE FROM folders WHERE name = ?", (folder,))

    def save_cursor(
        self,
        db: sqlite3.Connection,
        folder: str,
        *,
        last_uid: int | None = None,
        uidnext: int | None = None,
        highestmodseq: int | None = None,
        exists_count: int | None = None,
    ) -> None:
        sets: list[str] = ["scanned_at = ?"]
        params: list[object] = [datetime.now(UTC).isoformat()]
        for column, value in (
            ("last_uid", last_uid),
            ("uidnext", uidnext),
            ("highestmodseq", highestmodseq),
            ("exists_count", exists_count),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        db.execute(f"UPDATE folders SET {', '.join(sets)} WHERE name = ?", (*params, folder))

    # -- messages ------------------------------------------------------------------

    def add_messages(
        self,
        db: sqlite3.Connection,
        folder: str,
        batch: Iterable[tuple[int, MessageFacts]],
    ) -> list[int]:
        """Insert facts of new messages; returns the new rows' ids (existing UIDs are skipped).

        Row ids are assigned here and both tables are filled with one
        ``executemany`` each, of multi-row statements: per-row round trips
        into SQLite cost more than the rows themselves on a first scan of
        100,000 messages. Call inside
        :meth:`transaction` (it holds the write lock, so the ids are ours).
        """
        batch = list(batch)
        if not batch:
            return []
        uids = [uid for uid, _ in batch]
        known = {
            row[0]
            for row in db.execute(
                "SELECT uid FROM messages WHERE folder = ? AND uid BETWEEN ? AND ?",
                (folder, min(uids), max(uids)),
            )
        }
        if known:
            fresh = []
            for uid, facts in batch:
                if uid not in known:
                    known.add(uid)
                    fresh.append((uid, facts))
            batch = fresh
        if not batch:
            return []
        first = next_message_id(db)
        rows_m, rows_r = message_rows(folder, batch, first)
        insert_rows(db, INSERT_MESSAGE, rows_m)
        insert_rows(db, INSERT_RECIPIENT, rows_r)
        messages_changed(db)
        return list(range(first, first + len(rows_m)))

    # -- staged batches (a scan helper process writes them) ---------------------------

    def attach_staging(self, path: Path) -> None:
        """Attach a :class:`Staging` database as ``staging`` (outside a transaction)."""
        with self.lock:
            try:
                self.db.execute("ATTACH DATABASE ? AS staging", (str(path),))
            except sqlite3.OperationalError as exc:
                raise state_error(exc, path) from None

    def detach_staging(self) -> None:
        with self.lock:
            with contextlib.suppress(sqlite3.OperationalError):  # not attached, or closed
                self.db.execute("DETACH DATABASE staging")

    def merge_staged(self, db: sqlite3.Connection, batch: StagedBatch) -> list[int]:
        """Copy one staged batch into the state, as :meth:`add_messages` would have.

        The rows move inside SQLite (``INSERT ... SELECT``), renumbered after
        the state's last row; a UID the state already has is skipped along
        with its recipients. Call inside :meth:`transaction` with the staging
        database attached (:meth:`attach_staging`).
        """
        if batch.last < batch.first:
            return []
        base = next_message_id(db)
        shift = base - batch.first
        inserted = db.execute(
            f"INSERT OR IGNORE INTO messages ({MESSAGE_COLUMNS}) "
            f"SELECT id + ?, {MESSAGE_COLUMNS.partition(', ')[2]} FROM staging.messages "
            "WHERE id BETWEEN ? AND ?",
            (shift, batch.first, batch.last),
        ).rowcount
        count = len(batch)
        if inserted:
            messages_changed(db)
        recipients = (
            "INSERT INTO recipients (msg, email, name) SELECT msg + ?, email, name "
            "FROM staging.recipients WHERE rowid BETWEEN ? AND ?"
        )
        if inserted == count:
            db.execute(recipients, (shift, batch.first_recipient, batch.last_recipient))
            return list(range(base, base + count))
        ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM messages WHERE id BETWEEN ? AND ? ORDER BY id",
                (base, base + count - 1),
            )
        ]
        db.execute(
            recipients + " AND msg + ? IN (SELECT id FROM messages WHERE id BETWEEN ? AND ?)",
            (shift, batch.first_recipient, batch.last_recipient, shift, base, base + count - 1),
        )
        return ids

    # -- bulk loads --------------------------------------------------------------------

    @contextlib.contextmanager
    def bulk_load(self, bulk: bool = True) -> Iterator[None]:
        """Set the state up for adding many messages, and back when done.

        Keeping the message indexes up to date row by row costs more than the
        rows on a first scan; building them once costs a fraction. They are
        built at the end, or earlier by :meth:`build_indexes`. The WAL is
        checkpointed in the background instead of inside commits: every
        250,000 rows (about 60 MB, so it stays bounded), when the indexes are
        built and at the end. If the process dies in between, the next
        :class:`Store` opened builds the indexes (and SQLite checkpoints the WAL).
        """
        if not bulk:
            yield
            return
        with self.transaction() as db:
            for name in _MESSAGE_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        with self.lock:
            self.db.execute("PRAGMA wal_autocheckpoint=0")
        self._bulk = True
        self._checkpointed_at = self.db.total_changes
        try:
            yield
        finally:
            self._bulk = False
            with self.lock, contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_autocheckpoint=1000")
            self._checkpoint_in_background()  # the rows, while the indexes are built
            self._ensure_indexes()

    def build_indexes(self) -> None:
        """Build the message indexes now, before a bulk load ends.

        The rest of the load then keeps them up to date row by row, which
        costs more per row: worth it near the end of a scan whose helper
        process goes on parsing meanwhile (see :class:`worker.scan.Scanner`).
        The WAL written so far is checkpointed while they are built.
        """
        self._checkpointed_at = self.db.total_changes
        self._checkpoint_in_background()
        self._ensure_indexes()

    def _after_bulk_commit(self) -> None:
        if self.db.total_changes - self._checkpointed_at < _BULK_CHECKPOINT_ROWS:
            return
        if self._checkpoint is None or not self._checkpoint.is_alive():
            self._checkpointed_at = self.db.total_changes
            self._checkpoint_in_background()

    def _checkpoint_in_background(self) -> None:
        """Copy the WAL into the database on a connection of its own, while we go on.

        After a bulk load that is tens of megabytes written and synced; the
        caller's queries and commits proceed meanwhile (WAL), and
        :meth:`close` waits for it.
        """
        if self._checkpoint is not None:
            self._checkpoint.join()  # one at a time

        def run() -> None:
            with contextlib.suppress(sqlite3.Error):
                db = sqlite3.connect(self.path, timeout=60.0)
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    db.close()

        self._checkpoint = threading.Thread(target=run, name="kizuna-checkpoint", daemon=True)
        self._checkpoint.start()

    def _ensure_indexes(self) -> None:
        try:
            self._build_missing_indexes()
        except StateLocked:  # a bulk load in another process builds them when it ends
            pass

    def _build_missing_indexes(self) -> None:
        present = {
            row[0] for row in self.query("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        missing = [name for name in _MESSAGE_INDEXES if name not in present]
        if missing:  # the tables exist: the migrations ran first
            with self.transaction() as db:
                for name in missing:
                    db.execute(_MESSAGE_INDEXES[name])

    def folder_uids(self, folder: str) -> set[int]:
        return {
            row[0] for row in self.query("SELECT uid FROM messages WHERE folder = ?", (folder,))
        }

    def folder_count(self, folder: str) -> int:
        return int(self.query("SELECT COUNT(*) FROM messages WHERE folder = ?", (folder,))[0][0])

    def remove_uids(self, db: sqlite3.Connection, folder: str, uids: Iterable[int]) -> None:
        """Forget messages expunged from a folder."""
        uids = sorted(uids)
        removed = 0
        for start in range(0, len(uids), 500):  # below SQLite's bound-parameter limit
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(
                f"DELETE FROM recipients WHERE msg IN "
                f"(SELECT id FROM messages WHERE folder = ? AND uid IN ({marks}))",
                (folder, *chunk),
            )
            removed += db.execute(
                f"DELETE FROM messages WHERE folder = ? AND uid IN ({marks})", (folder, *chunk)
            ).rowcount
        if removed:
            messages_changed(db)

    def row_count(self) -> int:
        """Message rows (a message in several folders counted once per folder)."""
        return int(self.query("SELECT COUNT(*) FROM messages")[0][0])

    def message_count(self) -> int:
        """Messages indexed, a message in several folders counted once."""
        return self.cached(
            "message_count",
            lambda: int(self.query("SELECT COUNT(DISTINCT mkey) FROM messages")[0][0]),
        )

    # -- contacts ------------------------------------------------------------------

    # -- what follow-up asks of the messages ----------------------------------------

    def sent_copy(
        self, me: Iterable[str], *, message_id: str, subject: str, to: str, since: int
    ) -> str | None:
        """The Message-ID of a message from me that is this draft sent.

        Same Message-ID (``mkey``), or the same subject to ``to`` at time key
        ``since`` or later. ``""`` when it matched but has no Message-ID; None
        when nothing matched.
        """
        mine = sorted(me)
        marks = ",".join("?" * len(mine))
        hit = self.query(
            f"""SELECT m.message_id FROM messages m
                WHERE m.sender IN ({marks}) AND (
                    m.mkey = ? OR (
                        m.subject = ? AND m.tkey >= ?
                        AND EXISTS (SELECT 1 FROM recipients r WHERE r.msg = m.id AND r.email = ?)))
                LIMIT 1""",
            (*mine, message_id, subject, since, to),
        )
        return (hit[0][0] or "") if hit else None

    def first_time_of(self, message_id: str) -> int | None:
        """The time key of the earliest copy of the message with this Message-ID."""
        hit = self.query(
            "SELECT MIN(tkey) FROM messages WHERE mkey = ? AND message_id = ?",
            (message_id, message_id),
        )
        return int(hit[0][0]) if hit and hit[0][0] is not None else None

    def messages_from(self, sender: str) -> list[sqlite3.Row]:
        """Every indexed message from ``sender``, in the order they were indexed."""
        return self.query("SELECT * FROM messages WHERE sender = ? ORDER BY id", (sender,))

    # -- one contact's past messages (personal drafts) ------------------------------

    def latest_with(
        self, email: str, me: Iterable[str], per_side: int
    ) -> list[tuple[str, int, int, bool]]:
        """Where the latest ``per_side`` messages each way with ``email`` are.

        ``(folder, uid, uidvalidity, from_me)`` rows, newest first per side:
        messages from ``email``, and messages from one of ``me`` with ``email``
        among the recipients. Personal mail only (not automated). The history
        reader fetches exactly these (:mod:`worker.mail.history`).
        """
        mine = sorted({a.lower() for a in me})
        marks = ",".join("?" * len(mine))
        theirs = self.query(
            "SELECT m.folder, m.uid, f.uidvalidity, 0 FROM messages m "
            "JOIN folders f ON f.name = m.folder "
            "WHERE m.sender = ? AND m.automated IS NULL ORDER BY m.tkey DESC LIMIT ?",
            (email.lower(), per_side),
        )
        ours = self.query(
            "SELECT m.folder, m.uid, f.uidvalidity, 1 FROM recipients r "
            "JOIN messages m ON m.id = r.msg JOIN folders f ON f.name = m.folder "
            f"WHERE r.email = ? AND m.sender IN ({marks}) AND m.automated IS NULL "
            "ORDER BY m.tkey DESC LIMIT ?",
            (email.lower(), *mine, per_side * 2),
        )
        return [(str(r[0]), int(r[1]), int(r[2]), bool(r[3])) for r in [*theirs, *ours]]
