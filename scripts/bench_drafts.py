"""Benchmark: five personal drafts on a big mailbox, from a cold history state.

Builds a mailbox of ``--n`` messages (default 100,000) in a throwaway Dovecot
(the same generator as scripts/bench.py), scans it, forgets every history
Kizuna kept (the ``contact_notes`` rows), then times ``kizuna draft --dry-run
--to`` for the five contacts with the most mail: each draft reads that
contact's history from the server (UID SEARCH per scanned folder, BODY.PEEK of
a few messages each way), learns from it and renders the draft. Then the same
five again, warm (the kept histories are current: no server round trip for
them). Prints the figures; the target is under 2 s for the cold five.

Not a test: timings depend on the machine. Run: .venv/bin/python scripts/bench_drafts.py
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dovecot import DevMail  # noqa: E402
from worker.config import load_config  # noqa: E402
from worker.core import Kizuna  # noqa: E402


def _bench_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kizuna_bench", ROOT / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def forget_histories(kizuna: Kizuna) -> None:
    with kizuna.store.transaction() as db:
        db.execute("DELETE FROM contact_notes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="messages in the mailbox")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="cold runs (median and best shown)")
    parser.add_argument("--dir", default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    args = parser.parse_args()
    bench = _bench_module()
    server_root = Path(tempfile.mkdtemp(prefix="kizuna-bench-drafts-", dir=args.dir))
    server = DevMail(server_root, extra_conf="default_vsz_limit = 2G\n")
    server.start()
    work = Path(tempfile.mkdtemp(prefix="kizuna-bench-drafts-state-"))
    try:
        t = time.perf_counter()
        counts = bench.build_mailbox(server, args.n, args.seed)
        print(f"built {args.n} messages in {time.perf_counter() - t:.1f}s: {counts}")
        config_path = work / "config.toml"
        config_path.write_text(
            server.kizuna_config(
                work / "state.db",
                [bench.ME],
                account={"display_name": bench.ME_NAME},
                outreach={"reason": "I am moving into product design and would love your view."},
                api={"enabled": False},
            )
        )
        config = load_config(str(config_path))
        with Kizuna(config) as kizuna:
            t = time.perf_counter()
            result = kizuna.scan(progress=False)
            print(f"scanned in {time.perf_counter() - t:.1f}s: {result.to_json()}")
            busiest = sorted(kizuna.contacts(), key=lambda c: -(c.sent_count + c.received_count))[
                :5
            ]
            emails = [c.email for c in busiest]
            print(
                "contacts:",
                ", ".join(f"{c.email} ({c.sent_count + c.received_count})" for c in busiest),
            )
            cold: list[float] = []
            for _ in range(args.runs):
                forget_histories(kizuna)
                t = time.perf_counter()
                made, skipped = kizuna.draft(emails, dry_run=True)
                cold.append(time.perf_counter() - t)
                assert len(made) == 5, skipped
            t = time.perf_counter()
            kizuna.draft(emails, dry_run=True)
            warm = time.perf_counter() - t
        # The same through the command line, as a user runs it (Python start-up included).
        with Kizuna(config) as kizuna:
            forget_histories(kizuna)
        args_cli = [
            sys.executable,
            "-m",
            "worker",
            "--config",
            str(config_path),
            "draft",
            "--dry-run",
            "--json",
        ]
        for email in emails:
            args_cli += ["--to", email]
        t = time.perf_counter()
        subprocess.run(args_cli, check=True, capture_output=True, cwd=ROOT)
        cli = time.perf_counter() - t
        print(
            f"\nfive drafts, cold history (in process): median {statistics.median(cold):.3f}s, "
            f"best {min(cold):.3f}s over {len(cold)} runs"
        )
        print(f"five drafts, kept history (in process): {warm:.3f}s")
        print(f"five drafts, cold history, `kizuna draft --dry-run` command: {cli:.3f}s")
        print("target: under 2 s for the cold five")
    finally:
        server.cleanup()
        shutil.rmtree(server_root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
