"""Every command against every broken situation: one line on stderr, the right exit code, nothing lost.

The contract: exit 0 on success, 2 on bad usage or config, 1 on any other
failure, always with a one-line reason on stderr, never a traceback. This
module breaks things the way a new user (or a bad day) does: the server is
down, the password is wrong, TLS is spoken to a plain port or STARTTLS to a server without it, the server drops
the connection in the middle of a FETCH, the state file is a truncated copy,
not a database at all, another program's SQLite file or a newer Kizuna's, the
disk is full. Then it runs every command the CLI lists (``kizuna --help`` is
read, so a new command cannot slip past: it fails here until it is given its
arguments in :data:`ARGUMENTS`), and ``kizuna run`` for a few moments.

Nothing written or lost: the mailbox is the same message for message, flag
for flag; the state keeps its messages, drafts and reminders; a state file
that is not Kizuna's to change keeps every byte.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail, free_port
from tests.support.factories import ME, REASON, ROOT, Cli, message
from tests.support.proxy import CuttingProxy
from tests.support.require import need_dovecot
from tests.support.servers import known_mailbox

pytestmark = pytest.mark.dovecot

ALICE = "alice@example.net"

#: the arguments each top-level command runs with here (one that reads stdin gets a password)
ARGUMENTS: dict[str, list[str]] = {
    "scan": ["scan", "--no-progress"],
    "contacts": ["contacts"],
    "draft": ["draft"],
    "reminders": ["reminders"],
    "status": ["status"],
    "secret": ["secret", "set"],
    "dashboard": ["dashboard"],
    "contact": ["contact", ALICE],
    "import": ["import", "linkedin", "{linkedin_csv}"],
    "run": ["run"],
}
#: commands that talk to the mail server (the others work offline)
ONLINE = {"scan", "draft"}
#: commands that leave the state database alone
STATELESS = {"secret", "dashboard"}


def listed_commands() -> list[str]:
    """The top-level commands ``kizuna --help`` lists."""
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    section = done.stdout.split("\nCommands:\n", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


COMMANDS = listed_commands()


def test_every_listed_command_is_tried() -> None:
    unknown = sorted(set(COMMANDS) - set(ARGUMENTS))
    assert not unknown, f"give these commands their arguments in ARGUMENTS: {unknown}"
    assert {"scan", "draft", "run", "contacts", "secret"} <= set(COMMANDS)


# -- the world: one Dovecot and a state that knows it -----------------------------------


@dataclass
class World:
    server: DevMail
    base: Path  # a healthy state directory: scanned, a draft to Alice pending, a page token
    linkedin_csv: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    need_dovecot()
    server = DevMail()
    server.start()
    try:
        known_mailbox(server)
        root = tmp_path_factory.mktemp("world")
        cli = configure(server, root / "healthy", root / "healthy" / "state")
        for args in (["scan", "--json"], ["draft", "--to", ALICE, "--json"], ["dashboard"]):
            done = cli(*args)
            assert done.returncode == 0, done.stderr
        # mail the state has not seen: a scan has something to fetch and write
        server.append(
            "INBOX", message(ALICE, ME[0], "Hello again", "Fri, 08 Jan 2016 10:00:00 +0000")
        )
        csv = root / "Connections.csv"
        csv.write_text(
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Alice,Smith,https://www.linkedin.com/in/alice,,Acme,Designer,12 Mar 2024\n"
        )
        yield World(server, root / "healthy" / "state", csv)
    finally:
        server.cleanup()


def configure(server: DevMail, where: Path, state_dir: Path, **account: object) -> Cli:
    where.mkdir(parents=True, exist_ok=True)
    config = where / "config.toml"
    state = state_dir / "state.db"
    config.write_text(
        server.kizuna_config(
            state,
            ME,
            account=dict(account) or None,
            outreach={"reason": REASON},
            api={"enabled": True, "port": free_port()},
            daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5},
        )
    )
    return Cli(config, state)


def mailbox_snapshot(server: DevMail) -> dict[str, list[tuple[int, tuple[bytes, ...], int]]]:
    """Every folder's (UID, flags, size): what "the mailbox is unchanged" compares."""
    out = {}
    with server.client() as client:
        for _flags, _sep, name in client.list_folders():  # type: ignore[attr-defined]
            client.select_folder(name, readonly=True)  # type: ignore[attr-defined]
            uids = client.search(["ALL"])  # type: ignore[attr-defined]
            data = client.fetch(uids, ["FLAGS", "RFC822.SIZE"]) if uids else {}  # type: ignore[attr-defined]
            out[name] = sorted(
                (uid, tuple(sorted(d[b"FLAGS"])), d[b"RFC822.SIZE"]) for uid, d in data.items()
            )
            client.unselect_folder()  # type: ignore[attr-defined]
    return out


