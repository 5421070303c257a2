"""The Thunderbird add-on in a real, headless Thunderbird against a real ``kizuna run``.

The story: Alice, a dormant contact, got a reconnection and replied; the daemon
queued a thank-you (with a threaded thank-you draft in Drafts) and a gift
reminder. Thunderbird, with the add-on from ``scripts/build-xpi`` and an IMAP
account on the same Dovecot, is set up as a user would (the options page, the
URL from ``kizuna dashboard``). On Alice's reply the banner appears; "Open
thank-you draft" opens the threaded draft (which Thunderbird had not synced:
the add-on has to ask for it); Done and Dismiss change the reminders through
the API. Then the compose window's tone check.

How Thunderbird is driven is described in :mod:`tests.support.thunderbird`.
Screenshots of every window are saved under the test's tmp dir on failure.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.daemon import DaemonProcess, wait_for
from tests.support.dovecot import DevMail, free_port
from tests.support.factories import Cli, alice_mailbox, message, write_config
from tests.support.thunderbird import Thunderbird, build_xpi, need_thunderbird

pytestmark = pytest.mark.dovecot

ALICE = "alice@example.net"
PUSHY = "Please get back to me by Friday, it is time-sensitive."


def _send_like_a_client(server: DevMail) -> email.message.EmailMessage:
    """Copy the draft to Sent without \\Draft, then delete it from Drafts and expunge."""
    with server.client() as client:
        client.select_folder("Drafts")
        uids = client.search(["ALL"])
        assert len(uids) == 1
        raw = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        client.append("Sent", raw, flags=(b"\\Seen",))
        client.delete_messages(uids)
        client.expunge()
    return email.message_from_bytes(raw, policy=email.policy.default)


class Story:
    """The daemon, the API and Thunderbird of one test."""

    def __init__(
        self,
        cli: Cli,
        daemon: DaemonProcess,
        login_url: str,
        tb: Thunderbird,
        reply_id: str,
        thanks: email.message.EmailMessage,
    ) -> None:
        self.cli, self.daemon, self.login_url, self.tb = cli, daemon, login_url, tb
        self.reply_id, self.thanks = reply_id, thanks
        self.base, _, token = login_url.partition("/login?token=")
        self.api = httpx.Client(
            base_url=self.base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def reminders(self) -> dict[str, dict[str, Any]]:
        got = self.api.get("/api/reminders")
        assert got.status_code == 200, got.text
        return {r["kind"]: r for r in got.json() if r["email"] == ALICE}


@pytest.fixture
def story(dovecot: DevMail, tmp_path: Path) -> Iterator[Story]:
    need_thunderbird()
    alice_mailbox(dovecot)
    port = free_port()
    cli = write_config(
        dovecot,
        tmp_path / "kizuna",
        api={"port": port},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
        reminders={"gift_after_days": 14, "keep_in_touch_days": 180},
    )
    assert cli.json("scan")["contacts"] == 1
    (made,) = cli.json("draft", "--to", ALICE)
    daemon = DaemonProcess(cli, tmp_path / "daemon.log")
    tb: Thunderbird | None = None
    try:
        daemon.start()
        _send_like_a_client(dovecot)
        reply_id = "<alice-reply-1@example.net>"
        dovecot.append(
            "INBOX",
            message(
                "Alice Smith <alice@example.net>",
                "me@example.com",
                "Re: " + made["subject"],
                datetime.now(UTC),
                message_id=reply_id,
                headers={"In-Reply-To": made["message_id"]},
                body="How lovely to hear from you! Tuesday works for a call.\r\n",
            ),
        )

        def thank_you_draft() -> email.message.EmailMessage | None:
            with dovecot.client() as client:
                client.select_folder("Drafts", readonly=True)
                uids = client.search(["HEADER", "In-Reply-To", reply_id])
                if not uids:
                    return None
                raw = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
            return email.message_from_bytes(raw, policy=email.policy.default)

        thanks = wait_for(thank_you_draft, timeout=60, what="the daemon's thank-you draft")
        assert isinstance(thanks, email.message.EmailMessage)
        dashboard = cli("dashboard")
        assert dashboard.returncode == 0, dashboard.stderr
        login_url = dashboard.stdout.strip()
        assert login_url.startswith(f"http://127.0.0.1:{port}/login?token=")

        xpi = build_xpi(tmp_path / "kizuna-thunderbird.xpi")
        tb = Thunderbird(tmp_path / "tb", dovecot, xpi).start()
        yield Story(cli, daemon, login_url, tb, reply_id, thanks)
    finally:
        if tb is not None:
            tb.stop()
        daemon.cleanup()


@contextlib.contextmanager
def screenshots_on_failure(tb: Thunderbird, directory: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        saved = tb.screenshots(directory)
        print(f"Thunderbird screenshots: {[str(p) for p in saved]}")
        print(f"Thunderbird log tail:\n{tb.log()[-4000:]}")
        raise


# -- driving the add-on as a user ---------------------------------------------------


def set_options_from_dashboard_url(tb: Thunderbird, login_url: str) -> str:
    """Paste the dashboard URL into the options page, Save, then Test connection."""
    tab = tb.open_extension_page("options/options.html")
    wait_for(lambda: tb.page(tab, "text", "body[data-ready]") is not None, what="the options form")
    tb.page(tab, "fill", "#token", login_url)
    tb.page(tab, "click", "#save")
    wait_for(lambda: tb.page(tab, "text", "#status") == "Saved.", what="Saved.")
    assert tb.page(tab, "text", "#api-url", prop="value") == login_url.split("/login")[0]
    tb.page(tab, "click", "#test")
    status = wait_for(
        lambda: (
            (tb.page(tab, "text", "#status") or "").startswith("Connected")
            and tb.page(tab, "text", "#status")
        ),
        what="Test connection",
    )
    tb.close_tab(tab)
    return str(status)


def banner(tb: Thunderbird) -> dict[str, Any] | None:
    """The banner in the 3-pane tab's message pane: title, buttons, status."""
    return tb.chrome("""
        const about3 = gTabmail.tabInfo[0].chromeBrowser.contentWindow;
        const pane = about3.messageBrowser?.contentDocument?.getElementById("messagepane");
        const doc = pane && pane.contentDocument;
        const el = doc && doc.getElementById("kizuna-banner");
        if (!el) return null;
        return {
          title: el.querySelector(".kizuna-title").textContent,
          kind: el.className,
          reminderId: el.getAttribute("data-reminder-id"),
          buttons: Array.from(el.querySelectorAll("button"), b => b.textContent),
          status: el.querySelector(".kizuna-status").textContent,
        };
    """)


