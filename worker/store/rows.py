"""How a message becomes rows of ``messages`` and ``recipients``: pure encoding, batched inserts.

Shared by the scan's writes, the helper's staging database and migration 6
(which re-keys stored rows with :func:`content_key`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain

from worker.mail.rules import normalize_subject
from worker.model import MessageFacts
from worker.store.timecodec import encode_time

__all__ = [
    "MESSAGE_COLUMNS",
    "INSERT_MESSAGE",
    "INSERT_RECIPIENT",
    "ROWS_PER_INSERT",
    "insert_rows",
    "next_message_id",
    "content_key",
    "message_rows",
]

MESSAGE_COLUMNS = (
    "id, folder, uid, mkey, message_id, tkey, sender, sender_name, subject, thread, "
    "in_reply_to, refs, automated, rcpt_count, kizuna_id, kizuna_kind"
)
# Binding None costs Python 3.11's sqlite3 module a failed adapter lookup (an
# AttributeError made and dropped, ~3,300 instructions); a message row has several. The
# columns that are only ever a non-empty text or NULL are bound as "" for
# "none" instead, and NULLIF stores NULL.
OPTIONAL_TEXT = frozenset(
    {"message_id", "in_reply_to", "refs", "automated", "kizuna_id", "kizuna_kind"}
)
INSERT_MESSAGE = "INSERT INTO messages ({}) VALUES ({})".format(
    MESSAGE_COLUMNS,
    ", ".join(
        "NULLIF(?, '')" if column in OPTIONAL_TEXT else "?"
        for column in MESSAGE_COLUMNS.split(", ")
    ),
)
INSERT_RECIPIENT = "INSERT INTO recipients (msg, email, name) VALUES (?, ?, ?)"
# Rows per INSERT statement: each statement costs SQLite a program start and
# the sqlite3 module a step (the GIL let go and taken back), shared by the rows
# of a multi-row VALUES. 32 message rows bind 512 values (SQLite allows 32,766).
ROWS_PER_INSERT = 32


def insert_rows(db: sqlite3.Connection, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
    """``db.executemany(sql, rows)`` of a one-row ``INSERT ... VALUES (...)``, several rows a statement."""
    per = ROWS_PER_INSERT
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
    """A one-row ``INSERT ... VALUES (...)`` made to take ``ROWS_PER_INSERT`` rows."""
    head, _, values = sql.partition(" VALUES ")
    return f"{head} VALUES {', '.join([values] * ROWS_PER_INSERT)}"


def next_message_id(db: sqlite3.Connection) -> int:
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

    The optional text columns are "" for none (see ``INSERT_MESSAGE``).
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
