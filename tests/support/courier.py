"""A throwaway Courier-IMAP server (Debian's courier-imap 5.0), for the tests.

Courier has no option to read its configuration from elsewhere than
``/etc/courier`` (authdaemond's ``authdaemonrc``, authlib's ``userdb.dat``, the
``/run/courier/authdaemon`` socket, the ``/usr/lib/courier-authlib`` modules are
compiled in). So the server runs in a private mount namespace (``unshare -m``,
root only): read-only overlays put the unpacked packages over ``/usr`` and
``/etc`` and this instance's files over ``/etc/courier``, and ``/run`` is this
instance's ``run/``. Outside the namespace nothing changes; when the server
stops, the mounts go with it.

Authentication is authlib's userdb (``makeuserdb``), one user whose mail is a
Maildir++ owned by ``nobody``. Folders live under ``INBOX.`` with ``.`` as the
separator; Courier has no SPECIAL-USE, so Drafts, Sent and Trash are made by
name, as a mail client would make them. The IMAP settings are Debian's
(``/etc/courier/imapd`` as packaged, so the capabilities are the ones a real
Courier offers) except: no STARTTLS, no automatic Trash purge, and a short
IDLE timeout.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import os
import pwd
import shlex
import shutil
import subprocess
from pathlib import Path

from .imapserver import RealImapServer, servers_root

__all__ = ["CourierMail", "find_courier", "courier_missing"]


def courier_tree() -> Path:
    return servers_root() / "courier"


def courier_missing() -> str | None:
    """Why Courier cannot run here, or None when it can."""
    tree = courier_tree()
    if not (tree / "usr/bin/imapd").exists():
        return f"Courier-IMAP is not unpacked in {tree} (run scripts/install-imap-servers)"
    if os.geteuid() != 0:
        return "the Courier harness needs root (it mounts its configuration in a private namespace)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing"
    return None


def find_courier() -> str | None:
    """Courier's imapd binary, or None when the harness cannot run it (see :func:`courier_missing`)."""
    return None if courier_missing() else str(courier_tree() / "usr/bin/imapd")


class CourierMail(RealImapServer):
    """One throwaway Courier-IMAP server (see the module doc).

    >>> with CourierMail() as server:                       # doctest: +SKIP
    ...     server.append("INBOX", b"From: a@example.com\\r\\n\\r\\nhi")
    """

    kind = "courier"
    prefix = "INBOX."
    separator = "."
    server_folders = ()
    client_folders = ("Drafts", "Sent", "Trash")
    #: seconds between checks for new mail during IDLE when FAM (gamin) gives no notice
    idle_timeout = 2

    def __init__(self, root: Path | None = None, *, folders: tuple[str, ...] | None = None) -> None:
        reason = courier_missing()
        if reason:
            raise RuntimeError(reason)
        super().__init__(root, folders=folders)
        self.tree = courier_tree()
        owner = pwd.getpwnam("nobody")
        self.uid, self.gid = owner.pw_uid, grp.getgrnam("nogroup").gr_gid

    @property
    def home(self) -> Path:
        return self.root / "mail" / self.user

    @property
    def maildir(self) -> Path:
        return self.home / "Maildir"

    def _prepare(self) -> None:
        etc = self.root / "etc" / "courier"
        etc.mkdir(parents=True, exist_ok=True)
        (self.root / "run" / "courier" / "authdaemon").mkdir(parents=True, exist_ok=True)
        (etc / "authdaemonrc").write_text(
            'authmodulelist="authuserdb"\n'
            'authmodulelistorig="authuserdb"\n'
            "daemons=3\n"
            "authdaemonvar=/run/courier/authdaemon\n"
            "DEBUG_LOGIN=0\n"
            'DEFAULTOPTIONS=""\n'
            'LOGGEROPTS=""\n'
        )
        digest = base64.b64encode(hashlib.sha512(self.password.encode()).digest()).decode()
        userdb = etc / "userdb"
        fields = f"uid={self.uid}|gid={self.gid}|home={self.home}|mail={self.maildir}|systempw={{SHA512}}{digest}"
        userdb.write_text(f"{self.user}\t{fields}\n")
        os.chmod(userdb, 0o600)  # makeuserdb refuses anything else
        mounts = self._mounts()
        if not self.maildir.exists():
            self.home.parent.mkdir(parents=True, exist_ok=True)
            self.home.mkdir(exist_ok=True)
            inner = f"maildirmake.courier {shlex.quote(str(self.maildir))}"
        else:
            inner = "true"
        # makeuserdb calls its makedatprog by a compiled-in path under /usr: inside the overlay.
        subprocess.run(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-ec",
                f"{mounts[0]}\nmakeuserdb -f {shlex.quote(str(userdb))}\n{inner}",
            ],
            check=True,
            capture_output=True,
        )
        for dirpath, _dirs, files in os.walk(self.root / "mail"):
            os.chown(dirpath, self.uid, self.gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), self.uid, self.gid)
        env = {
            "IMAP_IDLE_TIMEOUT": str(self.idle_timeout),
            "IMAP_STARTTLS": "NO",
            "IMAPDSTARTTLS": "NO",
            "IMAP_TLS_REQUIRED": "0",
            # Debian purges Trash messages older than 7 days at logout: tests date messages freely.
            "IMAP_EMPTYTRASH": "",
            "MAXDAEMONS": "64",
            "MAXPERIP": "64",
        }
        exports = "\n".join(f"export {key}={shlex.quote(value)}" for key, value in env.items())
        script = f"""set -e
{mounts[0]}
{mounts[1]}
{mounts[2]}
# Debian's settings, as its init script reads them
set -a
. /etc/courier/imapd-ssl
. /etc/courier/imapd
set +a
{exports}
/usr/lib/courier/courier-authlib/authdaemond &
exec /usr/sbin/couriertcpd -address={self.host} -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \\
  -nodnslookup -noidentlookup {self.port} /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir
"""
        (self.root / "start.sh").write_text(script)

    def _mounts(self) -> tuple[str, str, str]:
        tree, root = shlex.quote(str(self.tree)), shlex.quote(str(self.root))
        return (
            f"mount -t overlay kizuna-courier -o lowerdir={tree}/usr:/usr /usr",
            f"mount -t overlay kizuna-courier -o lowerdir={root}/etc:{tree}/etc:/etc /etc",
            f"mount --bind {root}/run /run",
        )

    def _command(self) -> list[str]:
        return ["unshare", "-m", "--propagation", "private", "sh", str(self.root / "start.sh")]
