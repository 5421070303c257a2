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
