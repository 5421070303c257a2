"""Deliver due reminders as prompt mails: APPEND to INBOX, or send by SMTP.

``[reminders] delivery``:

``imap``  the prompt is appended to INBOX flagged and unread (``\\Flagged``,
          no ``\\Seen``), like new mail.
``smtp``  the prompt is sent to the user's first address through ``[smtp]``
          (TLS, STARTTLS, or plain on loopback; the certificate is verified,
          ``ca_file`` trusted). No copy goes to Sent.

Exactly once: each delivery has a deterministic Message-ID
(:func:`prompt_message_id`: reminder id, delivery number and a per-state
salt), recorded on the reminder *before* anything is sent. A reminder that
already carries one was perhaps delivered by a run that died before marking
it, so INBOX is searched for that Message-ID first (``HEADER Message-ID``) and
a hit only marks it delivered. (Over SMTP the check sees the prompt only once
the server has put it in INBOX, so a crash in that instant could still send it
twice; IMAP delivery has no such gap.)

A failed delivery (server down, login refused) is logged with a clear reason,
counted (``attempts``, ``last_error``) and left ``pending``: the next tick
tries again.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import imapclient
from imapclient.exceptions import IMAPClientError

from worker.config import Config, Smtp
from worker.errors import DeliveryError, KizunaError
from worker.followup.prompts import (
    Prompt,
    build_prompt_message,
    gift_prompt,
    keep_in_touch_prompt,
    thank_you_prompt,
)
from worker.mail.build import domain_of
from worker.mail.imap import ImapOpener, SecretLookup, examined, tls_context
from worker.store import Store
from worker.store.reminders import Reminder, ReminderKind, Reminders

__all__ = [
    "Deliverer",
    "DeliveryReport",
    "prompt_for",
    "prompt_message_id",
    "send_smtp",
]

log = logging.getLogger(__name__)


def _replied_at(reminder: Reminder) -> datetime | None:
    value = reminder.detail.get("replied_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def prompt_for(
    reminder: Reminder, last_contact: datetime | None, now: datetime, user_language: str = "en"
) -> Prompt:
    """The prompt mail's subject and text for a reminder (pure), in the user's language.

    The drafts are in the contact's language (``reminder.language``); Kizuna's
    own mail to the user is in ``user_language`` (``[account] language``).
    """
    d = reminder.detail
    if reminder.kind == "thank-you":
        kind = d.get("reply_kind")
        time = d.get("proposed_time")
        return thank_you_prompt(
            reminder.name,
            reminder.email,
            str(d.get("quote") or ""),
            reminder.draft_subject,
            user_language,
            reply_kind=kind if isinstance(kind, str) else "unknown",
            proposed_time=time if isinstance(time, str) else None,
        )
    if reminder.kind == "gift":
        return gift_prompt(
            reminder.name,
            reminder.email,
            reminder.tired,
            user_language,
            favour=reminder.favour,
            reminder_id=reminder.id,
            replied_at=_replied_at(reminder),
        )
    when = last_contact or reminder.due
    return keep_in_touch_prompt(reminder.name, reminder.email, when, user_language, now=now)


def prompt_message_id(reminder: Reminder, salt: str, domain: str) -> str:
    """The deterministic Message-ID of this reminder's next delivery."""
    return f"<kizuna-reminder-{reminder.id}.{reminder.deliveries}.{salt}@{domain}>"


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


async def _smtp_send(
    smtp: Smtp, password: str | None, msg: EmailMessage, sender: str, recipient: str
) -> None:
    context = tls_context(smtp.ca_file) if smtp.security != "none" else None
    credentials: dict[str, Any] = {"password": password}
    if password is None:  # XOAUTH2: a fresh token from oauth2_token_cmd for each login

        async def token() -> str:
            return smtp.oauth2_token() or ""

        credentials = {"oauth_token_generator": token}
    await aiosmtplib.send(
        msg,
        sender=sender,
        recipients=[recipient],
        hostname=smtp.host,
        port=smtp.effective_port,
        username=smtp.username,
        **credentials,
        use_tls=smtp.security == "tls",
        start_tls=smtp.security == "starttls",
        tls_context=context,
        timeout=smtp.timeout,
    )


