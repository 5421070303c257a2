"""The dashboard page in a real browser (Debian chromium through Playwright) against Dovecot."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import drafts_on_server
from tests.support.web import queue_reminder, start_web
from worker.core import Kizuna

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need_browser() -> Any:
    """The playwright module and a chromium to drive, or a skip (a failure on CI)."""
    problem = None
    try:
        from playwright import sync_api
    except ImportError:
        problem = "the python package playwright is not installed"
    if problem is None and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problem = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_api


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = _need_browser()
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_page_lists_drafts_and_marks_done(browser: Any, dovecot: DevMail, tmp_path: Path) -> None:
    _, config, service = start_web(dovecot, tmp_path)
    try:
        rid = queue_reminder(
            config, "alice@example.net", "thank-you", datetime.now(UTC), "Alice Smith"
        )
        gift = queue_reminder(config, "alice@example.net", "gift", datetime.now(UTC), "Alice Smith")
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{service.port}/login?token={service.token}")
        assert page.url == f"http://127.0.0.1:{service.port}/"  # the token left the address bar

        contacts = page.locator("#contacts li.card")
        assert contacts.count() == 2
        alice = page.locator('li.contact[data-email="alice@example.net"]')
        assert "Alice Smith" in alice.inner_text()
        assert "years" in alice.inner_text() and "Re: Berlin conference" in alice.inner_text()
        alice.locator("summary").click()
        assert "Messages you sent" in alice.locator("dl.timeline").inner_text()

        alice.get_by_role("button", name="Draft a reconnection to Alice Smith").click()
        result = alice.locator(".result")
        result.filter(has_text="Drafted").wait_for(timeout=30000)
        assert alice.get_attribute("data-state") == "drafted"
        drafts = drafts_on_server(dovecot)
        assert [d["To"].addresses[0].addr_spec for d in drafts] == ["alice@example.net"]

        reminder = page.locator(f'li.reminder[data-reminder-id="{rid}"]')
        assert "Thank-you" in reminder.inner_text()
        reminder.get_by_role("button", name="Done: the Thank-you reminder for Alice Smith").click()
        reminder.locator(".result").filter(has_text="Marked done").wait_for(timeout=10000)
        with Kizuna(config) as kizuna:
            assert {r.id: r.status for r in kizuna.reminders()}[rid] == "done"
        offered = page.locator(f'li.reminder[data-reminder-id="{gift}"]')
        offered.get_by_role("button", name="Dismiss the Gift reminder for Alice Smith").click()
        offered.locator(".result").filter(has_text="Dismissed").wait_for(timeout=10000)
        with Kizuna(config) as kizuna:
            assert {r.id: r.status for r in kizuna.reminders()}[gift] == "dismissed"

        page.reload()  # the state survived; a second draft is refused, and said so
        alice = page.locator('li.contact[data-email="alice@example.net"]')
        assert "draft waiting in Drafts" in alice.inner_text()
        alice.get_by_role("button", name="Draft a reconnection to Alice Smith").click()
        alice.locator(".result").filter(has_text="Already pending").wait_for(timeout=30000)
        assert len(drafts_on_server(dovecot)) == 1
        assert page.locator(f'li.reminder[data-reminder-id="{rid}"]').count() == 0
        assert page.locator(f'li.reminder[data-reminder-id="{gift}"]').count() == 0
        assert errors == []
        context.close()
    finally:
        service.stop()


def test_page_in_japanese(browser: Any, dovecot: DevMail, tmp_path: Path) -> None:
    _, config, service = start_web(dovecot, tmp_path)
    try:
        rid = queue_reminder(config, "taro@example.jp", "thank-you", datetime.now(UTC), "山田 太郎")
        context = browser.new_context(locale="ja-JP", viewport={"width": 1000, "height": 1100})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{service.port}/login?token={service.token}")
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.get_by_role("heading", name="ご無沙汰している相手").is_visible()
        assert page.get_by_role("heading", name="リマインダー").is_visible()
        taro = page.locator('li.contact[data-email="taro@example.jp"]')
        assert "年" in taro.inner_text() and "前" in taro.inner_text()
        assert taro.get_by_role(
            "button", name="下書きを作成：山田 太郎さんへの再会メール"
        ).is_visible()
        page.locator('li.contact[data-email="alice@example.net"] summary').click()

        reminder = page.locator(f'li.reminder[data-reminder-id="{rid}"]')
        assert "お礼" in reminder.inner_text()
        reminder.get_by_role("button", name="7日後に再通知：山田 太郎さんへのお礼").click()
        reminder.locator(".result").filter(has_text="再通知します").wait_for(timeout=10000)
        with Kizuna(config) as kizuna:
            snoozed = {r.id: r for r in kizuna.reminders()}[rid]
        assert snoozed.status == "pending" and snoozed.due > datetime.now(UTC)

        shot = tmp_path / "dashboard-ja.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("KIZUNA_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["KIZUNA_SCREENSHOT_DIR"]) / shot.name)
        context.close()
    finally:
        service.stop()
