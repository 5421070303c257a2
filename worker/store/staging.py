"""The scan helper's staging database: batches parsed in another process, waiting to be copied in.

The helper (:mod:`worker.scan.helper`) writes message and recipient rows
here with the state's own column layout; the scanning process attaches this
file and copies each :class:`StagedBatch` into the state
(:meth:`worker.store.messages.MessagesMixin.merge_staged`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from worker.model import MessageFacts
from worker.store.rows import (
    INSERT_MESSAGE,
    INSERT_RECIPIENT,
    MESSAGE_COLUMNS,
    insert_rows,
    message_rows,
    next_message_id,
)

__all__ = ["Staging", "StagedBatch"]


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """Where one batch sits in a :class:`Staging` database (inclusive row ranges)."""

    first: int
    last: int
    first_recipient: int
    last_recipient: int

    def __len__(self) -> int:
        """How many messages."""
        return self.last - self.first + 1


class Staging:
    """A scratch database a scan helper process fills with finished rows.

    The same tables as the state's, without indexes or constraints; the
    scanning process copies each batch over with :meth:`Store.merge_staged`,
    so the rows cross between the processes inside SQLite, never as Python
    objects. Written by one process, read by another; its contents are
    worthless after the scan (no journal, no fsync).
    """

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=60.0, isolation_level=None)
        # No journal: nothing is ever rolled back, and a WAL would be copied
        # into the file once more when the last connection closes.
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS messages ({MESSAGE_COLUMNS.replace('id, ', 'id INTEGER PRIMARY KEY, ', 1)})"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS recipients (msg INTEGER NOT NULL, email TEXT NOT NULL, name TEXT)"
        )
        self.next_id = next_message_id(self.db)
        self.next_recipient = (
            int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM recipients").fetchone()[0]) + 1
        )

    def add(self, folder: str, batch: Iterable[tuple[int, MessageFacts]]) -> StagedBatch:
        """Stage a batch (committed when this returns) and say where it is."""
        rows_m, rows_r = message_rows(folder, batch, self.next_id)
        first_r = self.next_recipient
        self.db.execute("BEGIN")
        insert_rows(self.db, INSERT_MESSAGE, rows_m)
        # one writer and no deletes: SQLite numbers the rows on from the last, as counted here
        insert_rows(self.db, INSERT_RECIPIENT, rows_r)
        self.db.execute("COMMIT")
        staged = StagedBatch(
            self.next_id, self.next_id + len(rows_m) - 1, first_r, first_r + len(rows_r) - 1
        )
        self.next_id += len(rows_m)
        self.next_recipient += len(rows_r)
        return staged

    def close(self) -> None:
        self.db.close()
