#!/usr/bin/env python3
"""Scan benchmark: kizuna scan against a throwaway Dovecot, next to a raw-socket floor.

    .venv/bin/python scripts/bench.py --n 100000 [--cold-runs 5] [--repeat 3] [--no-peer]
                                           [--seed 1] [--keep] [--dir /dev/shm]

Builds an N-message Maildir mailbox (30% in Sent, the rest in INBOX and a few
Archive folders; a few hundred people with Western and Japanese names, some
RFC 2047 encoded, mailing lists, no-reply senders, threads, Cc), warms
Dovecot's header cache, then measures in one run:

* floor      a plain socket: LOGIN, EXAMINE + ``UID FETCH 1:*`` of exactly the
             fields kizuna fetches, for every scanned folder, reading until the
             tagged OK (no parsing);
* imap-tools the peer library: ``fetch(headers_only=True, bulk=1000)``
             (not a dependency: if the venv lacks it, it is installed into
             the run's scratch directory for this run only; ``--no-peer``
             skips it);
* cold       ``python -m worker --config ... scan --json --no-progress`` on a
             fresh state, ``--cold-runs`` times, each between two floor runs:
             the machine's speed drifts, so the cold row's ratio is the
             median of the ratios of each cold scan to the mean of the floor
             runs around it; the fastest cold scan over the fastest floor run
             is printed too;
* warm       the same again, nothing new (best of ``--repeat``);
* incr       after adding 1% new mail;

with the peak RSS of the kizuna process (wait4 ru_maxrss, and the polled sum
over its process tree). Prints figures; never asserts thresholds.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.support.dovecot import DevMail  # noqa: E402
from worker.mail.rules import FETCH_FIELDS  # noqa: E402

ME = "me@example.com"
ME_NAME = "Taro Kizuna"
FETCH_ITEMS = (
    "(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ("
    + " ".join(f.upper() for f in FETCH_FIELDS)
    + ")])"
)
FOLDERS = ("INBOX", "Sent", "Archive", "Archive/2019", "Archive/2020", "Archive/2021")

WESTERN_FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Irene",
    "Jack",
    "Karen",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tina",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zoe",
]
WESTERN_LAST = [
    "Smith",
    "Müller",
    "García",
    "Dubois",
    "Rossi",
    "Johnson",
    "Brown",
    "Novak",
    "O'Neil",
    "Schmidt",
    "Larsen",
    "Costa",
]
JA_FIRST = [
    ("花子", "hanako"),
    ("太郎", "taro"),
    ("健", "ken"),
    ("由美", "yumi"),
    ("翔", "sho"),
    ("美咲", "misaki"),
    ("大輔", "daisuke"),
    ("陽子", "yoko"),
    ("誠", "makoto"),
    ("愛", "ai"),
]
JA_LAST = [
    ("山田", "yamada"),
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("中村", "nakamura"),
]
DOMAINS = [
    "example.net",
    "example.org",
    "corp.example",
    "mail.example.jp",
    "uni.example.ac.jp",
    "startup.example.io",
]
SUBJECTS = [
    "Lunch next week?",
    "Plans for the weekend",
    "Quarterly report",
    "Re: the draft",
    "Photos from the trip",
    "Quick question",
    "Meeting notes",
    "Happy birthday!",
    "お久しぶりです",
    "来週の打ち合わせについて",
    "資料の件",
    "ご無沙汰しております",
    "Invoice 2041",
    "Conference in Kyoto",
    "Book recommendation",
    "Moving house",
]
LISTS = [
    ("dev@lists.example.org", "<dev.lists.example.org>"),
    ("announce@python.example", "<announce.python.example>"),
    ("jp-users@ml.example.jp", "<jp-users.ml.example.jp>"),
]
BULK = [
    "no-reply@shop.example",
    "newsletter@news.example",
    "noreply@bank.example",
    "notifications@social.example",
    "MAILER-DAEMON@mx.example.net",
]


def encode_name(name: str, rng: random.Random) -> str:
    if name.isascii():
        return f'"{name}"' if "'" in name else name
    choice = rng.random()
    if choice < 0.4 and all(ord(c) > 0x3000 or c == " " for c in name):
        return Header(name, "iso-2022-jp").encode()
    if choice < 0.8:
        return Header(name, "utf-8").encode()
    return f'"{name}"'  # raw UTF-8 (8-bit) header


def make_people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    people = []
    for i in range(count):
        if rng.random() < 0.35:
            (fj, fr), (lj, lr) = rng.choice(JA_FIRST), rng.choice(JA_LAST)
            name, local = f"{lj} {fj}", f"{fr}.{lr}{i}"
        else:
            first, last = rng.choice(WESTERN_FIRST), rng.choice(WESTERN_LAST)
            name = f"{first} {last}"
            local = f"{first.lower()}.{re.sub(r'[^a-z]', '', last.lower())}{i}"
        people.append((name, f"{local}@{rng.choice(DOMAINS)}"))
    return people


def build_mailbox(server: DevMail, n: int, seed: int, start: int = 0) -> dict[str, int]:
    """Write n messages straight into the Maildirs; returns counts per folder."""
    rng = random.Random(seed + start)
    people = make_people(random.Random(seed), 400)
    name_cache: dict[str, str] = {}

    def addr(person: tuple[str, str]) -> str:
        name, email = person
        if name not in name_cache or rng.random() < 0.05:
            name_cache[name] = encode_name(name, rng)
        return f"{name_cache[name]} <{email}>"

    dirs = {}
    pid = os.getpid()
    for folder in FOLDERS:
        base = server.folder_path(folder)
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        dirs[folder] = str(base / "cur")
    counts = dict.fromkeys(FOLDERS, 0)
    t0 = 1_400_000_000
    span = 1_750_000_000 - t0
    recent_ids: list[str] = []
    me = f"{ME_NAME} <{ME}>"
    body = b"\r\nHello,\r\n\r\nJust a short note.\r\n\r\n-- \r\nsent from the bench\r\n"
    for i in range(start, start + n):
        when = t0 + int(span * (i - start + rng.random()) / n)
        date = format_datetime(
            datetime.fromtimestamp(when, UTC).astimezone(
                datetime.now().astimezone().tzinfo if rng.random() < 0.5 else UTC
            )
        )
        mid = f"<{i}.{seed}.{rng.getrandbits(32):x}@bench.example>"
        person = rng.choice(people)
        subject = rng.choice(SUBJECTS)
        lines = []
        r = rng.random()
        if r < 0.30:
            folder = "Sent"
            to = [person] + rng.sample(people, rng.choice((0, 0, 0, 1, 2)))
            lines += [f"From: {me}", "To: " + ", ".join(addr(p) for p in to)]
            if rng.random() < 0.15:
                lines.append("Cc: " + addr(rng.choice(people)))
        else:
            folder = "INBOX" if r < 0.80 else rng.choice(FOLDERS[2:])
            kind = rng.random()
            if kind < 0.12:
                lst, list_id = rng.choice(LISTS)
                lines += [
                    f"From: {addr(person)}",
                    f"To: {lst}",
                    f"List-Id: {list_id}",
                    f"List-Unsubscribe: <mailto:leave-{lst}>",
                    "Precedence: list",
                ]
            elif kind < 0.20:
                sender = rng.choice(BULK)
                lines += [
                    f"From: Service <{sender}>",
                    f"To: {ME}",
                    "Precedence: bulk",
                    "Auto-Submitted: auto-generated",
                ]
            else:
                lines += [f"From: {addr(person)}", f"To: {me}"]
                if rng.random() < 0.2:
                    lines.append("Cc: " + ", ".join(addr(p) for p in rng.sample(people, 2)))
        if recent_ids and rng.random() < 0.4:
            parent = rng.choice(recent_ids)
            subject = "Re: " + subject
            lines += [
                f"In-Reply-To: {parent}",
                "References: " + " ".join(rng.sample(recent_ids, min(3, len(recent_ids)))),
            ]
        if not subject.isascii() and rng.random() < 0.7:
            subject = Header(subject, rng.choice(("iso-2022-jp", "utf-8"))).encode()
        lines += [
            f"Subject: {subject}",
            f"Date: {date}",
            f"Message-ID: {mid}",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "X-Mailer: bench",
            "Received: from mx.example by bench; " + date,
        ]
        recent_ids.append(mid)
        if len(recent_ids) > 50:
            recent_ids.pop(0)
        raw = ("\r\n".join(lines) + "\r\n").encode("utf-8") + body
        counts[folder] += 1
        path = f"{dirs[folder]}/{when}.M{i}P{pid}.bench:2,S"
        with open(path, "wb") as fh:
            fh.write(raw)
        os.utime(path, (when, when))
    server.fix_ownership()
    return counts


# -- IMAP helpers ------------------------------------------------------------------


def read_until(sock: socket.socket, tag: bytes, buf: bytearray | None = None) -> int:
    """Read until the tagged completion line; returns bytes read (no parsing)."""
    needle = b"\r\n" + tag + b" "
    total = 0
    tail = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        total += len(chunk)
        window = tail + chunk
        idx = window.find(needle)
        if idx >= 0 and window.find(b"\r\n", idx + 2) >= 0:
            line = window[idx + 2 : window.find(b"\r\n", idx + 2)]
            if not line.startswith(tag + b" OK"):
                raise RuntimeError(line.decode(errors="replace"))
            return total
        tail = window[-(len(needle) + 200) :]


def raw_session(server: DevMail, folders: list[str]) -> tuple[float, int]:
    """The floor: one plain socket streams the header fields of every folder."""
    t = time.perf_counter()
    sock = socket.create_connection((server.host, server.port))
    sock.recv(4096)
    total = 0
    sock.sendall(f'a0 LOGIN "{server.user}" "{server.password}"\r\n'.encode())
    read_until_prefix(sock, b"a0")
    for i, folder in enumerate(folders, 1):
        sock.sendall(f'b{i} EXAMINE "{folder}"\r\n'.encode())
        read_until_prefix(sock, f"b{i}".encode())
        sock.sendall(f"c{i} UID FETCH 1:* {FETCH_ITEMS}\r\n".encode())
        total += read_until(sock, f"c{i}".encode())
    sock.sendall(b"z LOGOUT\r\n")
    sock.close()
    return time.perf_counter() - t, total


def read_until_prefix(sock: socket.socket, tag: bytes) -> None:
    data = b""
    while not re.search(rb"(^|\r\n)" + tag + rb" (OK|NO|BAD)[^\r\n]*\r\n", data):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    if not re.search(rb"(^|\r\n)" + tag + rb" OK", data):
        raise RuntimeError(data[-300:])


def scan_folders(server: DevMail) -> list[str]:
    from worker.mail.folders import plan_folders

    with server.client() as client:
        return list(plan_folders(client.list_folders()).scan)  # type: ignore[attr-defined]


def _import_imap_tools(scratch: Path) -> ModuleType | None:
    """imap-tools, installed into ``scratch`` for this run if the venv lacks it (never a dependency)."""
    try:
        import imap_tools
    except ImportError:
        target = scratch / "imap-tools"
        print(f"installing imap-tools into {target} for the peer measurement", file=sys.stderr)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "imap-tools",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"cannot install imap-tools: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        sys.path.insert(0, str(target))
        import imap_tools
    module: ModuleType = imap_tools
    return module


def imap_tools_peer(server: DevMail, folders: list[str], scratch: Path) -> float | None:
    imap_tools = _import_imap_tools(scratch)
    if imap_tools is None:
        return None
    MailBoxUnencrypted = imap_tools.MailBoxUnencrypted
    t = time.perf_counter()
    count = 0
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        for folder in folders:
            box.folder.set(folder, readonly=True)
            # bulk=True sends every UID in one command: Dovecot refuses that at 100k
            for msg in box.fetch(headers_only=True, mark_seen=False, bulk=1000):
                _ = (msg.uid, msg.from_, msg.to, msg.date, msg.subject)
                count += 1
    return time.perf_counter() - t


# -- kizuna runs -------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def precompile() -> None:
    """Byte-compile the worker package, as installing kizuna from a wheel does.

    pip compiles a wheel's modules when it installs them; a checkout run with
    PYTHONDONTWRITEBYTECODE set (or read-only) would instead compile every
    kizuna module from source at each start, about 0.1 s that no installed
    kizuna pays. The files go to worker/__pycache__ (ignored by git).
    """
    if not compileall.compile_dir(ROOT / "worker", quiet=1):
        raise RuntimeError("cannot byte-compile worker/")


@dataclass(frozen=True)
class ScanRun:
    """One ``kizuna scan`` as a process: wall and CPU seconds, memory, its JSON."""

    seconds: float
    maxrss_mb: float
    cpu: float  # with its reaped helper
    tree_peak_mb: float
    result: dict[str, int]


def kizuna_scan(config: Path) -> ScanRun:
    cmd = [
        sys.executable,
        "-m",
        "worker",
        "--config",
        str(config),
        "scan",
        "--json",
        "--no-progress",
    ]
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the child, closed after
    err = tempfile.TemporaryFile()  # noqa: SIM115 - likewise
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
    tree_peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, sum(_rss_kb(p) for p in _tree(proc.pid)))
        time.sleep(0.01)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    if proc.returncode != 0:
        raise RuntimeError(f"kizuna scan failed: {err.read().decode(errors='replace')}")
    return ScanRun(
        seconds=elapsed,
        maxrss_mb=usage.ru_maxrss / 1024,
        cpu=usage.ru_utime + usage.ru_stime,
        tree_peak_mb=tree_peak / 1024,
        result=json.loads(out.read()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="messages in the mailbox")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the server directory")
    parser.add_argument(
        "--repeat", type=int, default=3, help="floor and warm-scan repetitions (best of)"
    )
    parser.add_argument(
        "--cold-runs",
        type=int,
        default=5,
        help="cold scans, each on a fresh state between two floor runs (median ratio)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip imap-tools")
    parser.add_argument(
        "--dir",
        default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None,
        help="where the server's Maildirs go (default /dev/shm: file creation "
        "on some disks is the bottleneck of the build)",
    )
    args = parser.parse_args()
    precompile()

    server_root = Path(tempfile.mkdtemp(prefix="kizuna-bench-dovecot-", dir=args.dir))
    # Dovecot's default 256 MB per imap process runs out at ~300k messages a folder
    server = DevMail(server_root, extra_conf="default_vsz_limit = 2G\n")
    server.start()
    work = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    try:
        t = time.perf_counter()
        counts = build_mailbox(server, args.n, args.seed)
        build_s = time.perf_counter() - t
        print(f"built {args.n} messages in {build_s:.1f}s: {counts}", file=sys.stderr)
        folders = scan_folders(server)
        t = time.perf_counter()
        for _ in range(2):  # index the Maildirs and cache the header fields
            raw_session(server, folders)
        print(f"warmed Dovecot in {time.perf_counter() - t:.1f}s ({folders})", file=sys.stderr)

        floor, nbytes = min(raw_session(server, folders) for _ in range(args.repeat))
        try:
            peer = None if args.no_peer else imap_tools_peer(server, folders, work)
        except Exception as exc:  # noqa: BLE001 - the peer is informative only
            print(f"imap-tools failed: {exc}", file=sys.stderr)
            peer = None

        # This machine's speed drifts by up to 2x within a minute, so each
        # cold scan is bracketed by floor runs, one just before and one just
        # after it, and set against their mean; the ratio reported is the
        # median of these pairs.
        pairs = []
        before, _ = raw_session(server, folders)
        floors = [before]
        for attempt in range(args.cold_runs):
            config = work / f"cold{attempt}" / "config.toml"
            config.parent.mkdir()
            config.write_text(
                server.kizuna_config(
                    config.parent / "state" / "state.db", [ME], api={"enabled": False}
                )
            )
            cold_run = kizuna_scan(config)
            after, _ = raw_session(server, folders)
            floors.append(after)
            around = (before + after) / 2
            pairs.append((cold_run.seconds / around, around, cold_run))
            before = after
        best_floor = min([floor, *floors])
        best_cold = min(run.seconds for _, _, run in pairs)
        pairs.sort(key=lambda pair: pair[0])
        ratio, paired_floor, cold = pairs[len(pairs) // 2]
        warm = min((kizuna_scan(config) for _ in range(args.repeat)), key=lambda run: run.seconds)
        extra = max(1, args.n // 100)
        build_mailbox(server, extra, args.seed, start=args.n)
        # let Dovecot index the new files first, as it would have on delivery
        raw_session(server, folders)
        raw_session(server, folders)
        incr = kizuna_scan(config)
        floor2, _ = raw_session(server, folders)

        def row(name: str, seconds: float | None, note: str = "") -> str:
            if seconds is None:
                return f"{name:<22}{'-':>9}{'-':>9}  {note}"
            return f"{name:<22}{seconds:>9.3f}{seconds / floor:>8.2f}x  {note}"

        print()
        print(
            f"n={args.n}  folders={len(folders)}  fetched={nbytes / 1e6:.1f} MB  "
            f"python={sys.version.split()[0]}  cpus={os.cpu_count()}"
        )
        print(f"{'run':<22}{'seconds':>9}{'/floor':>9}  notes")
        print(row("floor (raw socket)", floor, f"best of {args.repeat}; after incr: {floor2:.3f}s"))
        print(
            row(
                "imap-tools bulk",
                peer,
                "headers_only, bulk=1000; parses the whole header"
                if peer
                else "skipped (--no-peer) or imap-tools could not be installed",
            )
        )
        # the cold row's ratio is the median pair's, against the floor measured around it
        print(
            f"{'kizuna scan cold':<22}{cold.seconds:>9.3f}{ratio:>8.2f}x  "
            f"cpu {cold.cpu:.1f}s, maxrss {cold.maxrss_mb:.0f} MB, "
            f"tree {cold.tree_peak_mb:.0f} MB, {cold.result['messages']} msgs"
        )
        print(
            f"{'':<22}{'':>9}{'':>9}  the median of {len(pairs)} cold runs, each over the "
            f"mean of the floor runs just before and after it (that one {paired_floor:.3f}s); all: "
            + ", ".join(f"{r:.2f}x" for r, _, _ in pairs)
        )
        print(
            f"{'':<22}{'':>9}{best_cold / best_floor:>8.2f}x  best against best: the fastest cold scan "
            f"({best_cold:.3f}s) over the fastest floor run ({best_floor:.3f}s); noise only adds time"
        )
        print(
            row(
                "kizuna scan warm",
                warm.seconds,
                f"cpu {warm.cpu:.1f}s, maxrss {warm.maxrss_mb:.0f} MB, "
                f"new={warm.result['new_messages']}",
            )
        )
        print(
            row(
                f"kizuna incr (+{extra})",
                incr.seconds,
                f"cpu {incr.cpu:.1f}s, maxrss {incr.maxrss_mb:.0f} MB, "
                f"new={incr.result['new_messages']}, "
                f"{(incr.seconds - warm.seconds) / extra * 1e6:.0f} us/new msg over warm",
            )
        )
    finally:
        if args.keep:
            print(f"kept server dir {server_root} and state {work}", file=sys.stderr)
            server.stop()
        else:
            server.cleanup()
            import shutil

            shutil.rmtree(server_root, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
