"""IMAP XOAUTH2 against a real Dovecot whose oauth2 passdb asks a local introspection endpoint."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import Cli, alice_mailbox, write_config
from tests.support.require import need_dovecot

GOOD_TOKEN = "ya29.fresh-token"
seen_tokens: list[str] = []


class Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection: only GOOD_TOKEN is active."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        token = (form.get("token") or [""])[0]
        seen_tokens.append(token)
        body = (
            {"active": True, "username": DevMail.user} if token == GOOD_TOKEN else {"active": False}
        )
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def oauth_dovecot() -> Iterator[DevMail]:
    need_dovecot()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    server = DevMail(
        oauth2_introspection_url=f"http://127.0.0.1:{http.server_address[1]}/introspect"
    )
    server.start()
    try:
        alice_mailbox(server)  # one contact, both ways
        yield server
    finally:
        server.cleanup()
        http.shutdown()


def _cli(server: DevMail, tmp_path: Path, token: str) -> Cli:
    return write_config(
        server,
        tmp_path,
        api={"enabled": False},
        addresses=["me@example.com"],
        account={"password": None, "oauth2_token_cmd": f"echo {token}"},
    )


def test_xoauth2_login_with_a_fresh_token(oauth_dovecot: DevMail, tmp_path: Path) -> None:
    seen_tokens.clear()
    assert _cli(oauth_dovecot, tmp_path, GOOD_TOKEN).json("scan")["contacts"] == 1
    assert GOOD_TOKEN in seen_tokens


def test_xoauth2_rejected_token_is_authentication_failed(
    oauth_dovecot: DevMail, tmp_path: Path
) -> None:
    done = _cli(oauth_dovecot, tmp_path, "expired-token")("scan")
    assert done.returncode == 1 and "authentication failed" in done.stderr
    assert "expired-token" not in done.stderr