def click_banner(tb: Thunderbird, label: str) -> None:
    tb.chrome(
        """
        const doc = gTabmail.tabInfo[0].chromeBrowser.contentWindow.messageBrowser
          .contentDocument.getElementById("messagepane").contentDocument;
        const button = Array.from(doc.querySelectorAll("#kizuna-banner button"))
          .find(b => b.textContent == arguments[0]);
        if (!button) throw new Error("no banner button " + arguments[0]);
        button.click();
    """,
        label,
    )


def show_message(tb: Thunderbird, folder: str, message_id: str) -> None:
    """Select the message in the 3-pane tab (the folder is opened, so synced, first)."""
    tb.show_folder(folder)
    # Nothing selected first, so showing the same message again displays it afresh.
    tb.wait(
        """
        const about3 = gTabmail.tabInfo[0].chromeBrowser.contentWindow;
        if (!about3.threadTree) return null;
        about3.threadTree.selectedIndex = -1;
        const pane = about3.messageBrowser.contentDocument?.getElementById("messagepane");
        return !pane || !pane.currentURI.spec.includes("imap") || null;
    """,
        what="no message shown",
    )
    tb.wait(
        """
        const about3 = gTabmail.tabInfo[0].chromeBrowser.contentWindow;
        if (!about3.gDBView || !about3.messageBrowser) return null;
        const folder = MailServices.accounts.getIncomingServer("server1").rootFolder
          .getChildNamed(arguments[0]);
        const hdr = folder.msgDatabase.getMsgHdrForMessageID(arguments[1]);
        if (!hdr) return null;
        about3.threadTree.selectedIndex = about3.gDBView.findIndexOfMsgHdr(hdr, true);
        const pane = about3.messageBrowser.contentDocument?.getElementById("messagepane");
        return pane && pane.currentURI.spec.includes("imap") ? true : null;
    """,
        folder,
        message_id.strip("<>"),
        what=f"{message_id} shown",
    )


# -- the tests ------------------------------------------------------------------------


