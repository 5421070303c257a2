"""IMAP connections: connect, secure, log in, with Kizuna's errors.

imapclient is the connection and command layer. This module maps its and the
socket's failures onto :mod:`worker.errors` with the host and port named, so
the CLI can say one clear line.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

import imapclient
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)

from worker.config import Account
from worker.errors import AuthenticationFailed, MailServerError, ServerUnreachable

__all__ = [
    "connect",
    "tls_context",
    "SecretLookup",
    "ImapOpener",
    "leave_folder",
    "examined",
    "fetch_item",
    "server_text",
    "personal_namespace",
    "create_folder",
    "describe_imap_error",
]

SecretLookup = Callable[[str], "str | None"]
#: What services receive instead of the facade: opens a logged-in connection, logged out after.
ImapOpener = Callable[[], AbstractContextManager[imapclient.IMAPClient]]


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificate and host name verified against the system store (or ``ca_file``)."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(
    account: Account, secret: SecretLookup | None = None, *, timeout: float | None = None
) -> imapclient.IMAPClient:
    """A logged-in :class:`imapclient.IMAPClient` for the account.

    Raises :class:`ServerUnreachable` (naming ``host:port``) or
    :class:`AuthenticationFailed`.
    """
    host, port = account.host, account.effective_port
    where = f"{host}:{port}"
    context = tls_context(account.ca_file) if account.security != "none" else None
    timeout = timeout or account.timeout
    try:
        client = imapclient.IMAPClient(
            host,
            port=port,
            ssl=account.security == "tls",
            ssl_context=context,
            timeout=timeout,
        )
        if account.security == "starttls":
            client.starttls(context)
    except CapabilityError:
        _close(client)
        raise ServerUnreachable(
            f"{where} does not offer STARTTLS, so the password would go out in clear: "
            'use security = "tls" where the server listens for TLS (port 993)',
            host,
            port,
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise ServerUnreachable(
            f"cannot reach {where}: TLS certificate not trusted ({exc.verify_message}); "
            "set account.ca_file for a private CA",
            host,
            port,
        ) from None
    except (TimeoutError, OSError, IMAPClientError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ServerUnreachable(f"cannot reach {where}: {reason}", host, port) from None
    try:
        token = account.oauth2_token()
        if token:
            client.oauth2_login(account.username, token)
        else:
            client.login(account.username, account.secret("imap", secret))
    except LoginError as exc:
        _close(client)
        detail = server_text(exc) or "the server refused the login"
        raise AuthenticationFailed(
            f"authentication failed for {account.username} at {where}: {detail}", host, port
        ) from None
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise MailServerError(f"login to {where} failed: {exc}", host, port) from None
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: imapclient.IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection
        pass


def server_text(exc: BaseException) -> str:
    """An imapclient error's text as the server said it (imapclient keeps it as bytes)."""
    parts = []
    for arg in exc.args:
        if isinstance(arg, bytes):
            arg = arg.decode("utf-8", "replace")
        parts.append(str(arg))
    text = " ".join(parts).strip()
    return re.sub(r"^b(['\"])(.*)\1$", r"\2", text)


def describe_imap_error(exc: BaseException) -> str:
    """What went wrong in a command, in words, for one line after "cannot read Drafts: ".

    >>> describe_imap_error(CapabilityError("Server does not support UNSELECT capability"))
    'the server does not offer UNSELECT, which Kizuna needs here'
    >>> describe_imap_error(IMAPClientAbortError("command: FETCH => socket error: EOF"))
    'the connection to the server was lost (command: FETCH => socket error: EOF)'
    >>> describe_imap_error(IMAPClientError(b"[NONEXISTENT] Mailbox doesn't exist: Drafts"))
    "the server refused: [NONEXISTENT] Mailbox doesn't exist: Drafts"
    """
    text = server_text(exc) or type(exc).__name__
    if isinstance(exc, CapabilityError):
        match = re.search(r"support (\S+) capability", text)
        missing = match.group(1) if match else text
        return f"the server does not offer {missing}, which Kizuna needs here"
    if isinstance(exc, IMAPClientAbortError | OSError):
        return f"the connection to the server was lost ({text})"
    return f"the server refused: {text}"


def leave_folder(client: imapclient.IMAPClient) -> None:
    """Deselect the folder: UNSELECT where the server offers it (RFC 3691), else CLOSE.

    CLOSE is in every IMAP server; after a read-only EXAMINE it expunges nothing.
    """
    if client.has_capability("UNSELECT"):
        client.unselect_folder()
    else:
        client.close_folder()


@contextmanager
def examined(client: imapclient.IMAPClient, folder: str) -> Iterator[dict[bytes, object]]:
    """``folder`` selected read-only (EXAMINE) for the block, then left (:func:`leave_folder`)."""
    info = client.select_folder(folder, readonly=True)
    try:
        yield info
    except BaseException:
        # The block's own error is the one to report: a connection that died
        # mid-FETCH fails the deselect too, and that must not hide why.
        with contextlib.suppress(Exception):
            leave_folder(client)
        raise
    leave_folder(client)


def _section_key(key: bytes) -> bytes:
    return key.replace(b'"', b"").upper()


def fetch_item(data: Mapping[bytes, object], section: bytes) -> object | None:
    """A FETCH response item by its section name, however the server spelled it.

    Servers may quote header names or change their case: Courier answers
    ``BODY[HEADER.FIELDS ("X-KIZUNA-ID")]`` to a request for
    ``BODY.PEEK[HEADER.FIELDS (X-KIZUNA-ID)]``.

    >>> fetch_item({b'BODY[HEADER.FIELDS ("X-KIZUNA-ID")]': b"x"}, b"BODY[HEADER.FIELDS (X-KIZUNA-ID)]")
    b'x'
    """
    if section in data:
        return data[section]
    wanted = _section_key(section)
    for key, value in data.items():
        if isinstance(key, bytes) and _section_key(key) == wanted:
            return value
    return None


def personal_namespace(client: imapclient.IMAPClient) -> tuple[str, str | None]:
    """(prefix, separator) of the account's personal namespace.

    From NAMESPACE (RFC 2342) where the server offers it (``("INBOX.", ".")``
    on Courier and Cyrus, ``("", "/")`` on a default Dovecot); else no prefix
    and the separator that ``LIST "" ""`` reports (RFC 3501 6.3.8).
    """
    if client.has_capability("NAMESPACE"):
        personal = client.namespace().personal
        if personal:
            prefix, separator = personal[0]
            return str(prefix), str(separator) if separator else None
    for _flags, separator, _name in client.list_folders("", ""):
        if separator:
            return "", separator.decode() if isinstance(separator, bytes) else str(separator)
    return "", None


def create_folder(
    client: imapclient.IMAPClient, name: str, *, special_use: bytes | None = None
) -> None:
    """CREATE ``name`` and subscribe to it, marked ``special_use`` where the server can.

    ``CREATE name (USE (\\Drafts))`` (RFC 6154 section 3) only where the server
    offers CREATE-SPECIAL-USE; a server that refuses the attribute (``NO
    [USEATTR]``) gets a plain CREATE. imapclient has no call for the USE
    argument, so it goes through imaplib's command layer, as imapclient's own
    calls do. Raises imapclient's error when the folder cannot be made.
    """
    created = False
    if special_use and client.has_capability("CREATE-SPECIAL-USE"):
        folder = client._normalise_folder(name)  # noqa: SLF001 - quoted, modified UTF-7
        imap = client._imap  # noqa: SLF001 - imaplib's command layer, as imapclient uses it
        use = f"(USE ({special_use.decode('ascii')}))"
        try:
            typ, _ = imap._simple_command("CREATE", folder, use)  # noqa: SLF001
            created = typ == "OK"
        except IMAPClientError:  # BAD: a server that announced more than it parses
            created = False
    if not created:
        client.create_folder(name)
    try:
        client.subscribe_folder(name)  # so that mail clients show it
    except IMAPClientError:
        pass  # a folder nobody subscribed to is still a folder
