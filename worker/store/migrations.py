"""The state's schema: registered migrations, one per step, each in its own transaction.

:class:`~worker.store.db.Database` applies the ones a state lacks, in order,
and records each in the ``migrations`` table; a state from a newer Kizuna is
refused rather than guessed at. Never edit a released step: add one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from worker.store.rows import content_key
from worker.store.timecodec import decode_stamp, encode_stamp

__all__ = ["MIGRATIONS", "Migration", "messages_changed"]

Migration = Callable[[sqlite3.Connection], None]


def messages_changed(db: sqlite3.Connection) -> None:
    """Bump ``messages_version`` (in the caller's transaction): figures kept against it go stale."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('messages_version', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


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
        messages_changed(db)


def _m7_one_time_codec(db: sqlite3.Connection) -> None:
    # Reconnections were stamped with microseconds, reminders without: one
    # codec now (worker.store.timecodec), so both sort and compare alike.
    for table, columns in (
        ("reconnections", ("created_at", "updated_at")),
        ("reminders", ("due", "created_at", "updated_at", "delivered_at")),
    ):
        for column in columns:
            rows = db.execute(
                f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL"
            ).fetchall()
            for rowid, value in rows:
                when = decode_stamp(value)
                if when is None:
                    continue
                stamp = encode_stamp(when)
                if stamp != value:
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (stamp, rowid))


def _m8_no_job_store(db: sqlite3.Connection) -> None:
    # The daemon's jobs live in memory now (see worker.daemon.service): the
    # SQLAlchemy job store's table has nothing left to say.
    db.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def _m9_social(db: sqlite3.Connection) -> None:
    # People from LinkedIn and Facebook exports (worker.store.social): only
    # the fields Kizuna uses. ``identity`` embeds the source, so it is unique
    # across sources; ``contact_email`` is the contact a person matched.
    _script(
        db,
        """
        CREATE TABLE social_people (
            identity TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            name TEXT NOT NULL,
            first TEXT,
            last TEXT,
            email TEXT,
            organization TEXT,
            position TEXT,
            url TEXT,
            connected_on TEXT,
            contact_email TEXT,
            role_changed_on TEXT,
            candidates TEXT
        );
        CREATE INDEX social_people_source ON social_people (source);
        CREATE INDEX social_people_contact ON social_people (contact_email);
        CREATE TABLE social_imports (
            source TEXT PRIMARY KEY,
            as_of TEXT,
            imported_at TEXT NOT NULL,
            people INTEGER NOT NULL,
            matched INTEGER NOT NULL,
            unmatched INTEGER NOT NULL
        )
        """,
    )


def _m10_contact_notes(db: sqlite3.Connection) -> None:
    # Standing reasons, "never" and the history read from past mail, per contact
    # (worker.store.notes).
    db.execute(
        """
        CREATE TABLE contact_notes (
            email TEXT PRIMARY KEY,
            reason TEXT,
            never INTEGER NOT NULL DEFAULT 0,
            history TEXT,
            history_key TEXT,
            history_at TEXT,
            history_why TEXT,
            updated_at TEXT NOT NULL
        )
        """
    )


#: Registered schema migrations, applied in order, each in its own transaction.
MIGRATIONS: list[tuple[str, Migration]] = [
    ("scan", _m1_scan),
    ("reconnections", _m2_reconnections),
    ("reminders", _m3_reminders),
    ("lean-indexes", _m4_lean_indexes),
    ("no-message-id-index", _m5_no_message_id_index),
    ("keys-without-message-id", _m6_keys_without_message_id),
    ("one-time-codec", _m7_one_time_codec),
    ("no-job-store", _m8_no_job_store),
    ("social", _m9_social),
    ("contact-notes", _m10_contact_notes),
]