def test_banner_draft_done_and_dismiss_in_thunderbird(story: Story, tmp_path: Path) -> None:
    tb = story.tb
    with screenshots_on_failure(tb, tmp_path / "screenshots"):
        assert set_options_from_dashboard_url(tb, story.login_url) == "Connected: 3 reminders."
        before = story.reminders()
        assert before["thank-you"]["status"] in ("pending", "delivered")
        assert before["gift"]["status"] == "pending"

        # Thunderbird has not synced Drafts: the draft is on the server only
        assert (
            tb.chrome("""
            return MailServices.accounts.getIncomingServer("server1").rootFolder
              .getChildNamed("Drafts").getTotalMessages(false);
        """)
            == 0
        )

        show_message(tb, "INBOX", story.reply_id)
        shown = wait_for(lambda: banner(tb), what="the banner on Alice's reply")
        assert shown["title"] == "Kizuna: send Alice Smith a thank-you"
        assert shown["buttons"] == ["Done", "Dismiss", "Open thank-you draft"]
        assert shown["reminderId"] == str(before["thank-you"]["id"])

        # Open thank-you draft: the threaded draft, not a new reply
        tabs_before = tb.chrome("return gTabmail.tabInfo.length")
        click_banner(tb, "Open thank-you draft")
        status = wait_for(
            lambda: (banner(tb) or {}).get("status"),
            timeout=60,
            what="Open thank-you draft to finish",
        )
        assert status == (
            "The thank-you draft is open in a new tab; click Edit there to change and send it."
        ), status
        compose = tb.edit_draft_in_new_tab(tabs_before)
        assert compose["subject"] == str(story.thanks["Subject"])
        assert compose["inReplyTo"].strip("<>") == story.reply_id.strip("<>")
        assert story.reply_id.strip("<>") in compose["references"]
        assert ALICE in compose["to"]
        tb.close_compose_windows()

        # Done: the thank-you is done in Kizuna; the banner then offers the gift
        click_banner(tb, "Done")
        wait_for(lambda: (banner(tb) or {}).get("status") == "Marked done.", what="Marked done.")
        assert story.reminders()["thank-you"]["status"] == "done"
        show_message(tb, "INBOX", story.reply_id)  # shown again: the next open reminder
        gift = wait_for(
            lambda: (b := banner(tb)) and "gift" in b["kind"] and b, what="the gift banner"
        )
        assert gift["title"] == "Kizuna: time for a small gift for Alice Smith"
        assert gift["buttons"] == ["Done", "Dismiss"]
        assert gift["reminderId"] == str(before["gift"]["id"])

        # Dismiss: the gift reminder is dismissed in Kizuna
        click_banner(tb, "Dismiss")
        wait_for(lambda: (banner(tb) or {}).get("status") == "Dismissed.", what="Dismissed.")
        after = story.reminders()
        assert after["gift"]["status"] == "dismissed"
        assert after["keep-in-touch"]["status"] == "pending"

        errors = [
            line
            for line in tb.log().splitlines()
            if "kizuna" in line.lower() and ("error" in line.lower() or "rejected" in line.lower())
        ]
        assert errors == []


def test_compose_tone_check_warns_on_a_pushy_sentence(story: Story, tmp_path: Path) -> None:
    tb = story.tb
    with screenshots_on_failure(tb, tmp_path / "screenshots"):
        set_options_from_dashboard_url(tb, story.login_url)
        show_message(tb, "INBOX", story.reply_id)
        wait_for(lambda: banner(tb), what="the banner on Alice's reply")
        tabs_before = tb.chrome("return gTabmail.tabInfo.length")
        click_banner(tb, "Open thank-you draft")
        wait_for(lambda: (banner(tb) or {}).get("status"), timeout=60, what="the draft to open")
        tb.edit_draft_in_new_tab(tabs_before)
        tb.type_in_compose(PUSHY)
        popup = tb.open_compose_action_popup()
        context = wait_for(lambda: tb.page(popup, "text", "#context"), what="the tone popup")
        assert context == "A Kizuna draft to Alice Smith."
        status = wait_for(
            lambda: (s := tb.page(popup, "text", "#status")) and s != "Working…" and s,
            what="the tone check",
        )
        warnings = tb.page(popup, "texts", "#warnings li")
        assert status == f"{len(warnings)} thing(s) to look at before you send:", status
        assert any("Friday" in w for w in warnings), warnings  # the warning names the phrase