def state_snapshot(path: Path) -> tuple[object, ...]:
    """What a failed command must not lose: messages, drafts under way, reminders."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return (
            db.execute("SELECT COUNT(*) FROM messages").fetchall(),
            db.execute("SELECT id, email, status FROM reconnections ORDER BY id").fetchall(),
            db.execute("SELECT kind, email, status FROM reminders ORDER BY id").fetchall(),
            db.execute("PRAGMA integrity_check").fetchall(),
        )
    finally:
        db.close()


# -- the situations ---------------------------------------------------------------------


@dataclass
class Situation:
    """A broken world: the CLI to run, what each command must exit with, how to check after."""

    cli: Cli
    #: command -> the exit codes allowed (a failure is always 1 here; 0 where it needs nothing broken)
    expect: Callable[[str], set[int]]
    #: the state file must keep every byte (it is not Kizuna's to change)
    untouched_state: bool = False
    #: the state must keep its messages, drafts and reminders
    keeps_state: bool = True
    #: run in this environment (e.g. a file size limit)
    preexec: Callable[[], None] | None = None
    #: breaks the world for good, after the snapshots are taken (fills the disk)
    arm: Callable[[], None] = lambda: None


def network_fault(command: str) -> set[int]:
    return {1} if command in ONLINE else {0}


def state_fault(command: str) -> set[int]:
    return {0} if command in STATELESS else {1}


def full_disk(command: str) -> set[int]:
    if command in ONLINE or command == "secret":
        return {1}  # must write: the new mail, the draft's intent, the key file
    if command == "dashboard":
        return {0}  # the token is there already
    # SQLite's WAL needs room for its index even to read: refusing is fine, in one line
    return {0, 1}


def copy_state(world: World, tmp_path: Path) -> Path:
    state_dir = tmp_path / "state"
    shutil.copytree(world.base, state_dir)
    return state_dir


@contextlib.contextmanager
def situation(name: str, world: World, tmp_path: Path) -> Iterator[Situation]:
    server = world.server
    if name == "server down":
        state_dir = copy_state(world, tmp_path)
        yield Situation(configure(server, tmp_path, state_dir, port=free_port()), network_fault)
    elif name == "wrong password":
        state_dir = copy_state(world, tmp_path)
        yield Situation(configure(server, tmp_path, state_dir, password="wrong"), network_fault)
    elif name == "TLS to a plain port":
        state_dir = copy_state(world, tmp_path)
        yield Situation(configure(server, tmp_path, state_dir, security="tls"), network_fault)
    elif name == "STARTTLS not offered":
        state_dir = copy_state(world, tmp_path)
        yield Situation(configure(server, tmp_path, state_dir, security="starttls"), network_fault)
    elif name == "connection dropped mid-FETCH":
        state_dir = copy_state(world, tmp_path)
        with CuttingProxy(server.host, server.port, cut_after=120) as proxy:
            yield Situation(configure(server, tmp_path, state_dir, port=proxy.port), network_fault)
            assert proxy.cuts > 0, "the proxy never cut a FETCH: the situation did not happen"
    elif name in ("truncated state", "state is not a database"):
        state_dir = copy_state(world, tmp_path)
        state = state_dir / "state.db"
        raw = state.read_bytes()
        state.write_bytes(
            raw[: len(raw) // 3] if name == "truncated state" else b"\x00garbage" * 999
        )
        yield Situation(
            configure(server, tmp_path, state_dir),
            state_fault,
            untouched_state=True,
            keeps_state=False,
        )
    elif name == "foreign SQLite file":
        state_dir = tmp_path / "state"
        state_dir.mkdir()
        db = sqlite3.connect(state_dir / "state.db")
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
        db.execute("INSERT INTO photos (path) VALUES ('holiday.jpg')")
        db.commit()
        db.close()
        yield Situation(
            configure(server, tmp_path, state_dir),
            state_fault,
            untouched_state=True,
            keeps_state=False,
        )
    elif name == "state from a newer Kizuna":
        state_dir = copy_state(world, tmp_path)
        db = sqlite3.connect(state_dir / "state.db")
        db.execute("INSERT INTO migrations VALUES (999, 'from the future', '2099-01-01')")
        db.commit()
        db.close()
        yield Situation(configure(server, tmp_path, state_dir), state_fault, untouched_state=True)
    elif name == "full disk":
        with full_disk_dir(tmp_path / "disk") as (state_dir, fill, preexec):
            shutil.copytree(world.base, state_dir, dirs_exist_ok=True)
            # what it keeps is checked once there is room again (the test after this one)
            yield Situation(
                configure(server, tmp_path, state_dir),
                full_disk,
                keeps_state=False,
                preexec=preexec,
                arm=fill,
            )
    else:
        raise AssertionError(name)


@contextlib.contextmanager
def full_disk_dir(
    where: Path,
) -> Iterator[tuple[Path, Callable[[], None], Callable[[], None] | None]]:
    """A state directory on a small tmpfs that ``fill()`` fills (root), else a file size limit."""
    where.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    state_dir = where / "state"
    try:
        if mounted:

            def fill() -> None:
                fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    while True:
                        os.write(fd, b"\0" * 65536)
                except OSError:
                    pass  # ENOSPC: full
                finally:
                    os.close(fd)
                with contextlib.suppress(OSError):  # the last few bytes too
                    with open(where / "filler2", "wb", buffering=0) as f:
                        while True:
                            f.write(b"\0")

            yield state_dir, fill, None
        else:
            # No tmpfs: no file may grow past what the state holds now (writes fail with EFBIG).
            def limit() -> None:
                size = (state_dir / "state.db").stat().st_size
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

            yield state_dir, lambda: None, limit
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], check=False)


SITUATIONS = [
    "server down",
    "wrong password",
    "TLS to a plain port",
    "STARTTLS not offered",
    "connection dropped mid-FETCH",
    "truncated state",
    "state is not a database",
    "foreign SQLite file",
    "state from a newer Kizuna",
    "full disk",
]


def run_command(
    cli: Cli, command: str, world: World, preexec: Callable[[], None] | None
) -> tuple[int, str]:
    args = [a.format(linkedin_csv=world.linkedin_csv) for a in ARGUMENTS[command]]
    argv = [sys.executable, "-m", "worker", "--config", str(cli.config), *args]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("KIZUNA_DEBUG", None)
    if command != "run":
        done = subprocess.run(
            argv,
            input="a-password\n",
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env=env,
            preexec_fn=preexec,
        )
        return done.returncode, done.stderr
    # the daemon: until it exits by itself or has tried a cycle, then SIGTERM
    log = cli.config.parent / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT, env=env, preexec_fn=preexec
        )
    deadline = time.monotonic() + 60  # bounds a hang; times nothing
    while proc.poll() is None and time.monotonic() < deadline:
        if re.search(r"event=(cycle|deliver_failed|watch_lost)", log.read_text(errors="replace")):
            break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = -9
    return code, log.read_text(errors="replace")


@pytest.mark.parametrize("name", SITUATIONS)
def test_every_command_fails_in_one_line_and_loses_nothing(
    name: str, world: World, tmp_path: Path
) -> None:
    mailbox_before = mailbox_snapshot(world.server)
    with situation(name, world, tmp_path) as broken:
        state = broken.cli.state
        state_bytes = state.read_bytes()
        kept = state_snapshot(state) if broken.keeps_state else None
        broken.arm()
        problems = []
        for command in COMMANDS:
            code, stderr = run_command(broken.cli, command, world, broken.preexec)
            lines = stderr.splitlines()
            where = f"{command!r} ({name}) exited {code}:\n{stderr[-2000:]}"
            if "Traceback" in stderr:
                problems.append(f"traceback from {where}")
            elif command == "run" and code == 0:
                # it ran and stopped on SIGTERM: its log lines are key=value records
                strays = [line for line in lines if "level=" not in line]
                if strays:
                    problems.append(f"stray output from {where}")
            elif code not in broken.expect(command):
                problems.append(f"expected exit {sorted(broken.expect(command))} from {where}")
            elif code != 0 and (len(lines) != 1 or not lines[0].startswith("kizuna: ")):
                problems.append(f"not one line from {where}")
            elif code != 0 and re.search(r"b'|b\"|\\n", lines[0]):
                problems.append(f"raw bytes in the line from {where}")
        if broken.untouched_state:
            assert state.read_bytes() == state_bytes, f"{name}: the state file was changed"
            leftovers = {p.name for p in state.parent.iterdir()} & {
                "state.db-wal",
                "state.db-shm",
                "state.db-journal",
            }
            assert not leftovers, f"{name}: left {leftovers} beside the state"
    assert not problems, "\n\n".join(problems)
    if kept is not None:
        assert state_snapshot(state) == kept, f"{name}: the state lost something"
    assert mailbox_snapshot(world.server) == mailbox_before, f"{name}: the mailbox changed"


def test_full_disk_loses_nothing_once_there_is_room_again(world: World, tmp_path: Path) -> None:
    """After failing on a full disk, the state is whole and a scan then works."""
    with full_disk_dir(tmp_path / "disk") as (state_dir, fill, preexec):
        shutil.copytree(world.base, state_dir, dirs_exist_ok=True)
        cli = configure(world.server, tmp_path, state_dir)
        kept = state_snapshot(cli.state)
        fill()
        code, stderr = run_command(cli, "scan", world, preexec)
        assert code == 1 and len(stderr.splitlines()) == 1, stderr
        assert "state" in stderr and "Traceback" not in stderr
        for filler in ("filler", "filler2"):
            with contextlib.suppress(FileNotFoundError):
                (tmp_path / "disk" / filler).unlink()
        assert state_snapshot(cli.state) == kept
        done = cli("scan", "--json")
        assert done.returncode == 0, done.stderr
        assert state_snapshot(cli.state)[0] != kept[0]  # the new mail is in now


def test_draft_to_something_that_is_not_an_address_is_bad_usage(
    world: World, tmp_path: Path
) -> None:
    before = mailbox_snapshot(world.server)
    cli = configure(world.server, tmp_path, copy_state(world, tmp_path))
    kept = state_snapshot(cli.state)
    for bad in ("not an email", "alice@", "Alice <alice@example.net>"):
        done = cli("draft", "--to", bad)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith("kizuna: ") and "not an e-mail address" in line
    assert state_snapshot(cli.state) == kept
    assert mailbox_snapshot(world.server) == before
