"""Watch a folder for new mail: IMAP IDLE, with a polling fallback, in a thread.

One :class:`FolderWatcher` per folder (the daemon watches INBOX and Sent), each
on its own connection and thread (imapclient blocks). It calls
``on_activity()`` when the folder changes (``EXISTS`` or ``EXPUNGE``) and after
every reconnect (mail may have come while it was away); the callback is cheap
and coalescing (:meth:`worker.daemon.Daemon.request_cycle`).

Robustness, because servers and networks drop idle connections:

* IDLE is renewed (DONE, NOOP, IDLE) at least every ``renew_seconds``
  (``[daemon] idle_renew_seconds``, at most 600: RFC 2177 asks for less than
  29 minutes, and NAT boxes forget quiet connections much sooner).
* A dead connection is detected by a socket error or timeout, an untagged
  ``BYE``, or ``idle_check()`` returning nothing *at once* several times in a
  row: after the server closed the socket, imapclient 4.x reports EOF as an
  empty response list immediately, forever (:func:`is_dead_silence`).
* Reconnects back off exponentially (1 s, 2 s, 4 s ... capped at
  ``max_backoff``); a session that worked resets the backoff.
* A server without the IDLE capability is polled every ``poll_seconds``
  (``STATUS`` UIDNEXT and MESSAGES, which needs no selected folder).
* While idling, the watcher also asks itself every ``nudge_seconds`` (DONE,
  NOOP, IDLE): many servers do not push. Courier and Cyrus, as Debian ships
  them, look for new mail only every 60 s during IDLE (``IMAP_IDLE_TIMEOUT``,
  ``imapidlepoll``) but at once on NOOP, so a reply would otherwise wait up to
  a minute. The daemon passes ``min(poll_seconds, 10)``: three short commands
  every few seconds cost little, and a pushing server (Dovecot) loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import imapclient

from worker.errors import ConnectionLost

__all__ = [
    "NUDGE_SECONDS",
    "FolderWatcher",
    "ConnectionLost",
    "is_activity",
    "is_bye",
    "is_dead_silence",
    "backoff",
]

log = logging.getLogger(__name__)

#: The longest the daemon lets IDLE wait before asking the server itself (see the module doc).
NUDGE_SECONDS = 10.0

#: Consecutive instant empty idle_check() results that mean the socket is at EOF.
DEAD_SILENCE_COUNT = 3


def is_activity(responses: list[object]) -> bool:
    """True when IDLE responses say the folder changed (new or removed messages).

    >>> is_activity([(3, b'EXISTS'), (1, b'RECENT')])
    True
    >>> is_activity([(b'OK', b'Still here'), (2, b'FETCH', (b'FLAGS', ()))])
    False
    """
    return any(
        isinstance(r, tuple) and len(r) >= 2 and r[1] in (b"EXISTS", b"EXPUNGE") for r in responses
    )


def is_bye(responses: list[object]) -> bool:
    """True when the server said goodbye (``* BYE ...``)."""
    return any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses)


def is_dead_silence(responses: list[object], elapsed: float, timeout: float) -> bool:
    """An empty answer that came back far sooner than the timeout: EOF, not quiet."""
    return not responses and elapsed < timeout / 10


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait before reconnect number ``attempt`` (0-based): 1, 2, 4 ... cap."""
    return min(cap, base * float(1 << min(attempt, 30)))


class FolderWatcher(threading.Thread):
    """Watches one folder; ``folder`` may be a callable choosing it on a connection."""

    def __init__(
        self,
        name: str,
        connect: Callable[[], imapclient.IMAPClient],
        folder: str | Callable[[imapclient.IMAPClient], str | None],
        on_activity: Callable[[], None],
        *,
        renew_seconds: float = 540.0,
        poll_seconds: float = 60.0,
        check_seconds: float = 1.0,
        nudge_seconds: float | None = None,
        max_backoff: float = 300.0,
        use_idle: bool = True,
    ) -> None:
        super().__init__(name=f"watch-{name}", daemon=True)
        self.label = name
        self.connect = connect
        self.folder = folder
        self.on_activity = on_activity
        self.renew_seconds = min(renew_seconds, 600.0)
        self.poll_seconds = poll_seconds
        self.check_seconds = check_seconds
        # None: only the renewal asks the server (the watcher's old behaviour)
        self.nudge_seconds = min(nudge_seconds or self.renew_seconds, self.renew_seconds)
        self.max_backoff = max_backoff
        self.use_idle = use_idle
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.sessions = 0  # successful connections so far (tests watch it)
        self._client: imapclient.IMAPClient | None = None

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout)

    # -- the loop --------------------------------------------------------------------

    def run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                self._session()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
                delay = backoff(failures, cap=self.max_backoff)
                failures += 1
                log.warning(
                    "event=watch_lost folder=%s error=%r retry_in=%.0fs",
                    self.label,
                    str(exc) or type(exc).__name__,
                    delay,
                )
                self.stopping.wait(delay)
            finally:
                self.connected.clear()
                self._disconnect()

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()

    def _session(self) -> None:
        client = self._client = self.connect()
        folder = self.folder(client) if callable(self.folder) else self.folder
        if not folder:
            log.info("event=watch_skipped folder=%s reason=absent", self.label)
            self.stopping.wait()  # nothing to watch on this server
            return
        idle = self.use_idle and client.has_capability("IDLE")
        self.sessions += 1
        log.info(
            "event=watch_connected folder=%s mode=%s session=%s",
            folder,
            "idle" if idle else "poll",
            self.sessions,
        )
        self.connected.set()
        if self.sessions > 1:
            self.on_activity()  # mail may have arrived while we were away
        if idle:
            self._idle(client, folder)
        else:
            self._poll(client, folder)

    def _idle(self, client: imapclient.IMAPClient, folder: str) -> None:
        client.select_folder(folder, readonly=True)
        client.idle()
        renewed = time.monotonic()
        silent = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            responses = client.idle_check(timeout=self.check_seconds)
            elapsed = time.monotonic() - started
            if is_bye(responses):
                raise ConnectionLost(f"server said BYE: {responses!r}")
            if is_dead_silence(responses, elapsed, self.check_seconds):
                silent += 1
                if silent >= DEAD_SILENCE_COUNT:
                    raise ConnectionLost("connection closed (idle_check returns nothing at once)")
                continue
            silent = 0
            changed = is_activity(responses)
            if changed or time.monotonic() - renewed >= self.nudge_seconds:
                # Updates that arrive while IDLE ends or during the NOOP come back
                # as those commands' untagged responses: look at them too. The NOOP
                # is also what makes a polling server (Courier, Cyrus) look now.
                _, done_responses = client.idle_done()
                changed = changed or is_activity(list(done_responses))
                if not changed:
                    _, noop_responses = client.noop()  # proves the connection is alive
                    changed = is_activity(list(noop_responses))
                if changed:
                    self.on_activity()
                client.idle()
                renewed = time.monotonic()
        with contextlib.suppress(Exception):
            client.idle_done()

    def _poll(self, client: imapclient.IMAPClient, folder: str) -> None:
        items = [b"UIDNEXT", b"MESSAGES"]
        last = client.folder_status(folder, items)
        while not self.stopping.wait(self.poll_seconds):
            now = client.folder_status(folder, items)
            if now != last:
                last = now
                self.on_activity()
