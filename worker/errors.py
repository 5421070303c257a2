"""One exception tree for Kizuna.

Every error Kizuna raises on purpose derives from :class:`KizunaError`.
Subclasses also inherit the fitting built-in, so callers may catch either way
(``except ConnectionError`` catches :class:`ServerUnreachable`), and carry the
data they are about (the config key, the folder, the host and port).

The CLI maps :class:`UsageError` (and its subclass :class:`ConfigError`) to
exit code 2 and every other :class:`KizunaError` to exit code 1.
"""

from __future__ import annotations

__all__ = [
    "KizunaError",
    "UsageError",
    "ConfigError",
    "NotFound",
    "SecretError",
    "MailServerError",
    "ServerUnreachable",
    "AuthenticationFailed",
    "FolderError",
    "DeliveryError",
    "StateError",
    "StateLocked",
    "AlreadyRunning",
    "TemplateError",
]


class KizunaError(Exception):
    """Root of every error Kizuna raises on purpose."""

    exit_code = 1


class UsageError(KizunaError, ValueError):
    """The command line was wrong (exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration is missing, malformed or names a bad value.

    ``key`` is the dotted config key at fault (``account.port``), when known.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class NotFound(UsageError):
    """What the user named (a reminder id, say) does not exist."""


class SecretError(KizunaError):
    """A stored secret could not be read, written or decrypted."""


class MailServerError(KizunaError):
    """Something went wrong talking to the IMAP or SMTP server."""

    def __init__(self, message: str, host: str | None = None, port: int | None = None) -> None:
        super().__init__(message)
        self.host = host
        self.port = port


class ConnectionLost(MailServerError, ConnectionError):
    """A connection Kizuna keeps open (an IDLE watch) died: BYE or end of stream."""


class ServerUnreachable(MailServerError, ConnectionError):
    """The server could not be reached (DNS, refused, timeout, TLS)."""


class AuthenticationFailed(MailServerError, PermissionError):
    """The server refused the credentials."""


class FolderError(MailServerError):
    """A folder could not be selected, examined or appended to."""

    def __init__(self, message: str, folder: str | None = None) -> None:
        super().__init__(message)
        self.folder = folder


class DeliveryError(MailServerError):
    """A reminder prompt could not be delivered (it stays pending).

    ``connection`` is true when the server could not be reached or refused
    the login: every other prompt would fail the same way right now.
    """

    def __init__(
        self,
        message: str,
        host: str | None = None,
        port: int | None = None,
        *,
        connection: bool = False,
    ) -> None:
        super().__init__(message, host, port)
        self.connection = connection


class StateError(KizunaError, OSError):
    """The state database could not be opened, read or written."""


class StateLocked(StateError):
    """The state database is locked by another process."""


class AlreadyRunning(StateError):
    """Another ``kizuna run`` already uses this state."""


class TemplateError(KizunaError):
    """A draft or prompt template is missing or does not render."""


class RequestError(UsageError):
    """A bad request to the local API: the HTTP status to answer, and extra JSON fields."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra
