"""TLS against a real Dovecot with a private CA: verified by default, ca_file to trust it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import Cli, alice_mailbox, write_config
from tests.support.require import need_dovecot


@pytest.fixture
def tls_dovecot() -> Iterator[DevMail]:
    need_dovecot()
    server = DevMail(tls=True)
    server.start()
    try:
        alice_mailbox(server)  # one contact, both ways
        yield server
    finally:
        server.cleanup()


def _config(
    server: DevMail,
    tmp_path: Path,
    security: str,
    port: int,
    ca_file: Path | None,
    host: str = "127.0.0.1",
) -> Cli:
    return write_config(
        server,
        tmp_path,
        api={"enabled": False},
        addresses=["me@example.com"],
        account={"host": host, "port": port, "security": security, "ca_file": ca_file},
    )


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_private_ca_is_refused_by_default(
    tls_dovecot: DevMail, tmp_path: Path, security: str
) -> None:
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    done = _config(tls_dovecot, tmp_path, security, port, None)("scan")
    assert done.returncode == 1
    assert "certificate" in done.stderr and f"127.0.0.1:{port}" in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_ca_file_trusts_the_private_ca(tls_dovecot: DevMail, tmp_path: Path, security: str) -> None:
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    cli = _config(tls_dovecot, tmp_path, security, port, tls_dovecot.ca_path)
    assert cli.json("scan")["contacts"] == 1


def test_host_name_is_verified(tls_dovecot: DevMail, tmp_path: Path) -> None:
    # The certificate names 127.0.0.1 only: the same server reached as "localhost" is refused.
    cli = _config(
        tls_dovecot, tmp_path, "tls", tls_dovecot.tls_port, tls_dovecot.ca_path, host="localhost"
    )
    done = cli("scan")
    assert done.returncode == 1 and "certificate" in done.stderr, done.stderr
