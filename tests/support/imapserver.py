"""What the Courier and Cyrus harnesses share: one throwaway IMAP server in a temporary directory.

The subclasses (:class:`tests.support.courier.CourierMail`,
:class:`tests.support.cyrus.CyrusMail`) write a private configuration and say
how to start the server; this base starts it on a free loopback port without
TLS, waits for its greeting, creates the usual folders as a mail client would,
and offers the same methods as :class:`tests.support.dovecot.DevMail`
(``client``, ``append``, ``write_maildir``, ``fix_ownership``, ``kizuna_config``,
``stop``, ``restart``, ``cleanup``) so that a parametrised fixture can swap servers.

Folder names: tests speak of ``"Sent"`` or ``"Drafts"``; :meth:`mailbox` turns
such a name into the server's own (``INBOX.Sent`` on Courier and on Cyrus with
Debian's default namespace). A name that already carries the prefix, and
``INBOX``, are left alone.

The binaries come from ``scripts/install-imap-servers``, unpacked under
``$KIZUNA_TEST_SERVERS`` (default ``/opt/kizuna-test-servers``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .dovecot import free_port, kizuna_config_text

__all__ = ["RealImapServer", "servers_root"]


def servers_root() -> Path:
    """Where ``scripts/install-imap-servers`` unpacked the servers."""
    return Path(os.environ.get("KIZUNA_TEST_SERVERS", "/opt/kizuna-test-servers"))


class RealImapServer:
    """A server process group with its files in one temporary directory (see the module doc)."""

    #: shown in errors, e.g. "courier"
    kind = "imap"
    user = "kizuna"
    password = "kizuna-test-password"
    #: the personal namespace as the server reports it (NAMESPACE)
    prefix = ""
    separator = "/"
    #: folders this server has for a new account without any client's help
    server_folders: tuple[str, ...] = ()
    #: folders a mail client would create on first use (names without the prefix)
    client_folders: tuple[str, ...] = ("Drafts", "Sent", "Trash")

    def __init__(self, root: Path | None = None, *, folders: tuple[str, ...] | None = None) -> None:
        self._own_root = root is None
        # Not under a 0700 pytest directory: the servers' unprivileged users must reach it.
        self.root = Path(root or tempfile.mkdtemp(prefix=f"kizuna-{self.kind}-"))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.folders = tuple(self.client_folders if folders is None else folders)
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        #: seconds the last :meth:`start` took, from launch to the first successful login
        self.start_seconds = 0.0

    # -- what a subclass provides ------------------------------------------------

    def _prepare(self) -> None:
        """Write configuration, users and mail store (``self.port`` is set)."""
        raise NotImplementedError

    def _command(self) -> list[str]:
        """The command that runs the server in the foreground (its own process group)."""
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.root / f"{self.kind}.log"

    # -- lifecycle -----------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> RealImapServer:
        """Start the server on a free loopback port, wait until the user can log in, make folders."""
        began = time.monotonic()
        if not self.port:
            self.port = free_port()
        self._prepare()
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server keeps writing to it
        try:
            self.process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = began + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.kind} did not answer on port {self.port}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            time.sleep(0.05)
        # The greeting can come before authentication is ready (Courier's authdaemond,
        # Cyrus's first database recovery): log in until it works.
        from imapclient.exceptions import IMAPClientError

        while True:
            try:
                with self.client() as client:
                    self._make_folders(client)
                break
            except (IMAPClientError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.kind}: cannot log in:\n{self.log_tail()}") from None
                time.sleep(0.1)
        self.start_seconds = time.monotonic() - began
        return self

    def _make_folders(self, client: object) -> None:
        for name in self.folders:
            full = self.mailbox(name)
            if not client.folder_exists(full):  # type: ignore[attr-defined]
                client.create_folder(full)  # type: ignore[attr-defined]
                client.subscribe_folder(full)  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop the server (the mail store stays until :meth:`cleanup`)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # Children that outlive the leader (forked per connection) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port (connections are dropped)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> RealImapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- names and filling mailboxes -------------------------------------------

    def mailbox(self, name: str) -> str:
        """The server's name for a test's folder name (``"Sent"`` -> ``"INBOX.Sent"``)."""
        if name.upper() == "INBOX" or not self.prefix or name.startswith(self.prefix):
            return name
        return self.prefix + name.replace("/", self.separator)

    @contextlib.contextmanager
    def client(self) -> Iterator[object]:
        """A logged-in imapclient.IMAPClient (closed on exit)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.login(self.user, self.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(
        self,
        folder: str,
        raw: bytes,
        flags: tuple[bytes | str, ...] = (),
        msg_time: datetime | None = None,
    ) -> None:
        """APPEND one message, as a mail client would (the folder is made when missing)."""
        name = self.mailbox(folder)
        with self.client() as client:
            if not client.folder_exists(name):  # type: ignore[attr-defined]
                client.create_folder(name)  # type: ignore[attr-defined]
            client.append(name, raw, flags=flags, msg_time=msg_time)  # type: ignore[attr-defined]

    def write_maildir(
        self, folder: str, raw: bytes, *, seen: bool = True, mtime: float | None = None
    ) -> None:
        """DevMail's fast filler, done with APPEND here (``mtime`` becomes the INTERNALDATE)."""
        when = datetime.fromtimestamp(mtime).astimezone() if mtime is not None else None
        self.append(folder, raw, flags=(b"\\Seen",) if seen else (), msg_time=when)

    def fix_ownership(self) -> None:
        """Nothing to do: every message went in through the server."""

    def kizuna_config(
        self,
        state_path: Path,
        addresses: list[str],
        *,
        account: dict[str, object | None] | None = None,
        **sections: dict[str, object],
    ) -> str:
        """A Kizuna config (TOML text) pointing at this server, as :meth:`DevMail.kizuna_config`."""
        return kizuna_config_text(
            self.host, self.port, self.user, self.password, state_path, addresses, account, sections
        )
