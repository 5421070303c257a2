"""The IMAP watcher against a real Dovecot: IDLE, dropped connections, polling fallback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import message, write_config
from worker.config import load_config
from worker.daemon.watch import FolderWatcher
from worker.mail.imap import connect


class Activity:
    """Counts on_activity() calls and lets a test wait for the next one."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.event.set()

    def expect(self, what: str, timeout: float = 10.0) -> float:
        started = time.monotonic()
        assert self.event.wait(timeout), f"no activity after {what}"
        self.event.clear()
        return time.monotonic() - started


def _wait(predicate: object, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def watcher_factory(dovecot: DevMail, tmp_path: Path) -> Iterator[object]:
    config = load_config(write_config(dovecot, tmp_path, api={"enabled": False}).config)
    made: list[FolderWatcher] = []

    def make(activity: Activity, **kw: object) -> FolderWatcher:
        w = FolderWatcher(
            "INBOX",
            lambda: connect(config.account, timeout=10),
            "INBOX",
            activity,
            check_seconds=0.5,
            max_backoff=1.0,
            **kw,
        )  # type: ignore[arg-type]
        w.start()
        made.append(w)
        assert w.connected.wait(10), "the watcher did not connect"
        return w

    yield make
    for w in made:
        w.stop()


def _new_mail(server: DevMail, n: int) -> None:
    server.append("INBOX", message("friend@example.net", "me@example.com", f"note {n}"))


def test_idle_notices_new_mail_and_survives_kick_and_restart(
    watcher_factory: object, dovecot: DevMail
) -> None:
    activity = Activity()
    watcher = watcher_factory(activity, renew_seconds=60)  # type: ignore[operator]
    _new_mail(dovecot, 1)
    activity.expect("a new message")

    dovecot.kick()  # the server drops the connection (BYE)
    _wait(
        lambda: watcher.sessions >= 2 and watcher.connected.is_set(), what="a reconnect after kick"
    )
    activity.expect("the reconnect (mail may have come meanwhile)")
    _new_mail(dovecot, 2)
    activity.expect("a new message after the reconnect")

    dovecot.restart()  # the whole server goes away and comes back on the same port
    _wait(
        lambda: watcher.sessions >= 3 and watcher.connected.is_set(),
        what="a reconnect after restart",
    )
    activity.event.clear()
    _new_mail(dovecot, 3)
    activity.expect("a new message after the server restart")

    started = time.monotonic()
    watcher.stop()
    assert not watcher.is_alive() and time.monotonic() - started < 3


def test_mail_while_disconnected_is_noticed_on_reconnect(
    watcher_factory: object, dovecot: DevMail
) -> None:
    activity = Activity()
    watcher = watcher_factory(activity, renew_seconds=60)  # type: ignore[operator]
    dovecot.stop()
    _wait(lambda: not watcher.connected.is_set(), what="the watcher to notice the server is gone")
    dovecot.start()
    _new_mail(dovecot, 1)  # arrives before the watcher is back
    activity.event.clear()
    _wait(lambda: watcher.connected.is_set(), what="a reconnect")
    activity.expect("the reconnect")


def test_short_idle_renewal_keeps_working(watcher_factory: object, dovecot: DevMail) -> None:
    activity = Activity()
    watcher_factory(activity, renew_seconds=1)  # type: ignore[operator]
    time.sleep(2.5)  # two renewals (DONE, NOOP, IDLE)
    assert activity.count == 0  # a renewal is no activity
    _new_mail(dovecot, 1)
    activity.expect("a new message after renewals")


def test_polling_fallback_without_idle(watcher_factory: object, dovecot: DevMail) -> None:
    activity = Activity()
    watcher_factory(activity, use_idle=False, poll_seconds=0.5)  # type: ignore[operator]
    _new_mail(dovecot, 1)
    activity.expect("a new message (polling)")
