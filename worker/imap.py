"""IMAP connections: connect, secure, log in, with Kizuna's errors.

imapclient is the connection and command layer. This module maps its and the
socket's failures onto :mod:`worker.errors` with the host and port named, so
the CLI can say one clear line.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from .config import Account
from .errors import AuthenticationFailed, MailServerError, ServerUnreachable

__all__ = ["connect", "tls_context", "SecretLookup"]

SecretLookup = Callable[[str], "str | None"]


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
        detail = str(exc).strip() or "the server refused the login"
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
