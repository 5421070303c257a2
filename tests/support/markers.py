"""The ``dovecot`` marker, put on every test that talks to a real server.

A test is marked when it uses a fixture that starts one, or when its module
starts a harness itself (:class:`~tests.support.dovecot.DevMail` and its
Courier and Cyrus siblings, the daemon, aiosmtpd). ``pytest -m "not dovecot"``
is then the quick unit-only run. Modules may also say ``pytestmark =
pytest.mark.dovecot`` themselves; marking twice is harmless.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

#: Fixtures that start a real server (directly or through another fixture).
SERVER_FIXTURES = frozenset(
    {"dovecot", "cli", "drafting", "web", "smtpd", "imap_server", "courier", "cyrus"}
)
#: Names whose presence in a module means it starts a server itself.
SERVER_HARNESSES = (
    "DevMail(",
    "CourierMail(",
    "CyrusMail(",
    "DaemonProcess(",
    "running_smtpd(",
    "Thunderbird(",
)


@cache
def _starts_servers(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(name in text for name in SERVER_HARNESSES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SERVER_FIXTURES or _starts_servers(Path(str(item.fspath))):
            item.add_marker(pytest.mark.dovecot)
