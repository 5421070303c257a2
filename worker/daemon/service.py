"""``kizuna run``: the daemon that notices sends and replies and delivers reminders.

Threads, one concurrency model (imapclient blocks):

* a **runner** that does one *cycle* at a time: incremental scan, reply
  processing (:mod:`worker.replies`), reminder delivery (:mod:`worker.delivery`).
  :meth:`Daemon.request_cycle` only sets an event, so any burst of requests
  (IDLE activity, the schedule, the start) coalesces into one cycle; a lock
  keeps scans and deliveries from overlapping.
* two **watchers** (:mod:`worker.watch`): IDLE (or polling) on INBOX, where
  replies arrive, and on Sent, where the user's sent drafts appear.
* APScheduler's **BackgroundScheduler** with two interval jobs: ``scan``
  every ``[daemon] scan_interval_minutes`` (a safety net under IDLE) and
  ``deliver`` every :data:`TICK_SECONDS` (or ``poll_seconds`` if shorter), so
  snoozed and gift reminders go out when due.

Job store: APScheduler's memory job store, with the daemon's bound methods
as jobs. A persistent store would add nothing: the ``reminders`` table is the
source of truth for delivery (a reminder that fell due while the daemon was
down is pending and due, so the first tick delivers it once), and every start
asks for a cycle at once, which is what a stored, missed ``scan`` run would
have given. The jobs use ``coalesce=True`` and ``misfire_grace_time=None``, so
a busy moment never turns into a burst of catch-up runs.

Only one daemon per state: an exclusive ``flock`` on ``<state dir>/kizuna.lock``
(which also holds the pid); a second ``kizuna run`` fails with
:class:`~worker.errors.AlreadyRunning`. The daemon writes a heartbeat (pid,
start, last cycle, last error) into the ``meta`` table for ``kizuna status``.

Extra services (the local web API) plug in as objects with ``start()`` and
``stop()``, started after the daemon's own threads and stopped first.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import imapclient
from apscheduler.schedulers.background import BackgroundScheduler

from worker.core import HEARTBEAT_KEY, LOCK_NAME, Kizuna
from worker.daemon.watch import NUDGE_SECONDS, FolderWatcher
from worker.fsutil import InstanceLock
from worker.mail.folders import plan_folders
from worker.mail.imap import connect

__all__ = [
    "Daemon",
    "Service",
    "run_until_signalled",
    "TICK_SECONDS",
]

log = logging.getLogger(__name__)

#: Reminder delivery tick (seconds); ``[daemon] poll_seconds`` if that is shorter.
TICK_SECONDS = 30.0


class Service(Protocol):
    """Something that runs alongside the daemon (e.g. the local web API)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Daemon:
    """The running ``kizuna run`` for one :class:`~worker.core.Kizuna`."""

    def __init__(
        self,
        kizuna: Kizuna,
        *,
        services: Sequence[Service] = (),
        tick_seconds: float | None = None,
        watch: bool = True,
    ) -> None:
        self.kizuna = kizuna
        self.config = kizuna.config
        self.services = list(services)
        daemon = self.config.daemon
        self.tick_seconds = tick_seconds or min(TICK_SECONDS, daemon.poll_seconds)
        self.lock = InstanceLock(self.config.state_dir / LOCK_NAME)
        self.stopping = threading.Event()
        self._wanted = threading.Event()
        self._work = threading.Lock()
        self._runner: threading.Thread | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.watchers: list[FolderWatcher] = []
        self.watch = watch
        self.status: dict[str, object] = {}

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Take the lock, start every thread and ask for a first cycle."""
        self.lock.acquire()
        try:
            now = datetime.now(UTC).isoformat()
            self.status = {
                "pid": os.getpid(),
                "started": now,
                "heartbeat": now,
                "last_cycle": None,
                "last_error": None,
                "stopped": None,
            }
            self._heartbeat()
            self._runner = threading.Thread(target=self._run_cycles, name="cycle", daemon=True)
            self._runner.start()
            self.request_cycle("start")
            self._start_scheduler()
            if self.watch:
                self._start_watchers()
            for service in self.services:
                service.start()
            log.info(
                "event=started pid=%s state=%s delivery=%s tick=%ss",
                os.getpid(),
                self.config.state_path,
                self.config.reminders.delivery,
                self.tick_seconds,
            )
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread (within ``timeout`` seconds each) and release the lock."""
        self.stopping.set()
        self._wanted.set()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("event=service_stop_failed service=%r", service)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for watcher in self.watchers:
            watcher.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in [*self.watchers, self._runner]:
            if thread is not None and thread.is_alive():
                thread.join(max(0.1, deadline - time.monotonic()))
        if self.status:
            self.status["stopped"] = datetime.now(UTC).isoformat()
            with contextlib.suppress(Exception):
                self._heartbeat()
        self.lock.release()
        log.info("event=stopped")

    def _start_scheduler(self) -> None:
        daemon = self.config.daemon
        scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.add_job(
            self.request_cycle,
            "interval",
            args=["schedule"],
            minutes=daemon.scan_interval_minutes,
            id="scan",
        )
        scheduler.add_job(self.deliver, "interval", seconds=self.tick_seconds, id="deliver")
        scheduler.start()
        self.scheduler = scheduler

    def _start_watchers(self) -> None:
        daemon = self.config.daemon
        account = self.config.account

        def connect_() -> imapclient.IMAPClient:
            return connect(account, self.kizuna.secret, timeout=max(account.timeout, 30.0))

        def sent_folder(client: imapclient.IMAPClient) -> str | None:
            return plan_folders(client.list_folders()).sent

        folders: list[tuple[str, str | Callable[[imapclient.IMAPClient], str | None]]] = [
            ("INBOX", "INBOX"),
            ("Sent", sent_folder),
        ]
        for label, folder in folders:
            watcher = FolderWatcher(
                label,
                connect_,
                folder,
                functools.partial(self.request_cycle, f"activity:{label}"),
                renew_seconds=daemon.idle_renew_seconds,
                poll_seconds=daemon.poll_seconds,
                nudge_seconds=min(daemon.poll_seconds, NUDGE_SECONDS),
                max_backoff=max(5.0, min(300.0, daemon.scan_interval_minutes * 60)),
            )
            watcher.start()
            self.watchers.append(watcher)

    # -- work --------------------------------------------------------------------------

    def request_cycle(self, reason: str = "") -> None:
        """Ask for a scan + reply processing + delivery soon (coalesced)."""
        log.debug("event=cycle_requested reason=%s", reason)
        self._wanted.set()

    def _run_cycles(self) -> None:
        while not self.stopping.is_set():
            if not self._wanted.wait(timeout=1.0):
                continue
            if self.stopping.is_set():
                break
            self._wanted.clear()
            self.cycle()

    def cycle(self) -> None:
        """One scan, reply processing and delivery; errors are logged, never raised."""

        with self._work:
            started = time.monotonic()
            try:
                result = self.kizuna.scan(progress=False)
                processed = self.kizuna.process_replies()
                report = self.kizuna.deliver_reminders()
                self.status["last_cycle"] = datetime.now(UTC).isoformat()
                self.status["last_error"] = None
                log.info(
                    "event=cycle new_messages=%s sent=%s replies=%s thank_you_drafts=%s "
                    "delivered=%s failed=%s seconds=%.2f",
                    result.new_messages,
                    len(processed.sent),
                    len(processed.replies),
                    len(processed.thank_you_drafts),
                    len(report.delivered),
                    len(report.failed),
                    time.monotonic() - started,
                )
                if report.failed:
                    self.status["last_error"] = report.failed[-1][1]
            except Exception as exc:
                self.status["last_error"] = f"{type(exc).__name__}: {exc}"
                log.error(
                    "event=cycle_failed error=%r",
                    str(exc) or type(exc).__name__,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
            self._heartbeat()

    def deliver(self) -> None:
        """The delivery tick: due reminders out now (skipped while a cycle runs: it delivers too)."""

        if not self._work.acquire(blocking=False):
            return
        try:
            report = self.kizuna.deliver_reminders()
            if report.failed:
                self.status["last_error"] = report.failed[-1][1]
            elif report.delivered:
                self.status["last_error"] = None
        except Exception as exc:  # noqa: BLE001
            self.status["last_error"] = f"{type(exc).__name__}: {exc}"
            log.error("event=deliver_failed error=%r", str(exc))
        finally:
            self._work.release()
        self._heartbeat()

    def _heartbeat(self) -> None:
        self.status["heartbeat"] = datetime.now(UTC).isoformat()
        self.kizuna.store.set_meta(HEARTBEAT_KEY, json.dumps(self.status))


def run_until_signalled(daemon: Daemon) -> None:
    """Run ``daemon`` in the foreground until SIGTERM or SIGINT, then stop it cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("event=signal signal=%s", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        daemon.start()
        while not stop.wait(1.0):
            pass
    finally:
        daemon.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
