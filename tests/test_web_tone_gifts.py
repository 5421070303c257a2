"""``POST /api/tone`` and the gift favour, through the real WebService on loopback and Dovecot.

The tone route gives the add-on the same checks and words as ``draft --json``
(``check_tone`` worded by ``warning_text`` in ``[account] language``); the
favour route records what the contact did and answers with the gift that fits.
The page's favour choice is driven in a real browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import REASON, sample_mailbox, write_config
from tests.support.web import Web, queue_reminder
from tests.test_web_page import browser  # noqa: F401 - the fixture
from worker.config import load_config
from worker.core import Kizuna
from worker.store.reminders import Reminders
from worker.web import WebService
from worker.words.tone import check_tone, warning_text

pytestmark = pytest.mark.dovecot


def _web(dovecot: DevMail, tmp_path: Path, language: str) -> Web:
    sample_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        account={"language": language},
        outreach={"reason": REASON},
        api={"port": 0},
    )
    assert cli.json("scan")["contacts"] == 3
    config = load_config(cli.config)
    service = WebService(config, lambda: Kizuna(config), port=0)
    service.start()
    return Web(cli, config, service, service.token)


@pytest.fixture
def web_en(dovecot: DevMail, tmp_path: Path) -> Iterator[Web]:
    web = _web(dovecot, tmp_path, "en")
    try:
        yield web
    finally:
        web.service.stop()


@pytest.fixture
def web_ja(dovecot: DevMail, tmp_path: Path) -> Iterator[Web]:
    web = _web(dovecot, tmp_path, "ja")
    try:
        yield web
    finally:
        web.service.stop()


# -- POST /api/tone ----------------------------------------------------------------------

PUSHY = [
    ("Please get back to me by Friday.", None, "deadline"),
    ("I'm counting on you for this introduction.", None, "presumption"),
    ("今週中にご返信ください。", None, "deadline"),
    ("ご紹介いただけますよね。", None, "presumption"),
    ("Thanks for your time.", "URGENT: reply ASAP", "deadline"),
]
SOFT = [
    "No need to reply right away — there's nothing urgent.",
    "I immediately thought of you when I read the news.",
    "今すぐでなくても大丈夫です。至急ではありません。",
    "お忙しいところ申し訳ありませんが、お時間のあるときにご覧いただけると嬉しいです。",
]


def _tone(web: Web, doc: dict[str, Any]) -> Any:
    with web.client() as http:
        return http.post("/api/tone", json=doc)


@pytest.mark.parametrize(("text", "subject", "category"), PUSHY)
def test_tone_warns_in_english_as_draft_json_does(
    web_en: Web, text: str, subject: str | None, category: str
) -> None:
    doc = {"text": text} if subject is None else {"text": text, "subject": subject}
    got = _tone(web_en, doc)
    assert got.status_code == 200
    warnings = got.json()["warnings"]
    expected = [warning_text(w, "en") for w in check_tone(text, subject)]
    assert warnings == expected and warnings
    assert category in {w.category for w in check_tone(text, subject)}
    if subject:
        assert any(w.startswith("Subject: ") for w in warnings)


def test_tone_words_warnings_in_the_users_language(web_ja: Web) -> None:
    english = _tone(web_ja, {"text": "Please get back to me by Friday."}).json()["warnings"]
    # a Japanese user is told in Japanese what to write in English
    assert len(english) == 1 and "“" not in english[0] and "「Please get back" in english[0]
    assert "whenever you have a moment" in english[0]
    japanese = _tone(web_ja, {"text": "紹介してほしいです。"}).json()["warnings"]
    assert len(japanese) == 1 and "「紹介してほしいです」" in japanese[0]


@pytest.mark.parametrize("text", SOFT)
def test_negations_and_softeners_raise_nothing(web_en: Web, text: str) -> None:
    got = _tone(web_en, {"text": text, "subject": "お久しぶりです"})
    assert got.status_code == 200 and got.json() == {"warnings": []}


def test_tone_bad_bodies_400_and_auth(web_en: Web) -> None:
    with web_en.client() as http:
        for body in (
            {},
            {"text": 3},
            {"text": None},
            {"subject": "x"},
            {"text": "x", "subject": 1},
        ):
            got = http.post("/api/tone", json=body)
            assert got.status_code == 400, body
            assert got.json()["error"]
        assert http.post("/api/tone", content=b"not json").status_code == 400
        assert http.post("/api/tone", json=["text"]).status_code == 400
        assert http.post("/api/tone", json={"text": "x" * 30_000}).status_code == 413
        assert http.get("/api/tone").status_code == 405
    with web_en.client(auth=False) as http:
        assert http.post("/api/tone", json={"text": "hi"}).status_code == 401


# -- POST /api/reminders/<id> {"favour": ...} ----------------------------------------------


def _gift(web: Web, tired: bool = False) -> int:
    with web.kizuna() as kizuna, kizuna.store.transaction() as db:
        Reminders.queue(
            db,
            email="taro@example.jp",
            kind="gift",
            due=datetime.now(UTC) + timedelta(days=3),
            reconnection="reconnect-taro",
            detail={"name": "山田 太郎", "language": "ja", "tired": tired},
        )
    with web.kizuna() as kizuna:
        return next(r.id for r in kizuna.reminders() if r.kind == "gift")


def test_favour_scales_the_gift(web_en: Web) -> None:
    rid = _gift(web_en, tired=True)
    with web_en.client() as http:
        listed = {r["id"]: r for r in http.get("/api/reminders").json()}
        assert listed[rid]["favour"] is None
        reply = http.post(f"/api/reminders/{rid}", json={"favour": "reply"}).json()
        assert reply["favour"] == "reply" and reply["status"] == "pending"
        assert reply["gift"]["language"] == "en"  # the user's language by default
        assert "no gift is needed" in reply["gift"]["ideas"][0]
        call = http.post(f"/api/reminders/{rid}", json={"favour": "call"}).json()["gift"]
        assert any("coffee" in i for i in call["ideas"]) and not any(
            "wine" in i for i in call["ideas"]
        )
        intro = http.post(
            f"/api/reminders/{rid}", json={"favour": "introduction", "language": "ja"}
        ).json()["gift"]
        assert intro["label"] == "紹介" and intro["tired"] is True
        assert intro["ideas"][0].startswith("スパ") and "ワイン" in intro["ideas"]
        assert {r["id"]: r for r in http.get("/api/reminders").json()}[rid]["favour"] == (
            "introduction"
        )
        # status and snooze still work as before
        assert (
            http.post(f"/api/reminders/{rid}", json={"status": "done"}).json()["status"] == "done"
        )
    with web_en.kizuna() as kizuna:
        (gift,) = [r for r in kizuna.reminders() if r.id == rid]
        assert gift.favour == "introduction" and gift.status == "done"


def test_favour_errors(web_en: Web) -> None:
    rid = _gift(web_en)
    thanks = queue_reminder(web_en.config, "alice@example.net", "thank-you", datetime.now(UTC))
    with web_en.client() as http:
        for body in (
            {"favour": "dinner"},
            {"favour": None},
            {"favour": 1},
            {"favour": "call", "status": "done"},
            {"favour": "call", "language": "fr"},
        ):
            got = http.post(f"/api/reminders/{rid}", json=body)
            assert got.status_code == 400, body
            assert got.json()["error"]
        refused = http.post(f"/api/reminders/{thanks}", json={"favour": "call"})
        assert refused.status_code == 400
        assert "only a gift reminder" in refused.json()["error"]
        assert http.post("/api/reminders/99999", json={"favour": "call"}).status_code == 404
    with web_en.kizuna() as kizuna:
        assert all(r.favour is None for r in kizuna.reminders())


# -- the page: a choice per gift reminder ----------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "label", "idea", "saved"),
    [
        ("en-US", "An introduction or referral", "a good bottle of wine", "Noted"),
        ("ja-JP", "紹介", "ワイン", "記録しました"),
    ],
)
def test_page_asks_what_they_did_and_shows_the_gift(
    browser: Any,  # noqa: F811 - the fixture
    web_en: Web,
    locale: str,
    label: str,
    idea: str,
    saved: str,
) -> None:
    rid = _gift(web_en)
    context = browser.new_context(locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{web_en.base}/login?token={web_en.token}")
    card = page.locator(f'li.reminder[data-reminder-id="{rid}"]')
    assert card.locator(".gift").is_hidden()
    assert card.locator("input[data-favour]").count() == 5
    card.get_by_label(label).check()
    card.locator(".result").filter(has_text=saved).wait_for(timeout=10000)
    assert idea in card.locator(".gift-ideas").inner_text()
    assert card.locator(".gift").is_visible()
    with web_en.kizuna() as kizuna:
        assert {r.id: r.favour for r in kizuna.reminders()}[rid] == "introduction"
    page.reload()  # the choice survived, and the page renders its gift itself
    card = page.locator(f'li.reminder[data-reminder-id="{rid}"]')
    assert card.get_by_label(label).is_checked()
    assert idea in card.locator(".gift-ideas").inner_text()
    assert errors == []
    context.close()
