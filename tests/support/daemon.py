"""``kizuna run`` as a subprocess with its log in a file, and waiting for conditions."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .factories import ROOT, Cli


def wait_for(
    predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition"
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class DaemonProcess:
    """``python -m worker --config ... run`` with its stderr in a file."""

    def __init__(self, cli: Cli, log: Path) -> None:
        self.cli, self.log_path = cli, log
        self.proc: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> DaemonProcess:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "worker", "--config", str(self.cli.config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=ROOT,
        )
        log.close()

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the daemon exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                )
            return self.log().count("event=watch_connected") >= 2 and "event=cycle " in self.log()

        try:
            # generous: a loaded CI machine may start Python slowly; this bounds a hang, it times nothing
            wait_for(
                ready,
                timeout=60,
                what="the daemon to start, watch INBOX and Sent and finish its first cycle",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\ndaemon log:\n{self.log()[-3000:]}") from None
        return self

    def log(self) -> str:
        """This run's log so far."""
        return self.log_path.read_bytes()[self._offset :].decode(errors="replace")

    def cycles(self) -> int:
        return self.log().count("event=cycle ")

    def mark(self) -> int:
        return len(self.log())

    def wait_indexed(self, mark: int, count: int) -> None:
        """Wait until cycles logged after ``mark`` scanned (and so processed) ``count`` new messages."""

        def seen() -> bool:
            found = re.findall(r"event=cycle new_messages=(\d+)", self.log()[mark:])
            return sum(int(n) for n in found) >= count

        wait_for(seen, what=f"{count} new messages to be scanned and processed")

    def quiet(self, seconds: float = 2.5) -> None:
        """Give a running daemon time to do something it should not (negative checks)."""
        time.sleep(seconds)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self) -> tuple[int, float]:
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(15)
        return code, time.monotonic() - started

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
