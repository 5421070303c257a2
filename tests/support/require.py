"""Skip, or on CI fail, a test whose real server is not installed."""

from __future__ import annotations

import os

import pytest

from .dovecot import find_dovecot


def need_dovecot() -> None:
    """Skip the test when Dovecot is missing; on CI (``CI`` set) fail instead of skipping."""
    if find_dovecot() is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed: .ci/run must install dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")


def need_courier() -> None:
    """Skip the test when the Courier harness cannot run; on CI (``CI`` set) fail instead."""
    from .courier import courier_missing

    _need("Courier-IMAP", courier_missing())


def need_cyrus() -> None:
    """Skip the test when the Cyrus harness cannot run; on CI (``CI`` set) fail instead."""
    from .cyrus import cyrus_missing

    _need("Cyrus IMAP", cyrus_missing())


def _need(server: str, reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{server} cannot run: {reason}; .ci/run must run scripts/install-imap-servers")
    pytest.skip(f"{server} cannot run: {reason}")
