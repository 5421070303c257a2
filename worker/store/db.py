"""The state database's connection: opening, transactions, queries, ``meta`` and migrating.

One SQLite file in WAL mode, one writer at a time (``BEGIN IMMEDIATE``), owned
by one :class:`Database` per process. SQLite's own errors never escape: they
become :class:`~worker.errors.StateError` naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from worker.errors import StateError, StateLocked
from worker.fsutil import ensure_private_file, private_dir
from worker.store.migrations import MIGRATIONS

__all__ = ["Database", "state_error"]


class Database:
    """The state's connection. Safe to share between threads (one lock, one connection).

    Subclasses (the table owners) hook into opening, committing and closing.
    """

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path).expanduser()
        try:
            private_dir(self.path.parent)
            self.db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            try:
                # Before anything writes: journal_mode=WAL rewrites a foreign file's header.
                self._refuse_foreign()
            except StateError:
                self.db.close()
                raise
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA cache_size=-32768")  # 32 MB: index upkeep on big scans
            self.db.execute(
                "PRAGMA journal_size_limit=67108864"
            )  # a WAL grown by a bulk load shrinks back
            self.db.execute("PRAGMA foreign_keys=ON")
            for suffix in ("", "-wal", "-shm"):
                extra = Path(str(self.path) + suffix)
                if extra.exists():
                    ensure_private_file(extra)
        except StateError:
            raise  # an OSError too: keep its own message
        except sqlite3.DatabaseError as exc:
            raise state_error(exc, self.path) from None
        except OSError as exc:
            raise StateError(f"cannot open state {self.path}: {exc.strerror or exc}") from None
        self.lock = threading.RLock()
        self._migrate()
        self._opened()

    # -- plumbing ----------------------------------------------------------------

    def _opened(self) -> None:
        """After the schema is up to date."""

    def _committed(self) -> None:
        """After each committed write transaction."""

    def _closing(self) -> None:
        """Before the connection closes."""

    def close(self) -> None:
        self._closing()
        with self.lock:
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); rolled back on error."""
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise state_error(exc, self.path) from None
            try:
                yield self.db
            except BaseException as exc:
                if self.db.in_transaction:  # SQLITE_FULL and friends roll back by themselves
                    self.db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
                    exc,
                    sqlite3.IntegrityError,  # a caller's bug: keep its own type
                ):
                    raise state_error(exc, self.path) from None
                raise
            else:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    self.db.execute("ROLLBACK")
                    raise state_error(exc, self.path) from None
                self._committed()

    def query(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        with self.lock:
            try:
                cursor = self.db.execute(sql, params)
                cursor.row_factory = sqlite3.Row
                return cursor.fetchall()
            except sqlite3.DatabaseError as exc:
                raise state_error(exc, self.path) from None

    def _applied(self) -> set[int]:
        try:
            return {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return set()
            raise state_error(exc, self.path) from None

    def _migrate(self) -> None:
        # Read first: a state that is up to date opens without a write lock, so
        # readers (``kizuna contacts``) work while the daemon writes.
        applied = self._refuse_foreign()
        for version, (name, migration) in enumerate(MIGRATIONS, start=1):
            if version in applied:
                continue
            with self.transaction() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                if db.execute("SELECT 1 FROM migrations WHERE version = ?", (version,)).fetchone():
                    continue  # another process got there first
                migration(db)
                db.execute(
                    "INSERT INTO migrations VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat()),
                )

    def _refuse_foreign(self) -> set[int]:
        """The applied migrations; a StateError for a file that is not ours to change.

        Reads only: another program's SQLite file, or a state from a newer
        Kizuna, is refused before a single byte of it is written.
        """
        applied = self._applied()
        if not applied and self._foreign_tables():
            raise StateError(
                f"{self.path} is an SQLite database, but not a Kizuna state; it was left "
                "untouched: point [state] path at another file"
            )
        if applied and max(applied) > len(MIGRATIONS):
            raise StateError(
                f"state {self.path} was written by a newer Kizuna (schema {max(applied)}); "
                "it was left untouched: upgrade Kizuna"
            )
        return applied

    def _foreign_tables(self) -> bool:
        try:
            row = self.db.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name != 'migrations'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise state_error(exc, self.path) from None
        return bool(row[0])

    @property
    def schema_version(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(version), 0) FROM migrations")[0][0])

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # Every change to the message tables bumps ``messages_version``, so figures
    # computed from them (counts) can be kept until the messages change, and a
    # rescan with nothing new costs nothing that grows with the mailbox.

    def messages_version(self) -> int:
        """A number that changes whenever the indexed messages change."""
        return int(self.get_meta("messages_version") or 0)

    def cached(self, name: str, compute: Callable[[], int], *key: object) -> int:
        """``compute()``, kept in meta until the messages (or ``key``) change.

        The version is read before computing, so a change meanwhile only makes
        the next call compute again. A state locked by a writer just goes
        without caching.
        """
        stamp = json.dumps([self.messages_version(), *key])
        kept = self.get_meta(name)
        if kept:
            stored, _, text = kept.rpartition("|")
            if stored == stamp:
                return int(text)
        value = compute()
        with contextlib.suppress(StateLocked):
            self.set_meta(name, f"{stamp}|{value}")
        return value


def state_error(exc: sqlite3.Error, path: Path) -> StateError:
    """One line naming the state file, what is wrong, and what to do."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return StateError(
            f"state {path} is damaged or not a Kizuna state ({text}); it was left untouched: "
            "restore it from a backup, or move it away and run `kizuna scan` to build a new one"
        )
    if "locked" in text or "busy" in text:
        return StateLocked(f"state {path} is locked by another process: {text}")
    if "disk" in text or "full" in text:
        return StateError(f"cannot write state {path}: {text} (is the disk full?)")
    return StateError(f"state {path}: {text}")
