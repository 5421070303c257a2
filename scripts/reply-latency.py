#!/usr/bin/env python3
"""Reply-to-prompt latency of ``kizuna run`` on Dovecot, Courier and Cyrus.

    .venv/bin/python scripts/reply-latency.py [--servers dovecot,courier,cyrus]
                                             [--samples 3] [--poll-seconds 60]
                                             [--kizuna /path/to/checkout]

For each server: a throwaway instance with the server's Debian defaults for
IDLE (Courier and Cyrus look for new mail only every 60 s while a client
idles; Dovecot pushes), ``--samples`` dormant contacts, a draft to each, sent
as a mail client sends it; then ``kizuna run`` (``[daemon] poll_seconds`` as
given, a scheduled scan only every 30 minutes) and one reply at a time: the
time from the reply's APPEND to the thank-you prompt in INBOX. The replies
come at random moments, so the figures spread over the watcher's cycle.

``--kizuna`` runs another checkout's ``worker`` (e.g. main, before a change)
with this checkout's harnesses. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.factories import ME, REASON, Cli, message  # noqa: E402
from tests.support.servers import (  # noqa: E402
    KINDS,
    MailServer,
    new_server,
    prompts,
    send_like_a_client,
    state_rows,
)


def wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def contacts(count: int) -> list[str]:
    return [f"friend{n}@example.net" for n in range(count)]


def fill(server: MailServer, people: list[str]) -> None:
    for n, person in enumerate(people):
        server.append(
            "Sent", message(ME[0], person, f"Plans {n}", f"Mon, 04 Jan 2016 1{n % 10}:00:00 +0000")
        )
        server.append(
            "INBOX",
            message(person, ME[0], f"Re: Plans {n}", f"Tue, 05 Jan 2016 1{n % 10}:00:00 +0000"),
        )


def measure(kind: str, samples: int, poll_seconds: float, kizuna: Path) -> list[float]:
    server = new_server(kind, debian_idle=True)
    server.start()
    work = Path(tempfile.mkdtemp(prefix=f"kizuna-latency-{kind}-"))
    daemon: subprocess.Popen[bytes] | None = None
    try:
        people = contacts(samples)
        fill(server, people)
        state, config = work / "state" / "state.db", work / "config.toml"
        config.write_text(
            server.kizuna_config(
                state,
                ME,
                api={"enabled": False},
                outreach={"reason": REASON, "max_drafts_per_run": samples},
                daemon={"poll_seconds": poll_seconds, "scan_interval_minutes": 30},
            )
        )
        cli = Cli(config, state)
        env = {**os.environ, "PYTHONPATH": str(kizuna)}

        def run(*args: str) -> None:
            done = subprocess.run(
                [sys.executable, "-m", "worker", "--config", str(config), *args],
                cwd=kizuna,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"{kind}: kizuna {' '.join(args)} failed: {done.stderr}")

        run("scan", "--no-progress")
        for person in people:
            run("draft", "--to", person)
        sent = {person: send_like_a_client(server, person) for person in people}
        log = open(work / "daemon.log", "ab")  # noqa: SIM115 - the child writes it
        daemon = subprocess.Popen(
            [sys.executable, "-m", "worker", "--config", str(config), "run"],
            cwd=kizuna,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        wait(
            lambda: (
                state_rows(cli, "SELECT COUNT(*) FROM reconnections WHERE status = 'sent'")
                == [(samples,)]
            ),
            180,
            "the drafts to be noticed as sent",
        )
        figures = []
        for n, person in enumerate(people):
            time.sleep(random.uniform(0, 10))  # a random moment in the watcher's cycle
            reply = message(
                person,
                ME[0],
                "Re: " + str(sent[person]["Subject"]),
                datetime.now(UTC),
                headers={"In-Reply-To": str(sent[person]["Message-ID"])},
                body="How lovely to hear from you!\r\n",
            )
            began = time.monotonic()
            server.append("INBOX", reply)
            wait(lambda n=n: len(prompts(server, "thank-you")) > n, 180, "the thank-you prompt")
            figures.append(time.monotonic() - began)
        return figures
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(30)
        server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(KINDS))
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--poll-seconds", type=float, default=60.0)
    parser.add_argument("--kizuna", type=Path, default=ROOT, help="checkout whose worker runs")
    args = parser.parse_args()
    print(f"poll_seconds={args.poll_seconds:g}  kizuna={args.kizuna}  samples={args.samples}")
    print(f"{'server':8}  {'median':>7}  {'min':>6}  {'max':>6}  samples (s)")
    for kind in args.servers.split(","):
        got = measure(kind, args.samples, args.poll_seconds, args.kizuna.resolve())
        print(
            f"{kind:8}  {statistics.median(got):7.2f}  {min(got):6.2f}  {max(got):6.2f}  "
            + " ".join(f"{x:.2f}" for x in got),
            flush=True,
        )


if __name__ == "__main__":
    main()
