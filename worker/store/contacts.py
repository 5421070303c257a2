"""The contact rule in SQL: the only place it is stated.

A message counts as contact with an address when it is in a scanned folder,
is not automated and has at most ``max_recipients`` recipients; sent = from
one of my addresses to that address, received = from that address; a contact
has at least one qualifying message each way (../shared/CONTRACT.md, "Contact
rules"). Dormancy and ranking build on this in :mod:`worker.outreach.contacts`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from worker.model import Contact
from worker.store.db import Database
from worker.store.timecodec import decode_time

__all__ = ["ContactsMixin"]


class ContactsMixin(Database):
    """The contact queries, mixed into :class:`~worker.store.Store`."""

    def contacts(
        self,
        me: frozenset[str],
        max_recipients: int,
        *,
        email: str | None = None,
        emails: Iterable[str] | None = None,
    ) -> list[Contact]:
        """The contact index: addresses with qualifying mail both ways (unsorted).

        Computed from the message facts on each call, so a change of
        ``max_recipients`` or of my addresses applies at once. ``email`` or
        ``emails``: only those addresses, in one pass over the mail (the sent
        half reads all my sent mail whatever the count: looking up five
        addresses one by one costs five passes).
        """
        me_json = json.dumps(sorted(me))
        wanted = sorted({e.lower() for e in ([email] if email else []) + list(emails or [])})
        picked = email is not None or emails is not None
        # some addresses: filter where the rows are read, not after aggregating them all
        sent_email = "AND r.email IN (SELECT value FROM json_each(:emails))" if picked else ""
        received_email = "AND q.sender IN (SELECT value FROM json_each(:emails))" if picked else ""
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
            {"me": me_json, "cap": max_recipients, "emails": json.dumps(wanted)},
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

    def contact_names(self, me: frozenset[str], max_recipients: int) -> dict[str, set[str]]:
        """Every contact's address with all the display names seen for it in qualifying mail.

        The names come from the messages that count (the contact rule): the
        name on their own messages and the names I wrote to them under. A
        contact seen without a name maps to an empty set. Used to match
        people from social exports by name (:mod:`worker.social.importer`).
        """
        rows = self.query(
            """
            WITH me(addr) AS (SELECT value FROM json_each(:me)),
            q AS (
                SELECT id, sender, sender_name FROM messages
                WHERE automated IS NULL AND rcpt_count <= :cap AND sender IS NOT NULL
            ),
            ev AS (
                SELECT r.email AS email, 1 AS sent, r.name AS name
                FROM q JOIN recipients r ON r.msg = q.id
                WHERE q.sender IN (SELECT addr FROM me) AND r.email NOT IN (SELECT addr FROM me)
                UNION ALL
                SELECT q.sender, 0, q.sender_name FROM q WHERE q.sender NOT IN (SELECT addr FROM me)
            ),
            contact AS (
                SELECT email FROM ev GROUP BY email HAVING MAX(sent) = 1 AND MIN(sent) = 0
            )
            SELECT DISTINCT ev.email AS email, ev.name AS name
            FROM ev JOIN contact ON contact.email = ev.email
            """,
            {"me": json.dumps(sorted(me)), "cap": max_recipients},
        )
        found: dict[str, set[str]] = {}
        for row in rows:
            names = found.setdefault(row["email"], set())
            if row["name"]:
                names.add(row["name"])
        return found
