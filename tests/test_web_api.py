"""The local API against a real WebService (uvicorn on loopback) and a real Dovecot."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import drafts_on_server
from tests.support.web import Web, queue_reminder, start_web
from worker.core import Kizuna
from worker.web import WebService, create_app, dashboard_url, load_or_create_token
from worker.web.auth import COOKIE_NAME

EXTENSION = "moz-extension://3f2b8e4c-1d2a-4b5c-9e8f-0a1b2c3d4e5f"


# -- authentication --------------------------------------------------------------------


def test_token_file_is_private_and_stable(web: Web) -> None:
    path = web.config.state_dir / "api-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == web.token and len(web.token) >= 40
    assert load_or_create_token(web.config.state_dir) == web.token
    assert dashboard_url(web.config) == f"http://127.0.0.1:0/login?token={web.token}"


def test_without_token_401(web: Web) -> None:
    with web.client(auth=False) as http:
        for path in ("/api/contacts", "/api/reminders", "/static/page.js"):
            got = http.get(path, headers={"Accept": "application/json"})
            assert got.status_code == 401, path
            assert "error" in got.json()
        assert http.post("/api/drafts", json={"email": "alice@example.net"}).status_code == 401
        assert http.post("/api/reminders/1", json={"status": "done"}).status_code == 401
        page = http.get("/", headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
        assert "kizuna dashboard" in page.text
        ja = http.get("/", headers={"Accept": "text/html", "Accept-Language": "ja-JP,ja;q=0.9"})
        assert ja.status_code == 401 and "ログインしていません" in ja.text


def test_wrong_token_401(web: Web) -> None:
    with web.client(auth=False) as http:
        for header in (f"Bearer {web.token}x", "Bearer x", f"Basic {web.token}", web.token):
            assert http.get("/api/reminders", headers={"Authorization": header}).status_code == 401
        assert http.get("/login", params={"token": "nope"}).status_code == 401
        assert http.get("/login").status_code == 401
        http.cookies.set(COOKIE_NAME, web.token)  # the token is not the session value
        assert http.get("/api/reminders").status_code == 401


def test_login_sets_cookie_and_cookie_works(web: Web) -> None:
    with web.client(auth=False) as http:
        got = http.get("/login", params={"token": web.token})
        assert got.status_code == 303 and got.headers["location"] == "/"
        cookie = got.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}=") and web.token not in cookie
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
        assert got.headers["referrer-policy"] == "no-referrer"
        page = http.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
        assert page.status_code == 200
        assert "Alice Smith" in page.text and "taro@example.jp" in page.text
        assert "bank@bank.example" not in page.text
        assert http.get("/api/reminders").json() == []
        assert http.get("/static/page.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/static/nope.txt").status_code == 404


def test_bearer_contacts_match_the_cli(web: Web) -> None:
    with web.client() as http:
        dormant = http.get("/api/contacts", params={"dormant": "true"})
        assert dormant.status_code == 200
        assert dormant.json() == web.cli.json("contacts", "--dormant")
        assert {c["email"] for c in dormant.json()} == {"alice@example.net", "taro@example.jp"}
        assert http.get("/api/contacts").json() == web.cli.json("contacts")
        assert http.get("/api/contacts", params={"dormant": "maybe"}).status_code == 400
        missing = http.get("/api/nothing-here")
        assert missing.status_code == 404 and "error" in missing.json()
        assert http.delete("/api/reminders").status_code == 405


# -- drafts ----------------------------------------------------------------------------


def test_draft_writes_to_dovecot_once(web: Web, dovecot: DevMail) -> None:
    with web.client() as http:
        got = http.post("/api/drafts", json={"email": "Alice@Example.net "})
        assert got.status_code == 200, got.text
        doc = got.json()
        assert doc["status"] == "drafted"
        assert doc["draft"]["email"] == "alice@example.net" and doc["draft"]["language"] == "en"
        drafts = drafts_on_server(dovecot)
        assert len(drafts) == 1
        assert drafts[0]["To"].addresses[0].addr_spec == "alice@example.net"
        assert drafts[0]["Message-ID"] == doc["draft"]["message_id"]
        assert drafts[0]["Subject"] == doc["draft"]["subject"]

        again = http.post("/api/drafts", json={"email": "alice@example.net"})
        assert again.status_code == 409
        assert again.json()["status"] == "skipped" and again.json()["code"] == "pending"
        assert "already pending" in again.json()["reason"]
        assert len(drafts_on_server(dovecot)) == 1

        stranger = http.post("/api/drafts", json={"email": "nobody@example.org"})
        assert stranger.status_code == 409 and stranger.json()["code"] == "not-contact"
        bank = http.post("/api/drafts", json={"email": "bank@bank.example"})
        assert bank.status_code == 409 and bank.json()["code"] == "excluded"
        assert len(drafts_on_server(dovecot)) == 1
    contacts = {c["email"]: c for c in web.cli.json("contacts")}
    assert contacts["alice@example.net"]["status"] == "draft pending"


def test_draft_bad_bodies_400(web: Web) -> None:
    with web.client() as http:
        for content in (
            b"{not json",
            b"[]",
            b'"x"',
            b"{}",
            b'{"email": 5}',
            b'{"email": "no-at"}',
            b"",
        ):
            got = http.post(
                "/api/drafts", content=content, headers={"Content-Type": "application/json"}
            )
            assert got.status_code == 400, content
            assert "error" in got.json()
        huge = http.post("/api/drafts", content=b'{"email": "' + b"a" * 70000 + b'"}')
        assert huge.status_code == 413


def test_mail_server_down_is_502(web: Web, dovecot: DevMail) -> None:
    dovecot.stop()
    with web.client() as http:
        got = http.post("/api/drafts", json={"email": "taro@example.jp"})
    assert got.status_code == 502
    assert got.json()["error"]


# -- reminders -------------------------------------------------------------------------


def test_reminders_list_and_status_changes(web: Web) -> None:
    now = datetime.now(UTC)
    thanks = queue_reminder(web.config, "alice@example.net", "thank-you", now, "Alice Smith")
    gift = queue_reminder(
        web.config, "alice@example.net", "gift", now + timedelta(days=14), "Alice Smith"
    )
    with web.client() as http:
        listed = http.get("/api/reminders").json()
        assert listed == web.cli.json("reminders")
        assert [r["id"] for r in listed] == [thanks, gift]
        assert {"email", "kind", "due", "status", "id"} <= set(listed[0])

        done = http.post(f"/api/reminders/{thanks}", json={"status": "done"})
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert done.json()["id"] == thanks
        with web.kizuna() as kizuna:
            assert {r.id: r.status for r in kizuna.reminders()}[thanks] == "done"

        snoozed = http.post(f"/api/reminders/{gift}", json={"snooze_days": 7})
        assert snoozed.status_code == 200 and snoozed.json()["status"] == "pending"
        due = datetime.fromisoformat(snoozed.json()["due"])
        assert abs(due - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)

        dismissed = http.post(f"/api/reminders/{gift}", json={"status": "dismissed"})
        assert dismissed.json()["status"] == "dismissed"
        with web.kizuna() as kizuna:
            assert {r.id: r.status for r in kizuna.reminders()} == {
                thanks: "done",
                gift: "dismissed",
            }


def test_reminder_errors(web: Web) -> None:
    rid = queue_reminder(web.config, "taro@example.jp", "thank-you", datetime.now(UTC))
    with web.client() as http:
        unknown = http.post("/api/reminders/99999", json={"status": "done"})
        assert unknown.status_code == 404 and "99999" in unknown.json()["error"]
        assert http.post("/api/reminders/abc", json={"status": "done"}).status_code == 404
        for body in (
            {"status": "pending"},
            {"status": "delivered"},
            {},
            {"snooze_days": -1},
            {"snooze_days": "7"},
            {"snooze_days": True},
            {"status": "done", "snooze_days": 1},
        ):
            got = http.post(f"/api/reminders/{rid}", json=body)
            assert got.status_code == 400, body
            assert got.json()["error"]
        assert http.post(f"/api/reminders/{rid}", content=b"nope").status_code == 400
    with web.kizuna() as kizuna:
        assert [r.status for r in kizuna.reminders()] == ["pending"]


# -- origin, host and network checks ---------------------------------------------------


def test_foreign_host_header_403(web: Web) -> None:
    with web.client() as http:
        for host in (
            "evil.example",
            f"evil.example:{web.service.port}",
            "127.0.0.1",
            f"127.0.0.1:{web.service.port + 1}",
            f"rebind.127.0.0.1.nip.io:{web.service.port}",
        ):
            got = http.get("/api/reminders", headers={"Host": host})
            assert got.status_code == 403, host
        assert (
            http.get(
                "/api/reminders", headers={"Host": f"localhost:{web.service.port}"}
            ).status_code
            == 200
        )


def test_cors_for_the_thunderbird_extension(web: Web) -> None:
    with web.client(auth=False) as http:
        pre = http.options(
            "/api/reminders/1",
            headers={
                "Origin": EXTENSION,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert pre.status_code in (200, 204)
        assert pre.headers["access-control-allow-origin"] == EXTENSION
        assert "POST" in pre.headers["access-control-allow-methods"]
        allowed = pre.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed

        real = http.get(
            "/api/reminders", headers={"Origin": EXTENSION, "Authorization": f"Bearer {web.token}"}
        )
        assert real.status_code == 200 and real.headers["access-control-allow-origin"] == EXTENSION
        denied = http.get("/api/reminders", headers={"Origin": EXTENSION})
        assert (
            denied.status_code == 401 and denied.headers["access-control-allow-origin"] == EXTENSION
        )

        evil = http.options(
            "/api/reminders",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
        plain = http.get(
            "/api/reminders",
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {web.token}"},
        )
        assert "access-control-allow-origin" not in plain.headers


def test_cookie_post_from_a_foreign_origin_403(web: Web) -> None:
    rid = queue_reminder(web.config, "alice@example.net", "thank-you", datetime.now(UTC))
    with web.client(auth=False) as http:
        http.get("/login", params={"token": web.token})
        foreign = http.post(
            f"/api/reminders/{rid}",
            json={"status": "done"},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        own = http.post(
            f"/api/reminders/{rid}", json={"status": "done"}, headers={"Origin": web.base}
        )
        assert own.status_code == 200


def test_non_loopback_client_403() -> None:
    """The guard itself, with a client address a real loopback socket cannot produce."""

    def factory() -> Kizuna:
        raise AssertionError("must not be reached")

    app = create_app(factory, "t0ken", port=8765)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))
    import asyncio

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as http:
            return await http.get("/api/reminders", headers={"Authorization": "Bearer t0ken"})

    assert asyncio.run(get()).status_code == 403


def _non_loopback_ipv4() -> str | None:
    candidates = []
    try:
        candidates.append(socket.gethostbyname(socket.gethostname()))
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=5
        ).stdout
        candidates += [
            line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line
        ]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    for address in candidates:
        if not address.startswith("127."):
            return address
    return None


def test_binds_loopback_only(web: Web) -> None:
    with pytest.raises(Exception, match="loopback"):
        WebService(web.config, web.kizuna, host="0.0.0.0")
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError), socket.create_connection((address, web.service.port), timeout=3):
        pass


def test_stop_is_prompt_and_frees_the_port(dovecot: DevMail, tmp_path: Path) -> None:
    _, _, service = start_web(dovecot, tmp_path)
    port = service.port
    assert port > 0
    with httpx.Client(timeout=10) as http:  # a kept-alive connection must not hold stop() up
        assert (
            http.get(
                f"http://127.0.0.1:{port}/api/reminders",
                headers={"Authorization": f"Bearer {service.token}"},
            ).status_code
            == 200
        )
        started = time.monotonic()
        service.stop()
        assert time.monotonic() - started < 3
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_port_in_use_is_a_clear_error(web: Web) -> None:
    other = WebService(web.config, web.kizuna, port=web.service.port)
    with pytest.raises(Exception, match="cannot listen"):
        other.start()
    assert os.path.exists(web.config.state_dir / "api-token")
