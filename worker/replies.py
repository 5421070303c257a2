"""Notice sent reconnections and their replies; queue the thank-you, gift and nudges.

After each scan, :class:`ReplyProcessor` runs over the state:

1. Pending reconnection drafts that appear as sent mail become ``sent``
   (:meth:`worker.outreach.Outreach.mark_sent_from_index`).
2. For every ``sent`` reconnection, the contact's indexed mail is matched with
   :func:`find_reply` (pure). A reply marks the reconnection ``replied`` and,
   in one transaction, queues a ``thank-you`` reminder (due now), a ``gift``
   reminder (``gift_after_days`` after the reply) and the first
   ``keep-in-touch`` nudge (``keep_in_touch_days`` after the last contact).
   The whole reply is read once from IMAP (``BODY.PEEK[]`` in an EXAMINEd
   folder, so it stays unread) for a quote and :func:`worker.gifts.sounds_tired`.
3. Every thank-you reminder owns one threaded thank-you draft in Drafts,
   recorded as a ``reconnections`` row of kind ``thank-you`` with the fixed id
   ``thanks-<reconnection id>``. As for reconnection drafts, the intent row is
   committed before the APPEND, and a row still ``appending`` is first looked
   up in Drafts by its ``X-Kizuna-Id``: a crash never writes it twice.
4. Pending keep-in-touch nudges move to ``last_contact + keep_in_touch_days``
   after any real contact either way.

Every step is driven by the state, not by which rows are new, so processing
the same messages again (or after a crash) creates nothing new.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import imapclient
from imapclient.exceptions import IMAPClientError

from .compose import Profile, render_thank_you
from .gifts import sounds_tired
from .language import LANGUAGES
from .mailbuild import build_draft
from .model import Contact
from .outreach import Outreach, append_draft, drafts_folder, kizuna_drafts_on_server
from .reminders import Reminders, encode_due
from .replyparse import Reply, first_line, parse_reply
from .store import Store, decode_time

__all__ = [
    "MessageView",
    "SentReconnection",
    "match_reply",
    "find_reply",
    "thank_you_id",
    "ReplyProcessor",
    "ProcessResult",
]

log = logging.getLogger(__name__)


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split() if part.startswith("<"))


@dataclass(frozen=True)
class MessageView:
    """What reply matching needs of one indexed message (a ``messages`` row)."""

    row_id: int
    folder: str
    uid: int
    message_id: str | None
    sender: str | None
    time: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automated: str | None = None
    kizuna_kind: str | None = None
    subject: str = ""
    sender_name: str = ""

    @classmethod
    def from_row(cls, row: object) -> MessageView:
        r = row  # sqlite3.Row
        when = decode_time(r["tkey"])  # type: ignore[index]
        assert when is not None
        return cls(
            row_id=int(r["id"]),  # type: ignore[index]
            folder=r["folder"],  # type: ignore[index]
            uid=int(r["uid"]),  # type: ignore[index]
            message_id=r["message_id"],  # type: ignore[index]
            sender=r["sender"],  # type: ignore[index]
            time=when,
            in_reply_to=r["in_reply_to"],  # type: ignore[index]
            references=_ids(r["refs"]),  # type: ignore[index]
            automated=r["automated"],  # type: ignore[index]
            kizuna_kind=r["kizuna_kind"],  # type: ignore[index]
            subject=r["subject"] or "",  # type: ignore[index]
            sender_name=r["sender_name"] or "",  # type: ignore[index]
        )


@dataclass(frozen=True)
class SentReconnection:
    """A reconnection the user sent: who to, which Message-IDs name it, and when."""

    id: str
    email: str
    message_ids: frozenset[str]  # the sent copy's and the draft's Message-ID
    sent_at: datetime
    language: str = "en"
    subject: str = ""


def match_reply(msg: MessageView, sent: SentReconnection) -> str | None:
    """How ``msg`` answers ``sent``: ``"headers"``, ``"later"``, or None (not a reply).

    The contract: a non-automated message from that contact whose
    In-Reply-To/References names the sent message, or, failing those headers,
    any later non-automated message from that contact. Kizuna's own mail
    (``X-Kizuna-Kind``) never counts.
    """
    if msg.automated is not None or msg.kizuna_kind:
        return None
    if (msg.sender or "").lower() != sent.email.lower():
        return None
    named = {msg.in_reply_to, *msg.references} - {None}
    if named & sent.message_ids:
        return "headers"
    if msg.time > sent.sent_at:
        return "later"
    return None


def find_reply(
    messages: Iterable[MessageView], sent: SentReconnection
) -> tuple[MessageView, str] | None:
    """The reply to ``sent`` among ``messages``: a header match first, else the earliest later one."""
    by_headers: list[MessageView] = []
    later: list[MessageView] = []
    for msg in messages:
        how = match_reply(msg, sent)
        if how == "headers":
            by_headers.append(msg)
        elif how == "later":
            later.append(msg)
    for found, how in ((by_headers, "headers"), (later, "later")):
        if found:
            return min(found, key=lambda m: (m.time, m.row_id)), how
    return None


def thank_you_id(reconnection_id: str) -> str:
    """The fixed ``X-Kizuna-Id`` of a reconnection's thank-you draft."""
    return f"thanks-{reconnection_id}"


