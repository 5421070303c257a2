"""A throwaway local Dovecot IMAP server, for the demo, the tests and the benchmarks.

Everything lives in one temporary directory: configuration, Maildirs, logs.
The server listens on a free loopback port, without TLS, with one user.

Dovecot refuses to deliver mail as uid 0, so when this runs as root the mail
is owned by the ``dovecot`` user and the login processes run as ``dovenull``;
as an ordinary user everything runs as that user.

Mailboxes can be filled two ways: IMAP APPEND (small cases, exactly what a
client would do) or by writing Maildir files directly (large mailboxes,
thousands of messages a second).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["DevMail", "find_dovecot", "free_port", "SPECIAL_FOLDERS"]

# name -> SPECIAL-USE flag, created with the server
SPECIAL_FOLDERS = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Junk": "\\Junk",
    "Trash": "\\Trash",
    "Archive": "\\Archive",
}

_counter = itertools.count()


def find_dovecot() -> str | None:
    """The dovecot binary, or None when it is not installed."""
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevMail:
    """One throwaway Dovecot server.

    >>> with DevMail() as server:                       # doctest: +SKIP
    ...     server.append("INBOX", b"From: a@example.com\\r\\n\\r\\nhi")
    """

    kind = "dovecot"
    #: the personal namespace (as :class:`tests.support.imapserver.RealImapServer` has it)
    prefix = ""
    separator = "/"
    user = "kizuna"
    password = "kizuna-test-password"

    def __init__(
        self,
        root: Path | None = None,
        *,
        folders: dict[str, str] | None = None,
        extra_conf: str = "",
        tls: bool = False,
        oauth2_introspection_url: str | None = None,
    ) -> None:
        binary = find_dovecot()
        if binary is None:
            raise RuntimeError("dovecot is not installed (Debian package dovecot-imapd)")
        self.binary = binary
        self._own_root = root is None
        # Not under a 0700 pytest directory: the dovecot user must reach it.
        self.root = Path(root or tempfile.mkdtemp(prefix="kizuna-dovecot-"))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.folders = dict(SPECIAL_FOLDERS if folders is None else folders)
        self.extra_conf = extra_conf
        self.tls = tls
        self.oauth2_url = oauth2_introspection_url  # XOAUTH2 tokens checked there (RFC 7662)
        self.host = "127.0.0.1"
        self.port = 0
        self.tls_port = 0  # IMAPS (implicit TLS) when ``tls``; STARTTLS is then on ``port``
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            self.mail_user = "dovecot"
            self.login_user = "dovenull"
        else:
            self.mail_user = self.login_user = pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(self.mail_user)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    # -- lifecycle -----------------------------------------------------------------

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.user

    @property
    def conf_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def _write_conf(self) -> None:
        mailboxes = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in self.folders.items()
        )
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        for sub in ("run", "state"):
            (self.root / sub).mkdir(exist_ok=True)
        ssl = "ssl = no"
        if self.tls:
            cert, key = self._make_certificates()
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\nssl_min_protocol = TLSv1.2"
            if os.path.exists("/usr/share/dovecot/dh.pem"):
                ssl += "\nssl_dh = </usr/share/dovecot/dh.pem"
        mechanisms = "plain login"
        oauth2 = ""
        if self.oauth2_url:
            mechanisms += " xoauth2 oauthbearer"
            (self.root / "oauth2.conf").write_text(
                f"introspection_mode = post\nintrospection_url = {self.oauth2_url}\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            )
            oauth2 = f"passdb {{\n  driver = oauth2\n  args = {self.root}/oauth2.conf\n}}"
        self.conf_path.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = kizuna-devmail-{self.port}
protocols = imap
listen = 127.0.0.1
{ssl}
auth_mechanisms = {mechanisms}
disable_plaintext_auth = no
log_path = {self.log_path}
info_log_path = {self.log_path}
default_login_user = {self.login_user}
default_internal_user = {self.mail_user}
default_internal_group = {pwd.getpwnam(self.mail_user).pw_name}
first_valid_uid = {min(self.uid, 100)}
first_valid_gid = 0
mail_location = maildir:{self.root}/mail/%u:LAYOUT=fs
mail_fsync = never
maildir_very_dirty_syncs = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
{oauth2}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service imap {{
  process_limit = 64
}}
protocol imap {{
  mail_max_userip_connections = 64
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
{self.extra_conf}
"""
        )

    @property
    def ca_path(self) -> Path:
        """The test CA's certificate (PEM), which signed the server's, with ``tls``."""
        return self.root / "tls" / "ca.pem"

    def _make_certificates(self) -> tuple[Path, Path]:
        """A throwaway CA and a server certificate for 127.0.0.1 (only: not "localhost")."""
        import datetime as dt
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        folder = self.root / "tls"
        cert_path, key_path = folder / "server.pem", folder / "server.key"
        if cert_path.exists():
            return cert_path, key_path
        folder.mkdir(exist_ok=True)
        now = dt.datetime.now(dt.UTC)

        def name(common: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(name("Kizuna test CA"))
            .issuer_name(name("Kizuna test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name("127.0.0.1"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        os.chmod(key_path, 0o600)
        return cert_path, key_path

    def start(self, timeout: float = 15.0) -> DevMail:
        """Start the server on a free loopback port and wait for its greeting."""
        if not self.port:
            self.port = free_port()
        if self.tls and not self.tls_port:
            self.tls_port = free_port()
        self._write_conf()
        for sub in ("mail", "home"):
            path = self.root / sub
            path.mkdir(exist_ok=True)
            os.chown(path, self.uid, self.gid)
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise RuntimeError(f"dovecot exited at start: {err}{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log_tail()}")
        # Log in once (this creates the special-use folders, so Maildir writes can
        # target them). Under load Dovecot's auth process may answer "[UNAVAILABLE]
        # Temporary authentication failure" while it starts: try again briefly.
        from imapclient.exceptions import LoginError

        while True:
            try:
                with self.client():
                    pass
                break
            except LoginError as exc:
                if b"UNAVAILABLE" not in str(exc).encode() or time.monotonic() > deadline + 15:
                    raise
                time.sleep(0.2)
        return self

    def stop(self) -> None:
        """Stop the server (the Maildirs stay until :meth:`cleanup`)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port (connections are dropped)."""
        self.stop()
        self.start()

    def kick(self) -> None:
        """Drop every client connection of the user, as a server fault would."""
        subprocess.run(
            ["doveadm", "-c", str(self.conf_path), "kick", self.user],
            check=False,
            capture_output=True,
        )

    def cleanup(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DevMail:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- filling mailboxes --------------------------------------------------------

    def mailbox(self, name: str) -> str:
        """The server's name for a test's folder name: the same here (no prefix, ``/``).

        As :meth:`tests.support.imapserver.RealImapServer.mailbox`, so tests can swap servers.
        """
        return name

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
        """APPEND one message, as a mail client would."""
        with self.client() as client:
            if not client.folder_exists(folder):  # type: ignore[attr-defined]
                client.create_folder(folder)  # type: ignore[attr-defined]
            client.append(folder, raw, flags=flags, msg_time=msg_time)  # type: ignore[attr-defined]

    def folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.maildir
        return self.maildir / folder

    def write_maildir(
        self,
        folder: str,
        raw: bytes,
        *,
        seen: bool = True,
        mtime: float | None = None,
    ) -> Path:
        """Drop one message straight into the folder's Maildir (fast; picked up on next sync).

        ``mtime`` becomes the message's INTERNALDATE.
        """
        base = self.folder_path(folder)
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        name = f"{int(time.time())}.M{next(_counter)}P{os.getpid()}.devmail"
        if seen:
            path = base / "cur" / f"{name}:2,S"
        else:
            path = base / "new" / name
        path.write_bytes(raw)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def fix_ownership(self) -> None:
        """Give every Maildir file to the mail user (after :meth:`write_maildir`)."""
        if os.geteuid() != 0:
            return
        for dirpath, _dirnames, filenames in os.walk(self.root / "mail"):
            os.chown(dirpath, self.uid, self.gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), self.uid, self.gid)

    def kizuna_config(
        self,
        state_path: Path,
        addresses: list[str],
        *,
        account: dict[str, object | None] | None = None,
        **sections: dict[str, object],
    ) -> str:
        """A Kizuna config (TOML text) pointing at this server.

        ``account`` overrides keys of ``[account]`` (None leaves a key out);
        every other keyword is a section of its own.
        """
        return kizuna_config_text(
            self.host, self.port, self.user, self.password, state_path, addresses, account, sections
        )


def kizuna_config_text(
    host: str,
    port: int,
    user: str,
    password: str,
    state_path: Path,
    addresses: list[str],
    account: dict[str, object | None] | None,
    sections: dict[str, dict[str, object]],
) -> str:
    """A Kizuna config (TOML text) for a test server on loopback, plain IMAP.

    ``account`` overrides keys of ``[account]`` (None leaves a key out);
    ``sections`` are sections of their own.
    """
    values: dict[str, object | None] = {
        "host": host,
        "port": port,
        "security": "none",
        "username": user,
        "password": password,
        "addresses": list(addresses),
        "display_name": "Kizuna Tester",
        **(account or {}),
    }
    all_sections: dict[str, dict[str, object | None]] = {
        "account": values,
        "state": {"path": str(state_path)},
        **sections,
    }
    lines: list[str] = []
    for section, entries in all_sections.items():
        lines += ["", f"[{section}]"]
        lines += [
            f"{key} = {_toml_value(value)}" for key, value in entries.items() if value is not None
        ]
    return "\n".join(lines).lstrip() + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
