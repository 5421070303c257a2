"""Kizuna's state: one SQLite database (WAL, one writer), schema by migrations.

Tables
------
``migrations``  applied schema versions (the version table).
``folders``     per-folder sync cursor: UIDVALIDITY, last UID, UIDNEXT, HIGHESTMODSEQ,
                MESSAGES at the last scan, when it was scanned.
``messages``    per-message facts for the contact rules and reply matching.
``recipients``  To/Cc/Bcc addresses of each message.
``meta``        small key/value facts (last scan time, daemon heartbeat, the
                messages' version and the counts kept against it...).
``reconnections`` drafts Kizuna wrote and their fate (:mod:`worker.outreach`).
``reminders``   queued thank-you, gift and keep-in-touch reminders (:mod:`worker.reminders`).
``apscheduler_jobs`` the daemon's job store (made by APScheduler, not by a migration).

Later features add their own tables through :data:`MIGRATIONS`.

A big scan's helper process writes into a :class:`Staging` database of its
own; only the scanning process writes the state, copying staged batches in
with :meth:`Store.merge_staged`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import chain
from pathlib import Path

from .errors import StateError, StateLocked
from .fsutil import ensure_private_file, private_dir
from .model import Contact, MessageFacts
from .rules import normalize_subject

__all__ = [
    "Store",
    "FolderCursor",
    "MIGRATIONS",
    "Staging",
    "StagedBatch",
    "message_rows",
    "encode_time",
    "decode_time",
]

Migration = Callable[[sqlite3.Connection], None]


def _script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m1_scan(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE folders (
            name TEXT PRIMARY KEY,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL DEFAULT 0,
            uidnext INTEGER,
            highestmodseq INTEGER,
            exists_count INTEGER,
            scanned_at TEXT
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            folder TEXT NOT NULL,
            uid INTEGER NOT NULL,
            mkey TEXT NOT NULL,
            message_id TEXT,
            tkey INTEGER NOT NULL,
            sender TEXT,
            sender_name TEXT,
            subject TEXT,
            thread TEXT,
            in_reply_to TEXT,
            refs TEXT,
            automated TEXT,
            rcpt_count INTEGER NOT NULL,
            kizuna_id TEXT,
            kizuna_kind TEXT,
            UNIQUE (folder, uid)
        );
        CREATE INDEX messages_mkey ON messages (mkey);
        CREATE INDEX messages_sender ON messages (sender);
        CREATE INDEX messages_message_id ON messages (message_id);
        CREATE TABLE recipients (
            msg INTEGER NOT NULL,
            email TEXT NOT NULL,
            name TEXT
        );
        CREATE INDEX recipients_msg ON recipients (msg);
        CREATE INDEX recipients_email ON recipients (email);
        """,
    )


