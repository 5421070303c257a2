"""The local API's secret: one token in the state directory, readable by the user alone.

The token is made on first use (``secrets.token_urlsafe(32)``) and kept in
``<state dir>/api-token`` (mode 0600, directory 0700). ``kizuna dashboard``
prints :func:`dashboard_url`, whose ``/login?token=...`` sets a session cookie;
the Thunderbird add-on sends the token as ``Authorization: Bearer <token>``.

The cookie does not carry the token itself but :func:`session_value`, an HMAC
of it: a leaked cookie does not reveal the token, and deleting ``api-token``
(a new one is made at the next start) revokes the token and every cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from worker.errors import StateError
from worker.fsutil import ensure_private_file, private_dir, write_private

if TYPE_CHECKING:
    from worker.config import Config

__all__ = [
    "TOKEN_FILE",
    "COOKIE_NAME",
    "load_or_create_token",
    "dashboard_url",
    "session_value",
    "token_matches",
]

TOKEN_FILE = "api-token"
COOKIE_NAME = "kizuna_session"


def load_or_create_token(state_dir: Path) -> str:
    """The API token of this state directory, created (0600) on first use.

    >>> import tempfile
    >>> state = Path(tempfile.mkdtemp())
    >>> token = load_or_create_token(state)
    >>> len(token) >= 32, load_or_create_token(state) == token, oct((state / TOKEN_FILE).stat().st_mode & 0o777)
    (True, True, '0o600')
    """
    directory = Path(state_dir).expanduser()
    path = directory / TOKEN_FILE
    try:
        private_dir(directory)
        token = _read(path)
        if token:
            return token
        fresh = secrets.token_urlsafe(32)
        try:
            # Absent: create without overwriting, so two processes racing here
            # agree on one token. Present but empty (a crash long ago): replace.
            write_private(path, fresh.encode("ascii"), overwrite=path.exists())
        except FileExistsError:
            token = _read(path)
            if token:
                return token
            raise
        return fresh
    except OSError as exc:
        raise StateError(
            f"cannot read or create the API token {path}: {exc.strerror or exc}"
        ) from None


def _read(path: Path) -> str:
    if not ensure_private_file(path):
        return ""
    return path.read_text(encoding="ascii", errors="replace").strip()


def dashboard_url(config: Config) -> str:
    """``http://127.0.0.1:<api.port>/login?token=<token>`` for ``kizuna dashboard``."""
    token = load_or_create_token(config.state_dir)
    return f"http://127.0.0.1:{config.api.port}/login?token={token}"


def session_value(token: str) -> str:
    """What the session cookie holds: an HMAC of the token (not the token)."""
    return hmac.new(token.encode("utf-8"), b"kizuna-session-v1", hashlib.sha256).hexdigest()


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty or missing value never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
