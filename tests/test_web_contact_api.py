"""The page's and the add-on's view of one contact: preview, reason, never (issue 15)."""

from __future__ import annotations

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import drafts_on_server
from tests.support.web import Web

pytestmark = pytest.mark.dovecot


def test_preview_then_reason_then_save(web: Web, dovecot: DevMail) -> None:
    with web.client() as http:
        shown = http.post("/api/drafts", json={"email": "alice@example.net", "dry_run": True})
        assert shown.status_code == 200, shown.text
        doc = shown.json()
        assert {"email", "subject", "body", "language", "warnings"} <= set(doc)
        assert doc["status"] == "preview" and doc["warnings"] == []
        assert drafts_on_server(dovecot) == []  # a preview writes nothing
        one = http.get("/api/contacts/alice@example.net")
        assert one.status_code == 200
        contact = one.json()
        assert contact["email"] == "alice@example.net" and contact["reason"] is None
        assert contact["history"]["messages"] == 2  # read (read-only) for the preview
        changed = http.post(
            "/api/contacts/alice@example.net", json={"reason": "I moved to Lisbon. | Coffee?"}
        )
        assert changed.status_code == 200 and changed.json()["reason"].startswith("I moved")
        again = http.post(
            "/api/drafts", json={"email": "alice@example.net", "dry_run": True}
        ).json()
        assert "I moved to Lisbon." in again["body"] and "Coffee?" in again["body"]
        once = http.post(
            "/api/drafts", json={"email": "alice@example.net", "reason": "Just this once."}
        ).json()
        assert once["status"] == "drafted" and "Just this once." in once["body"]
        assert len(drafts_on_server(dovecot)) == 1


def test_never_from_the_page(web: Web) -> None:
    with web.client() as http:
        assert http.post("/api/contacts/alice@example.net", json={"never": True}).json()["never"]
        dormant = [c["email"] for c in http.get("/api/contacts?dormant=true").json()]
        assert "alice@example.net" not in dormant
        refused = http.post("/api/drafts", json={"email": "alice@example.net", "dry_run": True})
        assert refused.status_code == 409 and refused.json()["code"] == "never"
        assert (
            http.post("/api/contacts/alice@example.net", json={"never": "yes"}).status_code == 400
        )
        assert http.get("/api/contacts/nobody@example.org").status_code == 404
        page = http.get("/")
        assert "/static/preview.js" in page.text
        assert http.get("/static/preview.js").status_code == 200