def _m2_reconnections(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE reconnections (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            parent TEXT,
            sent_message_id TEXT,
            reply_message_id TEXT
        );
        CREATE INDEX reconnections_email ON reconnections (email, status)
        """,
    )


def _m3_reminders(db: sqlite3.Connection) -> None:
    # ``seq`` numbers the keep-in-touch nudges of one reconnection (0 for the
    # one-off thank-you and gift), so UNIQUE (reconnection, kind, seq) makes
    # queueing idempotent. ``message_id`` is the prompt's deterministic
    # Message-ID, recorded before delivery (the exactly-once intent).
    _script(
        db,
        """
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            kind TEXT NOT NULL,
            due TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            reconnection TEXT NOT NULL,
            seq INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            delivered_at TEXT,
            deliveries INTEGER NOT NULL DEFAULT 0,
            message_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            UNIQUE (reconnection, kind, seq)
        );
        CREATE INDEX reminders_due ON reminders (status, due);
        CREATE INDEX reminders_email ON reminders (email)
        """,
    )


def _m4_lean_indexes(db: sqlite3.Connection) -> None:
    # No query looks recipients up by address alone (they join on msg), and
    # keeping this index cost a third of the SQLite time of a first scan.
    db.execute("DROP INDEX IF EXISTS recipients_email")


def _m5_no_message_id_index(db: sqlite3.Connection) -> None:
    # Lookups by Message-ID go through mkey, which equals it whenever there is one.
    db.execute("DROP INDEX IF EXISTS messages_message_id")


def _m6_keys_without_message_id(db: sqlite3.Connection) -> None:
    # Messages without a Message-ID were keyed by folder and UID, so their
    # copies in other folders counted twice; key them by their content instead
    # (what the key is made of is all in the state).
    rows = db.execute(
        "SELECT m.id, m.tkey, m.sender, m.subject, "
        "(SELECT json_group_array(email) FROM recipients r WHERE r.msg = m.id) "
        "FROM messages m WHERE m.message_id IS NULL"
    ).fetchall()
    db.executemany(
        "UPDATE messages SET mkey = ? WHERE id = ?",
        [
            (content_key(tkey, sender, subject, json.loads(emails)), msg)
            for msg, tkey, sender, subject, emails in rows
        ],
    )
    if rows:
        Store._messages_changed(db)


#: Registered schema migrations, applied in order, each in its own transaction.
MIGRATIONS: list[tuple[str, Migration]] = [
    ("scan", _m1_scan),
    ("reconnections", _m2_reconnections),
    ("reminders", _m3_reminders),
    ("lean-indexes", _m4_lean_indexes),
    ("no-message-id-index", _m5_no_message_id_index),
    ("keys-without-message-id", _m6_keys_without_message_id),
]

#: The indexes on the message tables, dropped for a bulk load (:meth:`Store.bulk_load`).
_MESSAGE_INDEXES = {
    "messages_mkey": "CREATE INDEX IF NOT EXISTS messages_mkey ON messages (mkey)",
    "messages_sender": "CREATE INDEX IF NOT EXISTS messages_sender ON messages (sender)",
    "recipients_msg": "CREATE INDEX IF NOT EXISTS recipients_msg ON recipients (msg)",
}
_BULK_CHECKPOINT_ROWS = (
    250_000  # rows written (about 100k messages, 60 MB of WAL) between checkpoints
)
_MESSAGE_COLUMNS = (
    "id, folder, uid, mkey, message_id, tkey, sender, sender_name, subject, thread, "
    "in_reply_to, refs, automated, rcpt_count, kizuna_id, kizuna_kind"
)
# Binding None costs Python 3.11's sqlite3 module a failed adapter lookup (an
# AttributeError made and dropped, ~3,300 instructions); a message row has several. The
# columns that are only ever a non-empty text or NULL are bound as "" for
# "none" instead, and NULLIF stores NULL.
_OPTIONAL_TEXT = frozenset(
    {"message_id", "in_reply_to", "refs", "automated", "kizuna_id", "kizuna_kind"}
)
_INSERT_MESSAGE = "INSERT INTO messages ({}) VALUES ({})".format(
    _MESSAGE_COLUMNS,
    ", ".join(
        "NULLIF(?, '')" if column in _OPTIONAL_TEXT else "?"
        for column in _MESSAGE_COLUMNS.split(", ")
    ),
)
_INSERT_RECIPIENT = "INSERT INTO recipients (msg, email, name) VALUES (?, ?, ?)"
# Rows per INSERT statement: each statement costs SQLite a program start and
# the sqlite3 module a step (the GIL let go and taken back), shared by the rows
# of a multi-row VALUES. 32 message rows bind 512 values (SQLite allows 32,766).
_ROWS_PER_INSERT = 32


def _insert_rows(db: sqlite3.Connection, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
    """``db.executemany(sql, rows)`` of a one-row ``INSERT ... VALUES (...)``, several rows a statement."""
    per = _ROWS_PER_INSERT
    whole = len(rows) - len(rows) % per
    if whole:
        db.executemany(
            _many_rows(sql),
            [tuple(chain.from_iterable(rows[i : i + per])) for i in range(0, whole, per)],
        )
    if whole < len(rows):
        db.executemany(sql, rows[whole:])


@functools.cache
def _many_rows(sql: str) -> str:
    """A one-row ``INSERT ... VALUES (...)`` made to take ``_ROWS_PER_INSERT`` rows."""
    head, _, values = sql.partition(" VALUES ")
    return f"{head} VALUES {', '.join([values] * _ROWS_PER_INSERT)}"


def _next_id(db: sqlite3.Connection) -> int:
    """The id after the last message row (call inside the write transaction that uses it)."""
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]) + 1


def content_key(
    tkey: int, sender: str | None, subject: str | None, recipients: Iterable[str]
) -> str:
    """The key (``mkey``) of a message without a Message-ID: its time, sender, subject and recipients.

    A message copied into several folders has the same key in each, so it
    counts once, as one with a Message-ID does. It never equals a Message-ID
    (those are in angle brackets).

    >>> content_key(1, "a@x.example", "hi", ["c@x.example", "b@x.example"]) == \\
    ...     content_key(1, "a@x.example", "hi", ["b@x.example", "c@x.example"])
    True
    >>> content_key(1, "a@x.example", "hi", []).startswith("content:")
    True
    """
    text = json.dumps([tkey, sender, subject or "", sorted(set(recipients))], ensure_ascii=False)
    return "content:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def message_rows(
    folder: str, batch: Iterable[tuple[int, MessageFacts]], first_id: int
) -> tuple[list[tuple[object, ...]], list[tuple[int, str, str]]]:
    """The ``messages`` and ``recipients`` rows of a batch, numbered from ``first_id``.

    The optional text columns are "" for none (see ``_INSERT_MESSAGE``).
    """
    rows_m: list[tuple[object, ...]] = []
    rows_r: list[tuple[int, str, str]] = []
    add_message, add_recipient = rows_m.append, rows_r.append
    msg = first_id
    for uid, facts in batch:
        sender = facts.sender
        email, name = (sender.email, sender.name) if sender is not None else (None, None)
        tkey = encode_time(facts.date)
        subject = facts.subject
        recipients = facts.recipients
        message_id = facts.message_id
        references = facts.references
        add_message(
            (
                msg,
                folder,
                uid,
                message_id or content_key(tkey, email, subject, (a.email for a in recipients)),
                message_id or "",
                tkey,
                email,
                name,
                subject,
                _thread_key(subject),
                facts.in_reply_to or "",
                " ".join(references) if references else "",
                facts.automated or "",
                facts.recipient_count,
                facts.kizuna_id or "",
                facts.kizuna_kind or "",
            )
        )
        for address in recipients:
            add_recipient((msg, address.email, address.name))
        msg += 1
    return rows_m, rows_r


_thread_key = functools.lru_cache(maxsize=8192)(normalize_subject)  # a thread's subject comes back


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
            f"CREATE TABLE IF NOT EXISTS messages ({_MESSAGE_COLUMNS.replace('id, ', 'id INTEGER PRIMARY KEY, ', 1)})"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS recipients (msg INTEGER NOT NULL, email TEXT NOT NULL, name TEXT)"
        )
        self.next_id = _next_id(self.db)
        self.next_recipient = (
            int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM recipients").fetchone()[0]) + 1
        )

    def add(self, folder: str, batch: Iterable[tuple[int, MessageFacts]]) -> StagedBatch:
        """Stage a batch (committed when this returns) and say where it is."""
        rows_m, rows_r = message_rows(folder, batch, self.next_id)
        first_r = self.next_recipient
        self.db.execute("BEGIN")
        _insert_rows(self.db, _INSERT_MESSAGE, rows_m)
        # one writer and no deletes: SQLite numbers the rows on from the last, as counted here
        _insert_rows(self.db, _INSERT_RECIPIENT, rows_r)
        self.db.execute("COMMIT")
        staged = StagedBatch(
            self.next_id, self.next_id + len(rows_m) - 1, first_r, first_r + len(rows_r) - 1
        )
        self.next_id += len(rows_m)
        self.next_recipient += len(rows_r)
        return staged

    def close(self) -> None:
        self.db.close()


# A message time is stored as one sortable integer: UTC seconds and the
# original UTC offset, so the latest message keeps its own offset on output.
_TZ_SPAN = 4096
_TZ_BIAS = 2048


# The offset in minutes of each fixed-offset time zone seen (a mailbox has a
# handful): a dict lookup instead of three calls per message on a scan.
_OFFSET_MINUTES: dict[timezone, int] = {}


def encode_time(value: datetime) -> int:
    """Encode an aware datetime as a sortable integer keeping its UTC offset."""
    tz = value.tzinfo
    if type(tz) is timezone:  # other tzinfo kinds may change their offset with the date
        minutes = _OFFSET_MINUTES.get(tz)
        if minutes is None:
            minutes = _offset_minutes(value)
            if len(_OFFSET_MINUTES) < 1000:
                _OFFSET_MINUTES[tz] = minutes
    else:
        minutes = _offset_minutes(value)
    return int(value.timestamp()) * _TZ_SPAN + (minutes + _TZ_BIAS)


def _offset_minutes(value: datetime) -> int:
    offset = value.utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def decode_time(key: int | None) -> datetime | None:
    """The inverse of :func:`encode_time`."""
    if key is None:
        return None
    seconds, minutes = divmod(int(key), _TZ_SPAN)
    tz = timezone(timedelta(minutes=minutes - _TZ_BIAS))
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz)


@dataclass(frozen=True, slots=True)
class FolderCursor:
    name: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None
    highestmodseq: int | None
    exists_count: int | None


class Store:
    """The state database. Safe to share between threads (one lock, one connection)."""

    _checkpoint: threading.Thread | None = None
    _bulk = False
    _checkpointed_at = 0

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path).expanduser()
        try:
            private_dir(self.path.parent)
            self.db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
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
        except sqlite3.OperationalError as exc:
            raise _state_error(exc, self.path) from None
        except OSError as exc:
            raise StateError(f"cannot open state {self.path}: {exc.strerror or exc}") from None
        self.lock = threading.RLock()
        self._migrate()
        self._ensure_indexes()  # a bulk load cut off left them dropped

    # -- plumbing ----------------------------------------------------------------

    def close(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.join()
        with self.lock:
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); rolled back on error."""
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _state_error(exc, self.path) from None
            try:
                yield self.db
            except BaseException as exc:
                if self.db.in_transaction:  # SQLITE_FULL and friends roll back by themselves
                    self.db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise _state_error(exc, self.path) from None
                raise
            else:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    self.db.execute("ROLLBACK")
                    raise _state_error(exc, self.path) from None
                if self._bulk:
                    self._after_bulk_commit()

    def query(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        with self.lock:
            try:
                cursor = self.db.execute(sql, params)
                cursor.row_factory = sqlite3.Row
                return cursor.fetchall()
            except sqlite3.OperationalError as exc:
                raise _state_error(exc, self.path) from None

    def _applied(self) -> set[int]:
        try:
            return {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return set()
            raise _state_error(exc, self.path) from None

    def _migrate(self) -> None:
        # Read first: a state that is up to date opens without a write lock, so
        # readers (``kizuna contacts``) work while the daemon writes.
        applied = self._applied()
        if applied and max(applied) > len(MIGRATIONS):
            raise StateError(
                f"state {self.path} was written by a newer Kizuna (schema {max(applied)}); upgrade Kizuna"
            )
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

    @staticmethod
    def _messages_changed(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('messages_version', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

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
        self._messages_changed(db)

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
        sets, params = ["scanned_at = ?"], [datetime.now(UTC).isoformat()]
        for column, value in (
            ("last_uid", last_uid),
            ("uidnext", uidnext),
            ("highestmodseq", highestmodseq),
            ("exists_count", exists_count),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)  # type: ignore[arg-type]
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
        first = _next_id(db)
        rows_m, rows_r = message_rows(folder, batch, first)
        _insert_rows(db, _INSERT_MESSAGE, rows_m)
        _insert_rows(db, _INSERT_RECIPIENT, rows_r)
        self._messages_changed(db)
        return list(range(first, first + len(rows_m)))

    # -- staged batches (a scan helper process writes them) ---------------------------

    def attach_staging(self, path: Path) -> None:
        """Attach a :class:`Staging` database as ``staging`` (outside a transaction)."""
        with self.lock:
            try:
                self.db.execute("ATTACH DATABASE ? AS staging", (str(path),))
            except sqlite3.OperationalError as exc:
                raise _state_error(exc, path) from None

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
        base = _next_id(db)
        shift = base - batch.first
        inserted = db.execute(
            f"INSERT OR IGNORE INTO messages ({_MESSAGE_COLUMNS}) "
            f"SELECT id + ?, {_MESSAGE_COLUMNS.partition(', ')[2]} FROM staging.messages "
            "WHERE id BETWEEN ? AND ?",
            (shift, batch.first, batch.last),
        ).rowcount
        count = len(batch)
        if inserted:
            self._messages_changed(db)
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
            self._messages_changed(db)

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

    def contacts(
        self,
        me: frozenset[str],
        max_recipients: int,
        *,
        email: str | None = None,
    ) -> list[Contact]:
        """The contact index: addresses with qualifying mail both ways (unsorted).

        Computed from the message facts on each call, so a change of
        ``max_recipients`` or of my addresses applies at once.
        """
        me_json = json.dumps(sorted(me))
        # one address: filter where the rows are read, not after aggregating them all
        sent_email = "AND r.email = :email" if email else ""
        received_email = "AND q.sender = :email" if email else ""
        rows = self.query(
            f"""
            WITH me(addr) AS (SELECT value FROM json_each(:me)),
            q AS (
                SELECT * FROM messages
                WHERE automated IS NULL AND rcpt_count <= :cap AND sender IS NOT NULL
            ),
            ev AS (
                SELECT r.email AS email, 1 AS sent, q.mkey, q.tkey, r.name AS name,
                       q.subject, q.thread
                FROM q JOIN recipients r ON r.msg = q.id
                WHERE q.sender IN (SELECT addr FROM me) AND r.email NOT IN (SELECT addr FROM me) {sent_email}
                UNION ALL
                SELECT q.sender, 0, q.mkey, q.tkey, q.sender_name, q.subject, q.thread
                FROM q WHERE q.sender NOT IN (SELECT addr FROM me) {received_email}
            ),
            agg AS (
                SELECT email,
                       COUNT(DISTINCT CASE WHEN sent THEN mkey END) AS sent_count,
                       COUNT(DISTINCT CASE WHEN NOT sent THEN mkey END) AS received_count,
                       MAX(CASE WHEN sent THEN tkey END) AS last_sent,
                       MAX(CASE WHEN NOT sent THEN tkey END) AS last_received,
                       MIN(tkey) AS first_contact,
                       MAX(tkey) AS last_contact,
                       COUNT(DISTINCT thread) AS threads
                FROM ev GROUP BY email
                HAVING sent_count > 0 AND received_count > 0
            ),
            named AS (
                SELECT email, name, ROW_NUMBER() OVER (PARTITION BY email ORDER BY tkey DESC) AS rn
                FROM ev WHERE name IS NOT NULL AND name != '' AND email IN (SELECT email FROM agg)
            ),
            subj AS (
                SELECT email, subject, ROW_NUMBER() OVER (PARTITION BY email ORDER BY tkey DESC) AS rn
                FROM ev WHERE subject IS NOT NULL AND subject != '' AND email IN (SELECT email FROM agg)
            )
            SELECT agg.*, named.name AS name, subj.subject AS last_subject
            FROM agg
            LEFT JOIN named ON named.email = agg.email AND named.rn = 1
            LEFT JOIN subj ON subj.email = agg.email AND subj.rn = 1
            """,
            {"me": me_json, "cap": max_recipients, "email": email.lower() if email else None},
        )
        return [
            Contact(
                email=row["email"],
                name=row["name"] or "",
                first_contact=decode_time(row["first_contact"]),
                last_contact=decode_time(row["last_contact"]),
                last_sent=decode_time(row["last_sent"]),
                last_received=decode_time(row["last_received"]),
                sent_count=row["sent_count"],
                received_count=row["received_count"],
                last_subject=row["last_subject"] or "",
                thread_count=row["threads"],
            )
            for row in rows
        ]

    def contact_count(self, me: frozenset[str], max_recipients: int) -> int:
        """How many contacts :meth:`contacts` would list, computed far more cheaply."""
        # The people I wrote to (distinct), each kept if one of their own
        # messages counts too: both halves go through the sender index, and
        # the recipients through their msg index.
        rows = self.query(
            """
            WITH me(addr) AS (SELECT value FROM json_each(:me))
            SELECT COUNT(*) FROM (
                SELECT DISTINCT r.email AS email FROM messages m JOIN recipients r ON r.msg = m.id
                WHERE m.sender IN (SELECT addr FROM me) AND m.automated IS NULL AND m.rcpt_count <= :cap
                    AND r.email NOT IN (SELECT addr FROM me)
            ) wrote
            WHERE EXISTS (
                SELECT 1 FROM messages m WHERE m.sender = wrote.email AND m.automated IS NULL AND m.rcpt_count <= :cap
            )
            """,
            {"me": json.dumps(sorted(me)), "cap": max_recipients},
        )
        return int(rows[0][0])


def _state_error(exc: sqlite3.OperationalError, path: Path) -> StateError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StateLocked(f"state {path} is locked by another process: {text}")
    if "disk" in text or "full" in text:
        return StateError(f"cannot write state {path}: {text} (is the disk full?)")
    return StateError(f"state {path}: {text}")
