"""Notice sent reconnections and their replies; queue the thank-you, gift and nudges.

After each scan, :class:`ReplyProcessor` runs over the state:

1. Pending reconnection drafts that appear as sent mail become ``sent``
   (:meth:`worker.outreach.drafting.Outreach.mark_sent_from_index`).
2. For every ``sent`` reconnection, the contact's indexed mail is matched with
   :func:`find_reply` (pure). A reply marks the reconnection ``replied`` and,
   in one transaction, queues a ``thank-you`` reminder (due now), a ``gift``
   reminder (``gift_after_days`` after the reply) and the first
   ``keep-in-touch`` nudge (``keep_in_touch_days`` after the last contact).
   The whole reply is read once from IMAP (``BODY.PEEK[]`` in an EXAMINEd
   folder, so it stays unread) for a quote, what kind of reply it is
   (:func:`worker.words.replies.classify_reply`) and whether they sounded
   tired (:func:`worker.words.gifts.sounds_tired`). The thank-you draft answers
   that kind (:mod:`worker.followup.thanks`); its tone warnings go to the log
   (``event=tone_warning``), worded in ``[account] language``, never into the draft.
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

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import imapclient
from imapclient.exceptions import IMAPClientError

from worker.config import Config
from worker.followup.matching import MessageView, SentReconnection, find_reply, match_reply
from worker.followup.thanks import thank_you_draft
from worker.mail.build import build_draft
from worker.mail.drafts import append_draft, drafts_folder, kizuna_drafts_on_server
from worker.mail.imap import ImapOpener, examined, fetch_item
from worker.mail.replyparse import Reply, first_line, parse_reply
from worker.model import Contact
from worker.outreach.compose import Profile
from worker.outreach.drafting import Outreach
from worker.store import Store
from worker.store.reconnections import ReconnectionKind, Reconnections, ReconnectionStatus
from worker.store.reminders import Reminder, ReminderKind, Reminders
from worker.store.timecodec import decode_time
from worker.words.gifts import sounds_tired
from worker.words.language import LANGUAGES
from worker.words.tone import warning_text

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
    """Runs steps 1-4 above; what it needs is handed in, never looked up."""

    def __init__(self, config: Config, store: Store, imap: ImapOpener) -> None:
        self.config = config
        self.store = store
        self.imap = imap
        self.reconnections: Reconnections = store.reconnections
        self.reminders = Reminders(store, keep_in_touch_days=config.reminders.keep_in_touch_days)
        self._client: imapclient.IMAPClient | None = None
        self._connection = contextlib.ExitStack()

    # -- the IMAP connection, opened only when a pass needs it ----------------------

    def _imap(self) -> imapclient.IMAPClient:
        if self._client is None:
            self._client = self._connection.enter_context(self.imap())
        return self._client

    def _close(self) -> None:
        self._client = None
        self._connection.close()

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
                sent = Outreach(self.config, self.store, self.imap).mark_sent_from_index()
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
        return json.dumps(
            [
                self.store.messages_version(),
                [self.reconnections.stamp(), self.reminders.stamp()],
                sorted(self.config.me),
                self.config.policy.max_recipients,
                self.config.reminders.keep_in_touch_days,
            ]
        )

    def sent_reconnections(self) -> list[SentReconnection]:
        found = []
        for row in self.reconnections.list(statuses=[ReconnectionStatus.SENT]):
            ids = {row.message_id, row.sent_message_id} - {None, ""}
            sent_at = None
            if row.sent_message_id:
                sent_at = decode_time(self.store.first_time_of(row.sent_message_id))
            if sent_at is None:
                sent_at = row.updated_at
            language = row.language if row.language in LANGUAGES else "en"
            found.append(
                SentReconnection(
                    row.id,
                    row.email,
                    frozenset(i for i in ids if i),
                    sent_at,
                    language,
                    row.subject,
                )
            )
        return found

    def _messages_from(self, email: str) -> list[MessageView]:
        return [MessageView.from_row(r) for r in self.store.messages_from(email)]

    # -- a reply -------------------------------------------------------------------------

    def _fetch_reply(self, msg: MessageView) -> Reply | None:
        """The whole reply from IMAP, read without setting ``\\Seen``."""
        try:
            client = self._imap()
            with examined(client, msg.folder):
                data = client.fetch([msg.uid], ["BODY.PEEK[]"]).get(msg.uid, {})
        except (IMAPClientError, OSError) as exc:
            log.warning(
                "event=reply_fetch_failed folder=%s uid=%s error=%s", msg.folder, msg.uid, exc
            )
            return None
        raw = fetch_item(data, b"BODY[]")
        return parse_reply(raw) if isinstance(raw, bytes) and raw else None

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
        thanks = thank_you_draft(
            contact,
            Profile.of(self.config),
            sent.language,
            subject,
            new_text=new_text,
            reply_text=reply.text if reply else "",
            override_dir=self.config.template_override,
        )
        draft = thanks.draft
        references = [*(reply.references if reply else msg.references)]
        reply_time = min(msg.time, now)
        last_contact = max(filter(None, (contact.last_contact, reply_time)))
        detail: dict[str, object] = {
            "name": contact.name,
            "language": sent.language,
            "quote": first_line(new_text) if new_text else "",
            "tired": sounds_tired(new_text),
            "reply_kind": thanks.kind.value,
            "proposed_time": thanks.reading.time_phrase,
            "draft_subject": draft.subject,
            "reply_message_id": msg.message_id,
            "replied_at": reply_time.isoformat(),
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
            if not Reconnections.mark_replied(db, sent.id, msg.message_id or "", now):
                return  # another pass got there first
            Reminders.queue(
                db,
                email=sent.email,
                kind=ReminderKind.THANK_YOU,
                due=now,
                reconnection=sent.id,
                detail=thank_detail,
                now=now,
            )
            Reminders.queue(
                db,
                email=sent.email,
                kind=ReminderKind.GIFT,
                reconnection=sent.id,
                detail=detail,
                due=reply_time + timedelta(days=days.gift_after_days),
                now=now,
            )
            # one keep-in-touch chain per contact: an older one gives way to this one
            Reminders.end_other_chains(db, sent.email, sent.id, now)
            Reminders.queue(
                db,
                email=sent.email,
                kind=ReminderKind.KEEP_IN_TOUCH,
                reconnection=sent.id,
                detail=detail,
                due=last_contact + timedelta(days=days.keep_in_touch_days),
                now=now,
            )
        log.info(
            "event=reply email=%s reconnection=%s match=%s message_id=%s kind=%s tired=%s",
            sent.email,
            sent.id,
            how,
            msg.message_id,
            thanks.kind.value,
            detail["tired"],
        )
        for warning in thanks.warnings:
            # for the person reviewing the draft, in their language; never inside the draft
            log.warning(
                "event=tone_warning email=%s draft=thank-you where=%s category=%s message=%r",
                sent.email,
                warning.where,
                warning.category,
                warning_text(warning, self.config.user_language),
            )

    # -- thank-you drafts ------------------------------------------------------------------

    def ensure_thank_you_drafts(self) -> list[str]:
        """Write the thank-you draft of every thank-you reminder that lacks one (crash-safe)."""
        todo = self.reminders.thank_yous_without_draft()
        if not todo:
            return []
        client = self._imap()
        folder = drafts_folder(client)
        on_server = kizuna_drafts_on_server(client, folder)
        written = []
        for reminder, draft_mid in todo:
            tid = thank_you_id(reminder.reconnection)
            if tid in on_server:
                self.reconnections.set_status(tid, ReconnectionStatus.PENDING)
                continue
            written.append(self._write_thank_you(client, folder, tid, reminder, draft_mid))
        return written

    def _write_thank_you(
        self,
        client: imapclient.IMAPClient,
        folder: str,
        tid: str,
        reminder: Reminder,
        draft_mid: str | None,
    ) -> str:
        spec = reminder.detail.get("draft")
        spec = spec if isinstance(spec, dict) else {}
        account = self.config.account
        references = spec.get("references") or ()
        msg = build_draft(
            from_name=account.display_name,
            from_addr=account.addresses[0],
            to_name=str(spec.get("to_name") or ""),
            to_addr=reminder.email,
            subject=str(spec.get("subject") or "Re: Thank you"),
            body=str(spec.get("body") or ""),
            kizuna_id=tid,
            in_reply_to=str(spec.get("in_reply_to") or "") or None,
            references=[str(x) for x in references] if isinstance(references, list) else [],
            message_id=draft_mid or None,
        )
        in_reply_to = spec.get("in_reply_to")
        self.reconnections.add(  # the intent, before the APPEND
            tid,
            email=reminder.email,
            kind=ReconnectionKind.THANK_YOU,
            status=ReconnectionStatus.APPENDING,
            subject=str(msg["Subject"]),
            message_id=str(msg["Message-ID"]),
            language=reminder.language,
            parent=reminder.reconnection,
            reply_message_id=str(in_reply_to) if in_reply_to else None,
            if_new=True,
        )
        append_draft(client, folder, bytes(msg))
        self.reconnections.set_status(tid, ReconnectionStatus.PENDING)
        log.info(
            "event=thank_you_draft email=%s id=%s subject=%r",
            reminder.email,
            tid,
            str(msg["Subject"]),
        )
        return reminder.email

    # -- keep in touch -----------------------------------------------------------------------

    def reset_keep_in_touch(self) -> list[str]:
        """Move pending nudges after real contact either way (see :func:`keep_in_touch_due`)."""
        moved = []
        for email in self.reminders.keep_in_touch_emails():
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