def send_smtp(
    smtp: Smtp, password: str | None, msg: EmailMessage, sender: str, recipient: str
) -> None:
    """Send one message; raises :class:`DeliveryError` with a one-line reason.

    ``password`` None means XOAUTH2 with a token from ``oauth2_token_cmd``.
    """
    where = f"{smtp.host}:{smtp.effective_port}"
    try:
        asyncio.run(_smtp_send(smtp, password, msg, sender, recipient))
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP login refused for {smtp.username} at {where}: {exc.code} {exc.message}",
            smtp.host,
            smtp.effective_port,
            connection=True,
        ) from None
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
        raise DeliveryError(
            f"cannot reach SMTP server {where}: {exc}",
            smtp.host,
            smtp.effective_port,
            connection=True,
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise DeliveryError(
            f"SMTP delivery via {where} failed: {exc}", smtp.host, smtp.effective_port
        ) from None


class Deliverer:
    """Delivers the due reminders; what it needs is handed in, never looked up."""

    def __init__(
        self, config: Config, store: Store, imap: ImapOpener, secret: SecretLookup
    ) -> None:
        self.config = config
        self.store = store
        self.imap = imap
        self.secret = secret
        self.reminders = Reminders(
            self.store, keep_in_touch_days=self.config.reminders.keep_in_touch_days
        )

    @property
    def salt(self) -> str:
        """A random id of this state, so two states never share a prompt Message-ID."""
        salt = self.store.get_meta("instance")
        if not salt:
            salt = uuid.uuid4().hex[:12]
            self.store.set_meta("instance", salt)
        return salt

    def message(self, reminder: Reminder, now: datetime) -> EmailMessage:
        account = self.config.account
        last = None
        if reminder.kind == ReminderKind.KEEP_IN_TOUCH:
            found = self.store.contacts(
                self.config.me, self.config.policy.max_recipients, email=reminder.email
            )
            last = (
                found[0].last_contact
                if found
                else reminder.due - timedelta(days=self.config.reminders.keep_in_touch_days)
            )
        prompt = prompt_for(reminder, last, now, self.config.user_language)
        me = account.addresses[0]
        return build_prompt_message(
            prompt,
            me,
            me,
            account.display_name,
            reminder.message_id or prompt_message_id(reminder, self.salt, domain_of(me)),
        )

    def deliver_due(self, *, now: datetime | None = None) -> DeliveryReport:
        """Deliver every pending reminder that is due. Never raises for one bad delivery."""
        now = now or datetime.now(UTC)
        report = DeliveryReport()
        due = self.reminders.due_now(now)
        if not due:
            return report
        if self.config.reminders.delivery == "smtp":
            self._deliver_smtp(due, now, report)
        else:
            self._deliver_imap(due, now, report)
        return report

    # -- bookkeeping ----------------------------------------------------------------

    def _begin(self, reminder: Reminder, now: datetime) -> tuple[EmailMessage, bool]:
        """The message to send, and whether an earlier attempt may have sent it."""
        retry = reminder.message_id is not None
        msg = self.message(reminder, now)
        if not retry:
            self.reminders.begin_delivery(reminder.id, str(msg["Message-ID"]))
        return msg, retry

    def _done(self, reminder: Reminder, report: DeliveryReport, how: str) -> None:
        self.reminders.delivered(reminder)
        report.delivered.append(reminder.id)
        log.info(
            "event=reminder_delivered id=%s kind=%s email=%s via=%s",
            reminder.id,
            reminder.kind,
            reminder.email,
            how,
        )

    def _fail(self, reminder: Reminder, error: str, report: DeliveryReport) -> None:
        self.reminders.failed(reminder.id, error)
        report.failed.append((reminder.id, error))
        log.error(
            "event=reminder_delivery_failed id=%s kind=%s email=%s attempt=%s error=%r",
            reminder.id,
            reminder.kind,
            reminder.email,
            reminder.attempts + 1,
            error,
        )

    # -- IMAP: APPEND to INBOX --------------------------------------------------------

    @staticmethod
    def in_inbox(client: imapclient.IMAPClient, message_id: str) -> bool:
        with examined(client, "INBOX"):
            return bool(client.search(["HEADER", "Message-ID", message_id]))

    def _deliver_imap(self, due: list[Reminder], now: datetime, report: DeliveryReport) -> None:
        try:
            with self.imap() as client:
                for reminder in due:
                    try:
                        msg, retry = self._begin(reminder, now)
                        mid = str(msg["Message-ID"])
                        if retry and self.in_inbox(client, mid):
                            self._done(reminder, report, "imap (found after restart)")
                            continue
                        client.append(
                            "INBOX", msg.as_bytes(policy=email.policy.SMTP), flags=(b"\\Flagged",)
                        )
                        self._done(reminder, report, "imap")
                    except (IMAPClientError, OSError) as exc:
                        self._fail(reminder, f"cannot append the prompt to INBOX: {exc}", report)
                        return
        except KizunaError as exc:
            for reminder in due:
                if reminder.id not in report.delivered and all(
                    f[0] != reminder.id for f in report.failed
                ):
                    self._fail(reminder, str(exc), report)

    # -- SMTP -----------------------------------------------------------------------------

    def _already_in_inbox(self, message_id: str) -> bool:
        try:
            with self.imap() as client:
                return self.in_inbox(client, message_id)
        except (KizunaError, IMAPClientError, OSError) as exc:
            log.warning("event=inbox_check_failed message_id=%s error=%s", message_id, exc)
            return False

    def _deliver_smtp(self, due: list[Reminder], now: datetime, report: DeliveryReport) -> None:
        smtp = self.config.smtp
        assert smtp is not None  # the config refuses delivery = "smtp" without [smtp]
        try:
            password = None if smtp.oauth2_token_cmd else smtp.secret("smtp", self.secret)
        except KizunaError as exc:
            for reminder in due:
                self._fail(reminder, str(exc), report)
            return
        me = self.config.account.addresses[0]
        for reminder in due:
            msg, retry = self._begin(reminder, now)
            if retry and self._already_in_inbox(str(msg["Message-ID"])):
                self._done(reminder, report, "smtp (found after restart)")
                continue
            try:
                send_smtp(smtp, password, msg, me, me)
            except DeliveryError as exc:
                self._fail(reminder, str(exc), report)
                if exc.connection:
                    # the next ones would fail the same way: retry them all next tick
                    for rest in due[due.index(reminder) + 1 :]:
                        self._fail(rest, str(exc), report)
                    return
                continue
            self._done(reminder, report, "smtp")