@dataclass
class ProcessResult:
    """What one pass found and did."""

    sent: list[str]
    replies: list[str]
    thank_you_drafts: list[str]
    rescheduled: list[str]


class ReplyProcessor:
    """Runs steps 1-4 above for a :class:`~worker.core.Kizuna`."""

    def __init__(self, kizuna: object) -> None:
        from .core import Kizuna

        assert isinstance(kizuna, Kizuna)
        self.kizuna = kizuna
        self.config = kizuna.config
        self.store: Store = kizuna.store
        self.reminders = Reminders(
            self.store, keep_in_touch_days=self.config.reminders.keep_in_touch_days
        )
        self._client: imapclient.IMAPClient | None = None
        self._client_cm: object | None = None

    # -- the IMAP connection, opened only when a pass needs it ----------------------

    def _imap(self) -> imapclient.IMAPClient:
        if self._client is None:
            cm = self.kizuna.imap()
            self._client = cm.__enter__()
            self._client_cm = cm
        return self._client

    def _close(self) -> None:
        if self._client_cm is not None:
            self._client_cm.__exit__(None, None, None)  # type: ignore[attr-defined]
        self._client = self._client_cm = None

    # -- the pass ----------------------------------------------------------------------

    def run(self, *, now: datetime | None = None) -> ProcessResult:
        """One pass over the state (after a scan). Idempotent.

        Matching sent drafts and replies and moving nudges depend only on the
        messages, the reconnections, the reminders and the rules: when none of
        them changed since the last pass (a daemon cycle with no new mail), that
        part is skipped, as it would find nothing. Thank-you drafts are always
        ensured (a failed APPEND is retried).
        """
        now = now or datetime.now(UTC)
        stamp = self._stamp()
        unchanged = stamp == self.store.get_meta("replies_stamp")
        sent: list[str] = []
        replies: list[str] = []
        rescheduled: list[str] = []
        try:
            if not unchanged:
                sent = Outreach(self.kizuna).mark_sent_from_index()
                for email in sent:
                    log.info("event=sent email=%s", email)
                for reconnection in self.sent_reconnections():
                    found = find_reply(self._messages_from(reconnection.email), reconnection)
                    if found:
                        msg, how = found
                        self._on_reply(reconnection, msg, how, now)
                        replies.append(reconnection.email)
            drafts = self.ensure_thank_you_drafts()
            if not unchanged:
                rescheduled = self.reset_keep_in_touch()
                # the stamp from before the pass: what the pass changed is looked at once more
                self.store.set_meta("replies_stamp", stamp)
        finally:
            self._close()
        return ProcessResult(sent, replies, drafts, rescheduled)

    def _stamp(self) -> str:
        """What the matching depends on, in one string."""
        tables = [
            tuple(row)
            for row in self.store.query(
                "SELECT COUNT(*), MAX(updated_at) FROM reconnections UNION ALL "
                "SELECT COUNT(*), MAX(updated_at) FROM reminders"
            )
        ]
        return json.dumps(
            [
                self.store.messages_version(),
                tables,
                sorted(self.config.me),
                self.config.policy.max_recipients,
                self.config.reminders.keep_in_touch_days,
            ]
        )

    def sent_reconnections(self) -> list[SentReconnection]:
        found = []
        for row in self.store.query(
            "SELECT * FROM reconnections WHERE kind = 'reconnection' AND status = 'sent' ORDER BY created_at"
        ):
            ids = {row["message_id"], row["sent_message_id"]} - {None, ""}
            sent_at = None
            if row["sent_message_id"]:
                hit = self.store.query(
                    "SELECT MIN(tkey) FROM messages WHERE mkey = ? AND message_id = ?",
                    (row["sent_message_id"], row["sent_message_id"]),
                )
                sent_at = decode_time(hit[0][0]) if hit and hit[0][0] is not None else None
            if sent_at is None:
                sent_at = datetime.fromisoformat(row["updated_at"])
            language = row["language"] if row["language"] in LANGUAGES else "en"
            found.append(
                SentReconnection(
                    row["id"], row["email"], frozenset(ids), sent_at, language, row["subject"]
                )
            )
        return found

    def _messages_from(self, email: str) -> list[MessageView]:
        rows = self.store.query("SELECT * FROM messages WHERE sender = ? ORDER BY id", (email,))
        return [MessageView.from_row(r) for r in rows]

    # -- a reply -------------------------------------------------------------------------

    def _fetch_reply(self, msg: MessageView) -> Reply | None:
        """The whole reply from IMAP, read without setting ``\\Seen``."""
        try:
            client = self._imap()
            client.select_folder(msg.folder, readonly=True)  # EXAMINE
            try:
                data = client.fetch([msg.uid], ["BODY.PEEK[]"]).get(msg.uid, {})
            finally:
                client.unselect_folder()
        except (IMAPClientError, OSError) as exc:
            log.warning(
                "event=reply_fetch_failed folder=%s uid=%s error=%s", msg.folder, msg.uid, exc
            )
            return None
        raw = data.get(b"BODY[]")
        return parse_reply(raw) if raw else None

    def _contact(self, email: str, fallback_name: str) -> Contact:
        found = self.store.contacts(self.config.me, self.config.policy.max_recipients, email=email)
        if found:
            return found[0]
        return Contact(email, fallback_name, None, None, None, None, 0, 0)

    def _on_reply(self, sent: SentReconnection, msg: MessageView, how: str, now: datetime) -> None:
        reply = self._fetch_reply(msg)
        new_text = reply.new_text if reply else ""
        contact = self._contact(sent.email, (reply.sender_name if reply else "") or msg.sender_name)
        subject = (reply.subject if reply and reply.subject else msg.subject) or sent.subject
        draft = render_thank_you(
            contact,
            Profile.of(self.config),
            sent.language,
            subject,
            override_dir=self.config.template_override,
        )
        references = [*(reply.references if reply else msg.references)]
        reply_time = min(msg.time, now)
        last_contact = max(filter(None, (contact.last_contact, reply_time)))
        detail: dict[str, object] = {
            "name": contact.name,
            "language": sent.language,
            "quote": first_line(new_text) if new_text else "",
            "tired": sounds_tired(new_text),
            "draft_subject": draft.subject,
            "reply_message_id": msg.message_id,
        }
        thank_detail = {
            **detail,
            "draft": {
                "to_name": contact.name,
                "subject": draft.subject,
                "body": draft.body,
                "in_reply_to": msg.message_id,
                "references": references,
            },
        }
        days = self.config.reminders
        with self.store.transaction() as db:
            cur = db.execute(
                "UPDATE reconnections SET status = 'replied', reply_message_id = ?, updated_at = ? "
                "WHERE id = ? AND status = 'sent'",
                (msg.message_id, now.isoformat(), sent.id),
            )
            if not cur.rowcount:
                return  # another pass got there first
            Reminders.queue(
                db,
                email=sent.email,
                kind="thank-you",
                due=now,
                reconnection=sent.id,
                detail=thank_detail,
                now=now,
            )
            Reminders.queue(
                db,
                email=sent.email,
                kind="gift",
                reconnection=sent.id,
                detail=detail,
                due=reply_time + timedelta(days=days.gift_after_days),
                now=now,
            )
            # one keep-in-touch chain per contact: an older one gives way to this one
            db.execute(
                "UPDATE reminders SET status = 'dismissed', updated_at = ? WHERE email = ? "
                "AND kind = 'keep-in-touch' AND status = 'pending' AND reconnection != ?",
                (encode_due(now), sent.email, sent.id),
            )
            Reminders.queue(
                db,
                email=sent.email,
                kind="keep-in-touch",
                reconnection=sent.id,
                detail=detail,
                due=last_contact + timedelta(days=days.keep_in_touch_days),
                now=now,
            )
        log.info(
            "event=reply email=%s reconnection=%s match=%s message_id=%s tired=%s",
            sent.email,
            sent.id,
            how,
            msg.message_id,
            detail["tired"],
        )

    # -- thank-you drafts ------------------------------------------------------------------

    def ensure_thank_you_drafts(self) -> list[str]:
        """Write the thank-you draft of every thank-you reminder that lacks one (crash-safe)."""
        todo = self.store.query(
            """SELECT r.reconnection, r.email, r.detail, t.status AS draft_status, t.message_id AS draft_mid
               FROM reminders r
               LEFT JOIN reconnections t ON t.id = 'thanks-' || r.reconnection
               WHERE r.kind = 'thank-you' AND (t.id IS NULL OR t.status = 'appending')"""
        )
        if not todo:
            return []
        client = self._imap()
        folder = drafts_folder(client)
        on_server = kizuna_drafts_on_server(client, folder)
        written = []
        for row in todo:
            tid = thank_you_id(row["reconnection"])
            if tid in on_server:
                self._draft_status(tid, "pending")
                continue
            written.append(self._write_thank_you(client, folder, tid, row))
        return written

    def _draft_status(self, tid: str, status: str) -> None:
        now = datetime.now(UTC).isoformat()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE reconnections SET status = ?, updated_at = ? WHERE id = ?",
                (status, now, tid),
            )

    def _write_thank_you(
        self, client: imapclient.IMAPClient, folder: str, tid: str, row: object
    ) -> str:
        r = row  # sqlite3.Row
        detail = json.loads(r["detail"])  # type: ignore[index]
        spec = detail.get("draft") or {}
        account = self.config.account
        msg = build_draft(
            from_name=account.display_name,
            from_addr=account.addresses[0],
            to_name=str(spec.get("to_name") or ""),
            to_addr=r["email"],  # type: ignore[index]
            subject=str(spec.get("subject") or "Re: Thank you"),
            body=str(spec.get("body") or ""),
            kizuna_id=tid,
            in_reply_to=spec.get("in_reply_to") or None,
            references=[str(x) for x in spec.get("references") or ()],
            message_id=r["draft_mid"] or None,  # type: ignore[index]
        )
        message_id = str(msg["Message-ID"])
        now = datetime.now(UTC).isoformat()
        with self.store.transaction() as db:  # the intent, before the APPEND
            db.execute(
                "INSERT OR IGNORE INTO reconnections (id, email, kind, status, subject, message_id, "
                "language, created_at, updated_at, parent, reply_message_id) "
                "VALUES (?, ?, 'thank-you', 'appending', ?, ?, ?, ?, ?, ?, ?)",
                (
                    tid,
                    r["email"],
                    str(msg["Subject"]),
                    message_id,
                    detail.get("language") or "en",  # type: ignore[index]
                    now,
                    now,
                    r["reconnection"],
                    spec.get("in_reply_to"),
                ),  # type: ignore[index]
            )
        append_draft(client, folder, bytes(msg))
        self._draft_status(tid, "pending")
        log.info(
            "event=thank_you_draft email=%s id=%s subject=%r", r["email"], tid, str(msg["Subject"])
        )  # type: ignore[index]
        return str(r["email"])  # type: ignore[index]

    # -- keep in touch -----------------------------------------------------------------------

    def reset_keep_in_touch(self) -> list[str]:
        """Move pending nudges after real contact either way (see :func:`keep_in_touch_due`)."""
        emails = [
            r[0]
            for r in self.store.query(
                "SELECT DISTINCT email FROM reminders WHERE kind = 'keep-in-touch' AND status = 'pending'"
            )
        ]
        moved = []
        for email in emails:
            found = self.store.contacts(
                self.config.me, self.config.policy.max_recipients, email=email
            )
            if found and self.reminders.reset_keep_in_touch(email, found[0].last_contact):
                log.info(
                    "event=keep_in_touch_reset email=%s last_contact=%s",
                    email,
                    found[0].last_contact.isoformat() if found[0].last_contact else None,
                )
                moved.append(email)
        return moved
