"""Kizuna's library core: the operations the CLI, the daemon and the local API share.

With a mail server to talk to::

    kizuna = Kizuna(load_config("~/.config/kizuna/config.toml"))
    kizuna.scan().to_json()
    # {'folders': 4, 'messages': 1234, 'new_messages': 12, 'contacts': 87}
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import imapclient

from .config import Config
from .imap import connect
from .model import Contact
from .scan import Scanner, ScanResult
from .store import Store
from .vault import Vault

if TYPE_CHECKING:
    from .delivery import DeliveryReport
    from .outreach import DraftOutcome, Skipped
    from .reminders import Reminder, Reminders
    from .replies import ProcessResult

__all__ = ["Kizuna"]

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

    def _contacts(self) -> list[Contact]:
        return self.store.contacts(self.config.me, self.config.policy.max_recipients)

    def contacts(self, *, dormant: bool = False, now: datetime | None = None) -> list[Contact]:
        """The contact index, most dormant (oldest last contact) first."""
        now = now or datetime.now(UTC)
        policy = self.config.policy
        cutoff = now - timedelta(days=policy.dormant_after_days)
        from .language import is_japanese_text  # noqa: PLC0415 - kept off the scan's startup

        statuses = self._reconnection_status()
        result = []
        for contact in self._contacts():
            excluded = policy.is_excluded(contact.email)
            is_dormant = (
                contact.last_contact is not None and contact.last_contact < cutoff and not excluded
            )
            if dormant and not is_dormant:
                continue
            result.append(
                dataclasses.replace(
                    contact,
                    dormant=is_dormant,
                    excluded=excluded,
                    japanese=is_japanese_text(contact.name)
                    or is_japanese_text(contact.last_subject),
                    status=statuses.get(contact.email, ""),
                )
            )
        epoch = datetime.min.replace(tzinfo=UTC)
        result.sort(key=lambda c: (c.last_contact or epoch, c.email))
        return result

    def _reconnection_status(self) -> dict[str, str]:
        from .outreach import status_text

        latest: dict[str, str] = {}
        for row in self.store.query(
            "SELECT email, status, updated_at FROM reconnections WHERE kind = 'reconnection' "
            "ORDER BY created_at"
        ):
            latest[row["email"]] = status_text(dict(row), self.config.policy.declined_days)
        return latest

    # -- drafts ------------------------------------------------------------------------

    def draft(
        self,
        emails: Iterable[str] = (),
        *,
        limit: int | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> tuple[list[DraftOutcome], list[Skipped]]:
        """Reconnection drafts into Drafts for the top dormant contacts (or those named)."""
        from .outreach import Outreach  # templates and ranking load only when drafting

        return Outreach(self).run(emails, limit=limit, dry_run=dry_run, now=now)

    # -- replies and reminders ---------------------------------------------------------

    def _reminders(self) -> Reminders:
        from .reminders import Reminders

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
        from .replies import ReplyProcessor

        return ReplyProcessor(self).run()

    def deliver_reminders(self) -> DeliveryReport:
        """Deliver every due reminder now (INBOX or SMTP, per ``[reminders] delivery``)."""
        from .delivery import Deliverer

        return Deliverer(self).deliver_due()

    def status(self) -> dict[str, object]:
        """Whether the daemon runs, its heartbeat, and what waits (``kizuna status``)."""
        from .daemon import HEARTBEAT_KEY, LOCK_NAME, InstanceLock

        try:
            beat = json.loads(self.store.get_meta(HEARTBEAT_KEY) or "{}")
        except ValueError:
            beat = {}
        running = InstanceLock.held(self.config.state_dir / LOCK_NAME)
        drafts = self.store.query(
            "SELECT COUNT(*) FROM reconnections WHERE status IN ('appending', 'pending')"
        )[0][0]
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
