"""Owner-only files and directories (worker.fsutil), on real files in tmp_path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from worker import fsutil
from worker.fsutil import ensure_private_file, private_dir, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """A permissive umask, so the modes under test come from the code, not the umask."""
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def test_private_dir_creates_every_missing_level_0700(tmp_path: Path, loose_umask) -> None:
    leaf = tmp_path / "a" / "b" / "c"
    assert private_dir(leaf) == leaf
    for directory in (tmp_path / "a", tmp_path / "a" / "b", leaf):
        assert directory.is_dir()
        assert mode(directory) == 0o700, directory


def test_private_dir_never_changes_existing_directories(tmp_path: Path) -> None:
    # A state path in /tmp or in the user's home must not chmod those (it once
    # turned /tmp into 0700 here).
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    private_dir(shared)
    assert mode(shared) == 0o1777
    private_dir(shared / "kizuna")
    assert mode(shared) == 0o1777 and mode(shared / "kizuna") == 0o700


def test_private_dir_is_idempotent(tmp_path: Path) -> None:
    leaf = tmp_path / "state"
    private_dir(leaf)
    (leaf / "keep").write_text("x")
    private_dir(leaf)
    assert (leaf / "keep").read_text() == "x"
    assert mode(leaf) == 0o700


def test_private_dir_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(NotADirectoryError):
        private_dir(target)


def test_write_private_creates_0600_whatever_the_umask(tmp_path: Path, loose_umask) -> None:
    target = tmp_path / "secret"
    write_private(target, b"data")
    assert target.read_bytes() == b"data"
    assert mode(target) == 0o600


def test_write_private_replaces_and_tightens(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"old contents, longer than the new ones")
    os.chmod(target, 0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600


def test_write_private_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_private(tmp_path / "one", b"1")
    write_private(tmp_path / "one", b"2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one"]


def test_write_private_temp_file_is_0600_from_creation(
    tmp_path: Path, monkeypatch, loose_umask
) -> None:
    """The temporary file is opened O_EXCL with mode 0600 (never briefly readable by others)."""
    calls: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        calls.append((os.fspath(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(fsutil.os, "open", spy)
    write_private(tmp_path / "secret", b"x")
    tmp_calls = [c for c in calls if c[0].endswith(".tmp")]
    assert len(tmp_calls) == 1
    path, flags, created_mode = tmp_calls[0]
    assert Path(path).parent == tmp_path
    assert flags & os.O_CREAT and flags & os.O_EXCL
    assert created_mode == 0o600


def test_write_private_failure_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "secret"
    write_private(target, b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def test_write_private_without_overwrite_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "key"
    write_private(target, b"first", overwrite=False)
    with pytest.raises(FileExistsError):
        write_private(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]


def test_ensure_private_file(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"")
    os.chmod(db, 0o664)
    assert ensure_private_file(db) is True
    assert mode(db) == 0o600
    assert ensure_private_file(tmp_path / "state.db-wal") is False
    assert not (tmp_path / "state.db-wal").exists()
