"""A throwaway Cyrus IMAP server (Debian's cyrus-imapd 3.6), for the tests.

Every Cyrus program takes ``-C imapd.conf`` and the master ``-M cyrus.conf``, so
Cyrus runs straight from the unpacked packages with its configuration, databases
and spool in this instance's directory (``LD_LIBRARY_PATH`` finds the unpacked
``libcyrus*``). The master runs one IMAP service on a free loopback port and
drops to ``nobody`` when started as root (to the current user otherwise).

Authentication is SASL with a private sasldb (``saslpasswd2 -f``). The namespace
is Debian's default (``altnamespace: no``, ``unixhierarchysep: no``): folders are
``INBOX.Sent`` and so on with ``.`` as the separator. As configured by the people
who reported issue 17, the account's Drafts, Sent, Trash, Junk and Archive are
created at first login with their SPECIAL-USE flags (``autocreate_inbox_folders``
and ``xlist-*``); ``folders=()`` gives an account without them. IDLE polls for new
mail every ``imapidlepoll`` second (Debian runs no idled either).

Cyrus logs only to syslog; where ``/dev/log`` is missing its messages are lost,
and :meth:`log_tail` shows only what the master wrote to stderr.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from .imapserver import RealImapServer, servers_root

__all__ = ["CyrusMail", "find_cyrus", "cyrus_missing"]

#: folder -> the imapd.conf key that gives it its SPECIAL-USE flag when autocreated
_XLIST = {
    "Drafts": "drafts",
    "Sent": "sent",
    "Trash": "trash",
    "Junk": "junk",
    "Archive": "archive",
}


def cyrus_tree() -> Path:
    return servers_root() / "cyrus"


def cyrus_missing() -> str | None:
    """Why Cyrus cannot run here, or None when it can."""
    tree = cyrus_tree()
    if not (tree / "usr/lib/cyrus/bin/imapd").exists():
        return f"Cyrus IMAP is not unpacked in {tree} (run scripts/install-imap-servers)"
    if shutil.which("saslpasswd2") is None:
        return "saslpasswd2 is missing (Debian package sasl2-bin; run scripts/install-imap-servers)"
    return None


def find_cyrus() -> str | None:
    """Cyrus's imapd binary, or None when the harness cannot run it (see :func:`cyrus_missing`)."""
    return None if cyrus_missing() else str(cyrus_tree() / "usr/lib/cyrus/bin/imapd")


class CyrusMail(RealImapServer):
    """One throwaway Cyrus IMAP server (see the module doc).

    >>> with CyrusMail() as server:                       # doctest: +SKIP
    ...     server.append("INBOX", b"From: a@example.com\\r\\n\\r\\nhi")
    """

    kind = "cyrus"
    prefix = "INBOX."
    separator = "."
    server_folders = ("Drafts", "Sent", "Trash", "Junk", "Archive")
    client_folders = server_folders
    #: seconds between checks for new mail during IDLE (Debian's default is 60)
    idle_poll = 1
    realm = "localhost"

    def __init__(self, root: Path | None = None, *, folders: tuple[str, ...] | None = None) -> None:
        reason = cyrus_missing()
        if reason:
            raise RuntimeError(reason)
        super().__init__(root, folders=folders)
        self.tree = cyrus_tree()
        self.bin = self.tree / "usr/lib/cyrus/bin"
        self.run_as = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(self.run_as)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    @property
    def imapd_conf(self) -> Path:
        return self.root / "imapd.conf"

    @property
    def cyrus_conf(self) -> Path:
        return self.root / "cyrus.conf"

    def _env(self) -> dict[str, str]:
        libs = str(self.tree / "usr/lib/x86_64-linux-gnu")
        old = os.environ.get("LD_LIBRARY_PATH")
        return {**os.environ, "LD_LIBRARY_PATH": f"{libs}:{old}" if old else libs}

    def _prepare(self) -> None:
        r = self.root
        for sub in (
            "lib",
            "lib/db",
            "lib/socket",
            "lib/proc",
            "lib/log",
            "lib/user",
            "lib/quota",
            "spool",
            "run",
            "run/proc",
            "run/lock",
            "run/socket",
        ):
            (r / sub).mkdir(exist_ok=True)
        autocreate = [name for name in self.folders if "." not in name and "/" not in name]
        lines = [f"xlist-{_XLIST[name]}: {name}" for name in autocreate if name in _XLIST]
        if autocreate:  # an empty value is a configuration error
            lines += [
                f"autocreate_inbox_folders: {' | '.join(autocreate)}",
                f"autocreate_subscribe_folders: {' | '.join(autocreate)}",
            ]
        autocreation = "\n".join(lines)
        self.imapd_conf.write_text(
            f"""configdirectory: {r}/lib
proc_path: {r}/run/proc
mboxname_lockpath: {r}/run/lock
defaultpartition: default
partition-default: {r}/spool
altnamespace: no
unixhierarchysep: no
hashimapspool: true
allowplaintext: yes
allowanonymouslogin: no
autocreate_quota: 0
umask: 077
cyrus_user: {self.run_as}
servername: {self.realm}
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {r}/sasldb2
sasl_mech_list: PLAIN LOGIN
sasl_auto_transition: no
lmtpsocket: {r}/run/socket/lmtp
idlesocket: {r}/run/socket/idle
notifysocket: {r}/run/socket/notify
imapidlepoll: {self.idle_poll}
syslog_prefix: kizuna-cyrus-{self.port}
{autocreation}
"""
        )
        self.cyrus_conf.write_text(
            f"""START {{
  recover cmd="{self.bin}/ctl_cyrusdb -C {self.imapd_conf} -r"
}}
SERVICES {{
  imap cmd="{self.bin}/imapd -C {self.imapd_conf}" listen="{self.host}:{self.port}" prefork=0 maxchild=64
}}
EVENTS {{
  checkpoint cmd="{self.bin}/ctl_cyrusdb -C {self.imapd_conf} -c" period=30
}}
"""
        )
        sasldb = r / "sasldb2"
        if not sasldb.exists():
            subprocess.run(
                ["saslpasswd2", "-f", str(sasldb), "-u", self.realm, "-c", "-p", self.user],
                input=self.password.encode(),
                check=True,
                capture_output=True,
            )
        for dirpath, _dirs, files in os.walk(r):
            os.chown(dirpath, self.uid, self.gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), self.uid, self.gid)
        os.chmod(r, 0o755)

    def _command(self) -> list[str]:
        return [
            str(self.bin / "master"),
            "-C",
            str(self.imapd_conf),
            "-M",
            str(self.cyrus_conf),
            "-p",
            str(self.root / "run" / "master.pid"),
            "-D",
        ]

    def start(self, timeout: float = 30.0) -> CyrusMail:
        """Start the master (see :meth:`RealImapServer.start`)."""
        # Popen in the base class inherits os.environ: the unpacked libraries must be found.
        saved = os.environ.get("LD_LIBRARY_PATH")
        os.environ["LD_LIBRARY_PATH"] = self._env()["LD_LIBRARY_PATH"]
        try:
            super().start(timeout)
        finally:
            if saved is None:
                os.environ.pop("LD_LIBRARY_PATH", None)
            else:
                os.environ["LD_LIBRARY_PATH"] = saved
        return self
