"""Finding the one file Kizuna reads in what the user named: the file, a folder or a zip.

Exports arrive as the file itself, as the service's zip, or as that zip
unpacked into a folder, sometimes inside one more top-level folder. This
module finds the member, opens it as a binary stream with a size cap, and
tells the date the file was written (the best "as of" date for its content).
Every failure is a :class:`~worker.social.people.NotAnExport`.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from worker.social.people import NotAnExport, Source

__all__ = ["Member", "open_member", "MAX_MEMBER_BYTES", "ZIP_ERRORS"]

#: No friends list or connections file comes near this; a bigger member is
#: refused before it is read (a zip bomb, or the wrong file).
MAX_MEMBER_BYTES = 200 * 1024 * 1024

#: What a damaged zip raises while a member is read.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


@dataclass(frozen=True, slots=True)
class Member:
    """An opened export file: its stream, a label for messages, its size and date."""

    stream: IO[bytes]
    label: str  # "export.zip:friends/friends.json" or the path itself
    size: int  # as declared by the file system or the zip directory
    written: date | None  # the file's (or zip entry's) modification date
    zipped: bool = False

    def damage(self) -> str | None:
        """For a zip member, read it to its end: the zip's complaint if its data is damaged.

        A damaged member can decompress into garbage that fails parsing
        before the checksum at its end is reached; the damage is then the
        truer message.
        """
        if not self.zipped:
            return None
        try:
            while self.stream.read(1 << 20):
                pass
        except ZIP_ERRORS as exc:
            return f"is a corrupt zip file ({exc})"
        except ValueError:  # already closed: it was read to its end
            return None
        return None


def _matches(name: str, candidates: tuple[str, ...]) -> int | None:
    """Index of the candidate ``name`` ends with (whole path components), else None."""
    lowered = name.replace("\\", "/").lower()
    for i, candidate in enumerate(candidates):
        if lowered == candidate or lowered.endswith("/" + candidate):
            return i
    return None


def _pick(names: list[str], candidates: tuple[str, ...]) -> str | None:
    """The member to read: the earliest candidate, then the shallowest path."""
    found = [(i, n.count("/"), n) for n in names if (i := _matches(n, candidates)) is not None]
    return min(found)[2] if found else None


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n // (1024 * 1024)} MB"
    return f"{max(1, n // 1024)} KB"


def _too_big(label: str, size: int, limit: int) -> str:
    return f"{label} is {_size(size)}, more than any such export ({_size(limit)})"


def _files_under(folder: Path, depth: int) -> list[str]:
    """Relative paths of the files at most ``depth`` folders down (not a whole home directory)."""
    found = []
    for root, dirs, files in os.walk(folder):
        level = len(Path(root).relative_to(folder).parts)
        if level >= depth:
            dirs.clear()
        prefix = Path(root).relative_to(folder).as_posix()
        found += [f if prefix == "." else f"{prefix}/{f}" for f in files]
    return sorted(found)


@contextmanager
def open_member(
    path: Path,
    candidates: tuple[str, ...],
    source: Source,
    *,
    what: str,
    limit: int = MAX_MEMBER_BYTES,
    cap_plain_files: bool = True,
) -> Iterator[Member]:
    """Open the export file named by ``path`` as a binary stream.

    ``candidates`` are lower-case relative paths the file may have inside a
    zip or folder, preferred first (``("connections.csv",)``); a zip or
    folder may hold them under one or more leading folders. ``what`` names
    the export in messages ("a LinkedIn Connections.csv"). Members larger
    than ``limit`` are refused before reading; so are plain files unless
    ``cap_plain_files`` is false (the CSV reader streams, so it needs no cap).
    """
    if not path.exists():
        raise NotAnExport(path, source, "no such file or folder")
    if path.is_dir():
        chosen = _pick(_files_under(path, max(c.count("/") for c in candidates) + 3), candidates)
        if chosen is None:
            raise NotAnExport(path, source, f"no {what} in this folder")
        path = path / chosen
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise NotAnExport(path, source, f"cannot be read ({exc.strerror or exc})") from exc
    with raw:
        magic = raw.read(4)
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        if magic in (b"PK\x03\x04", b"PK\x05\x06"):
            with _open_zip(raw, path, candidates, source, what, limit) as member:
                yield member
            return
        if cap_plain_files and size > limit:
            raise NotAnExport(path, source, _too_big("the file", size, limit))
        written = datetime.fromtimestamp(os.fstat(raw.fileno()).st_mtime).date()
        yield Member(raw, str(path), size, written)


@contextmanager
def _open_zip(
    raw: IO[bytes], path: Path, candidates: tuple[str, ...], source: Source, what: str, limit: int
) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(raw)
    except ZIP_ERRORS as exc:
        raise NotAnExport(path, source, "is a truncated or corrupt zip file") from exc
    with archive:
        infos = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        chosen = _pick(list(infos), candidates)
        if chosen is None:
            raise NotAnExport(path, source, f"this zip holds no {what}{_hint(list(infos))}")
        info = infos[chosen]
        label = f"{path}:{chosen}"
        if info.file_size > limit:
            raise NotAnExport(path, source, _too_big(chosen, info.file_size, limit))
        try:
            stream = archive.open(info)
        except (*ZIP_ERRORS, RuntimeError) as exc:  # RuntimeError: an encrypted member
            raise NotAnExport(path, source, f"cannot read {chosen} in this zip ({exc})") from exc
        # The stream ends after the directory's declared size (checked above),
        # whatever the local header says: a lying zip cannot make us read more.
        with stream:
            yield Member(stream, label, info.file_size, date(*info.date_time[:3]), zipped=True)


def _hint(names: list[str]) -> str:
    """Say so when the zip is Facebook's HTML export rather than its JSON one."""
    if any(PurePosixPath(n).suffix.lower() == ".html" and "friends" in n.lower() for n in names):
        return " (it is the HTML export: request the export again in JSON format)"
    return ""
