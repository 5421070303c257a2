"""Files and directories readable by the user alone.

Kizuna's state directory holds the contact index, the API token and the
encrypted secrets; everything in it is created owner-only (0700 directories,
0600 files) whatever the umask, and files that hold secrets are replaced
atomically so a crash never leaves half a file behind.

These helpers raise plain :class:`OSError`; callers turn it into the fitting
:mod:`worker.errors` class, naming what they were trying to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from pathlib import Path

from worker.errors import AlreadyRunning, StateError

__all__ = [
    "InstanceLock",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "private_dir",
    "write_private",
    "ensure_private_file",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents, owner-only, and return it.

    Every directory this call creates gets mode 0700 (set explicitly, so the
    umask cannot loosen or over-tighten it). Directories that already exist
    are left alone: a state path the user put in ``/tmp`` or their home must
    never change those directories' modes (the files inside are 0600).

    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> state = private_dir(home / "kizuna" / "state")
    >>> oct(state.stat().st_mode & 0o777), oct((home / "kizuna").stat().st_mode & 0o777)
    ('0o700', '0o700')
    """
    path = Path(path).expanduser()
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            # A dangling symlink: mkdir would fail confusingly below it.
            raise FileNotFoundError(f"{probe} is a dangling symbolic link")
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # someone else created it between our check and our mkdir
        os.chmod(directory, PRIVATE_DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    return path


def write_private(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600.

    The data goes to a temporary file in the same directory, created with
    ``O_CREAT | O_EXCL`` and mode 0600 (it is never readable by others, not
    even for a moment), is flushed to disk, and then takes the place of
    ``path`` in one step: readers see the old file or the new one, never a
    mix. The directory must exist.

    With ``overwrite=False`` an existing ``path`` is left untouched and
    :class:`FileExistsError` is raised (the check and the creation are one
    atomic step, so two processes racing to create a key cannot both win).
    """
    path = Path(path)
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE_MODE
    )
    try:
        try:
            # The umask may have removed owner bits; make the mode exact.
            os.fchmod(fd, PRIVATE_FILE_MODE)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails with EEXIST instead of replacing: an atomic
            # "create if absent" that still never exposes a partial file.
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def ensure_private_file(path: Path) -> bool:
    """Tighten an existing file to mode 0600; return whether it exists.

    Meant for files other code creates, such as the SQLite database and its
    ``-wal`` and ``-shm`` companions. A missing file is not an error.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return False
    if mode != PRIVATE_FILE_MODE:
        os.chmod(path, PRIVATE_FILE_MODE)
    return True


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class InstanceLock:
    """An exclusive ``flock`` on ``<state dir>/kizuna.lock``: one daemon per state."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"kizuna is already running for state {self.path.parent} (pid {pid}); stop it first"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def held(path: Path) -> bool:
        """True while some process holds the lock (a daemon runs)."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)
