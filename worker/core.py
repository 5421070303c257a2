"""Kizuna's library core: the operations the CLI, the daemon and the local API share.

With a mail server to talk to::

    kizuna = Kizuna(load_config("~/.config/kizuna/config.toml"))
    kizuna.scan().to_json()
    # {'folders': 4, 'messages': 1234, 'new_messages': 12, 'contacts': 87}
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import imapclient

from worker.config import Config
from worker.fsutil import InstanceLock
from worker.mail.imap import connect
from worker.model import Contact
from worker.scan.scanner import Scanner, ScanResult
from worker.store import Store
from worker.store.reminders import Reminder, Reminders
from worker.store.social import SocialPerson
from worker.vault import Vault

if TYPE_CHECKING:  # the services load when first used: ``kizuna scan`` starts without them
    from worker.followup.delivery import DeliveryReport
    from worker.followup.replies import ProcessResult
    from worker.outreach.drafting import DraftOutcome, Skipped

__all__ = ["Kizuna", "HEARTBEAT_KEY", "LOCK_NAME"]

#: The ``meta`` key of the daemon's heartbeat (JSON), read by :meth:`Kizuna.status`.
HEARTBEAT_KEY = "daemon"
#: The daemon's instance lock in the state directory (see :class:`~worker.fsutil.InstanceLock`).
LOCK_NAME = "kizuna.lock"

log = logging.getLogger(__name__)


class Kizuna:
    """One configured Kizuna: its config, its state and its mail server."""

    def __init__(self, config: Config, *, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store(config.state_path)
        self.vault = Vault(config.state_dir)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Kizuna:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------------------

    def secret(self, name: str) -> str | None:
        return self.vault.get(name)

    @contextlib.contextmanager
    def imap(self) -> Iterator[imapclient.IMAPClient]:
        """A logged-in IMAP connection, logged out afterwards."""
        client = connect(self.config.account, self.secret)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    # -- scan and contacts --------------------------------------------------------------

    def scan(
        self,
        *,
        progress: bool | None = None,
        on_batch: Callable[[str, int], None] | None = None,
        batch_size: int = 2000,
        parallel: bool = False,
    ) -> ScanResult:
        """Sync the mailbox into the state (incremental after the first run).

        ``parallel`` lets a big scan fork a helper process to parse headers on
        the second core (for single-threaded callers such as ``kizuna scan``).
        """
        with self.imap() as client:
            scanner = Scanner(
                self.config,
                self.store,
                client,
                progress=progress,
                on_batch=on_batch,
                batch_size=batch_size,
                parallel=parallel,
            )
            result = scanner.run()
        result.contacts = self._contact_count()
        self.store.set_meta("last_scan", datetime.now(UTC).isoformat())
        self.relink_social()
        return result

    def _contact_count(self) -> int:
        """How many contacts, recomputed only when the messages or the rules changed."""
        policy, me = self.config.policy, self.config.me
        return self.store.cached(
            "contact_count",
            lambda: self.store.contact_count(me, policy.max_recipients),
            policy.max_recipients,
            sorted(me),
        )

    def contacts(self, *, dormant: bool = False, now: datetime | None = None) -> list[Contact]:
        """The contact index, most dormant (oldest last contact) first."""
        from worker.outreach.contacts import contact_index

        return contact_index(self.config, self.store, dormant=dormant, now=now)

    # -- social exports ----------------------------------------------------------------

    def import_social(
        self, kind: str, path: str, progress: Callable[[int], None] | None = None
    ) -> dict[str, int]:
        """Import a LinkedIn or Facebook export (``kizuna import``): its counts."""
        from worker.social.importer import import_export

        return import_export(self.store, self.config, kind, path, progress)

    def forget_social(self, kind: str) -> int:
        """Delete everything one source's imports stored (``kizuna import --forget``)."""
        from worker.social.importer import forget

        return forget(self.store, kind)

    def relink_social(self) -> int:
        """After a scan: link people from exports whose address is now in mail."""
        from worker.social.importer import relink

        return relink(self.store, self.config)

    def social_unmatched(self) -> list[SocialPerson]:
        """People from exports not matched to any contact (the page lists them apart)."""
        return self.store.social.people(matched=False)

    # -- drafts ------------------------------------------------------------------------

    def draft(
        self,
        emails: Iterable[str] = (),
        *,
        limit: int | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
        reason: str | None = None,
    ) -> tuple[list[DraftOutcome], list[Skipped]]:
        """Reconnection drafts into Drafts for the top dormant contacts (or those named).

        ``reason``: the reason for these drafts only (named contacts only).
        """
        from worker.outreach.drafting import Outreach  # templates load only when drafting

        return Outreach(self.config, self.store, self.imap).run(
            emails, limit=limit, dry_run=dry_run, now=now, reason=reason
        )

    # -- one contact (kizuna contact, the page's preview) ---------------------------------

    def contact(
        self,
        email: str,
        *,
        reason: str | None = None,
        never: bool | None = None,
        read_history: bool = True,
        now: datetime | None = None,
    ) -> dict[str, object] | None:
        """One contact's JSON object plus ``reason`` and ``history``; None when not a contact.

        ``reason`` stores a standing reason (``""`` clears it); ``never`` True
        stops proposing them, False undoes it. With ``read_history`` a stale or
        missing history is read from the server (read-only) first.
        """
        from worker.outreach.people import contact_document

        return contact_document(
            self.config,
            self.store,
            self.imap,
            email,
            reason=reason,
            never=never,
            read_history=read_history,
            now=now,
        )

    # -- replies and reminders ---------------------------------------------------------

    def _reminders(self) -> Reminders:
        return Reminders(self.store, keep_in_touch_days=self.config.reminders.keep_in_touch_days)

    def reminders(self) -> list[Reminder]:
        """Queued and done reminders, soonest due first (``kizuna reminders``)."""
        return self._reminders().list()

    def set_reminder_status(self, reminder_id: int, status: str) -> Reminder:
        """Mark a reminder ``done`` or ``dismissed``."""
        return self._reminders().set_status(reminder_id, status)

    def snooze_reminder(self, reminder_id: int, days: float) -> Reminder:
        """Make a reminder due again ``days`` from now (pending again)."""
        return self._reminders().snooze(reminder_id, days)

    def process_replies(self) -> ProcessResult:
        """After a scan: notice sent drafts and replies, queue reminders and thank-you drafts."""
        from worker.followup.replies import ReplyProcessor  # loads the composer

        return ReplyProcessor(self.config, self.store, self.imap).run()

    def deliver_reminders(self) -> DeliveryReport:
        """Deliver every due reminder now (INBOX or SMTP, per ``[reminders] delivery``)."""
        from worker.followup.delivery import Deliverer  # loads aiosmtplib

        return Deliverer(self.config, self.store, self.imap, self.secret).deliver_due()

    def status(self) -> dict[str, object]:
        """Whether the daemon runs, its heartbeat, and what waits (``kizuna status``)."""
        try:
            beat = json.loads(self.store.get_meta(HEARTBEAT_KEY) or "{}")
        except ValueError:
            beat = {}
        running = InstanceLock.held(self.config.state_dir / LOCK_NAME)
        drafts = self.store.reconnections.active_count()
        reminders = self._reminders()
        return {
            "running": running,
            "pid": beat.get("pid") if running else None,
            "started": beat.get("started"),
            "heartbeat": beat.get("heartbeat"),
            "last_scan": self.store.get_meta("last_scan"),
            "last_error": beat.get("last_error"),
            "pending_drafts": int(drafts),
            "pending_reminders": reminders.counts().get("pending", 0),
            "due_reminders": len(reminders.due_now()),
        }
