"""A real, headless Thunderbird with the Kizuna add-on, driven through Marionette.

Launch (Thunderbird 153 ESR, Debian's ``thunderbird`` package)::

    MOZ_HEADLESS=1 thunderbird --headless --marionette --remote-allow-system-access \
        --no-remote --profile DIR

Without ``--remote-allow-system-access`` Marionette refuses the chrome context.
The profile is made from nothing by a ``user.js``: every first-run, update,
telemetry and remote-settings nag off, unsigned add-ons allowed and enabled
(``xpinstall.signatures.required``, ``extensions.autoDisableScopes``), one IMAP
account on the loopback Dovecot of :mod:`tests.support.dovecot` with plain
login and ``login_at_startup = false``. The password goes into the login
manager through Marionette before the first connection; the xpi that
``scripts/build-xpi`` builds goes into ``extensions/<gecko id>.xpi``.

How the tests drive Thunderbird, and why (the least fragile ways we found):

- Everything runs in Marionette's *chrome* context. Its *content* context does
  not know Thunderbird's tabs, so it is never used.
- The message pane (``about:message`` inside the 3-pane tab) is not remote:
  chrome code reads the banner's DOM and clicks its buttons directly, the same
  events a user's click makes.
- Extension pages (options, popups) and the Kizuna page's tab are remote
  browsers. They are driven by switching Marionette into the ``<browser>``
  element (``switch_to_frame``), which uses Marionette's own window actors,
  a supported mechanism (no frame scripts).
- Add-on state the user never sees (storage, background) is left to the
  add-on; the tests only set what a user sets, through the options page.

Screenshots of every Thunderbird window go to a directory on request (the
e2e test saves them when it fails).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .daemon import wait_for
from .dovecot import DevMail
from .factories import ROOT

__all__ = ["Thunderbird", "find_thunderbird", "need_thunderbird", "build_xpi", "ADDON_ID"]

ADDON_ID = "kizuna@kizuna.invalid"
IMAP_SERVER_KEY = "server1"
ACTOR_DIR = Path(__file__).resolve().parent / "thunderbird_actor"


def find_thunderbird() -> str | None:
    """The thunderbird binary, or None when it is not installed."""
    for candidate in (shutil.which("thunderbird"), "/usr/bin/thunderbird"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def need_thunderbird() -> str:
    """The thunderbird binary; skip where it is missing, and on CI (``CI`` set) fail."""
    binary = find_thunderbird()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(
                "thunderbird is not installed: CI must install Debian's thunderbird package"
            )
        pytest.skip("thunderbird is not installed (apt-get install thunderbird)")
    try:
        import marionette_driver  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("marionette-driver is not installed (pip install -e '.[test]')")
        pytest.skip("marionette-driver is not installed (pip install -e '.[test]')")
    return binary


def build_xpi(output: Path) -> Path:
    """Build the add-on with ``scripts/build-xpi`` (the same package users install)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "build-xpi"), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return output


def _pref(value: object) -> str:
    return json.dumps(value)


def user_js(dovecot: DevMail, me: str, name: str) -> str:
    """The profile's ``user.js``: quiet, unsigned add-ons on, one IMAP account on ``dovecot``."""
    host, port, user = dovecot.host, dovecot.port, dovecot.user
    imap = f"imap://{user}@{host}"
    prefs: dict[str, object] = {
        # no first-run, update, telemetry, remote-settings, default-client or rights nags
        "app.update.disabledForTesting": True,
        "app.update.auto": False,
        "app.update.checkInstallTime": False,
        "browser.shell.checkDefaultBrowser": False,
        "mail.shell.checkDefaultClient": False,
        "mail.shell.checkDefaultMail": False,
        "mail.provider.enabled": False,
        "mail.rights.override": True,
        "mail.winsearch.firstRunDone": True,
        "mail.spotlight.firstRunDone": True,
        "mailnews.start_page.enabled": False,
        "mailnews.start_page_override.mstone": "ignore",
        "mail.startup.enabledMailCheckOnce": True,
        "mail.biff.play_sound": False,
        "mail.biff.show_alert": False,
        "mail.biff.show_tray_icon": False,
        "mail.tabs.drawInTitlebar": False,
        "calendar.integration.notify": False,
        "calendar.timezone.useSystemTimezone": True,
        "datareporting.policy.dataSubmissionEnabled": False,
        "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
        "datareporting.healthreport.uploadEnabled": False,
        "toolkit.telemetry.enabled": False,
        "toolkit.telemetry.unified": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "toolkit.startup.max_resumed_crashes": -1,
        "browser.tabs.remote.autostart": True,
        "services.settings.server": "data:,#remote-settings-off",
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "messaging-system.rsexperimentloader.enabled": False,
        "extensions.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "extensions.systemAddon.update.enabled": False,
        "signon.rememberSignons": True,
        "intl.locale.requested": "en-US",
        # unsigned add-ons from the profile, enabled without asking
        "xpinstall.signatures.required": False,
        "extensions.autoDisableScopes": 0,
        "extensions.enabledScopes": 15,
        "extensions.experiments.enabled": False,
        # the test-only window actor (see ACTOR_DIR) must be readable by content processes
        "security.sandbox.content.read_path_whitelist": f"{ACTOR_DIR}/",
        # Marionette on a free port (written back to the profile when it listens)
        "marionette.port": 0,
        # one IMAP account on the loopback Dovecot, plain login, no TLS
        "mail.accountmanager.accounts": "account1,account2",
        "mail.accountmanager.defaultaccount": "account1",
        "mail.accountmanager.localfoldersserver": "server2",
        "mail.account.account1.identities": "id1",
        "mail.account.account1.server": IMAP_SERVER_KEY,
        "mail.account.account2.server": "server2",
        "mail.identity.id1.fullName": name,
        "mail.identity.id1.useremail": me,
        "mail.identity.id1.valid": True,
        "mail.identity.id1.draft_folder": f"{imap}/Drafts",
        "mail.identity.id1.drafts_folder_picker_mode": "0",
        "mail.identity.id1.fcc_folder": f"{imap}/Sent",
        "mail.identity.id1.fcc_folder_picker_mode": "0",
        "mail.identity.id1.compose_html": False,
        f"mail.server.{IMAP_SERVER_KEY}.type": "imap",
        f"mail.server.{IMAP_SERVER_KEY}.hostname": host,
        f"mail.server.{IMAP_SERVER_KEY}.port": port,
        f"mail.server.{IMAP_SERVER_KEY}.userName": user,
        f"mail.server.{IMAP_SERVER_KEY}.name": "Kizuna test",
        f"mail.server.{IMAP_SERVER_KEY}.socketType": 0,
        f"mail.server.{IMAP_SERVER_KEY}.authMethod": 3,  # normal password
        f"mail.server.{IMAP_SERVER_KEY}.login_at_startup": False,
        f"mail.server.{IMAP_SERVER_KEY}.check_new_mail": False,
        f"mail.server.{IMAP_SERVER_KEY}.directory-rel": "[ProfD]ImapMail/kizuna",
        # Drafts must not be synced behind the add-on's back: the test proves it asks.
        "mail.server.default.autosync_offline_stores": False,
        "mail.server.server2.type": "none",
        "mail.server.server2.hostname": "Local Folders",
        "mail.server.server2.userName": "nobody",
        "mail.server.server2.name": "Local Folders",
        "mail.server.server2.directory-rel": "[ProfD]Mail/Local Folders",
    }
    return "".join(f"user_pref({_pref(k)}, {_pref(v)});\n" for k, v in prefs.items())


class Thunderbird:
    """One headless Thunderbird with a fresh profile, the add-on and the IMAP account.

    >>> with Thunderbird(tmp, dovecot, xpi) as tb:      # doctest: +SKIP
    ...     tb.chrome("return Services.appinfo.version")
    """

    def __init__(
        self,
        root: Path,
        dovecot: DevMail,
        xpi: Path,
        *,
        me: str = "me@example.com",
        name: str = "Me Myself",
    ) -> None:
        self.binary = need_thunderbird()
        self.root = root
        self.profile = root / "profile"
        self.dovecot = dovecot
        self.xpi = xpi
        self.me, self.name = me, name
        self.log_path = root / "thunderbird.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.marionette: Any = None

    # -- lifecycle -----------------------------------------------------------------

    def _write_profile(self) -> None:
        self.profile.mkdir(parents=True, exist_ok=True)
        (self.profile / "user.js").write_text(user_js(self.dovecot, self.me, self.name))
        extensions = self.profile / "extensions"
        extensions.mkdir(exist_ok=True)
        shutil.copyfile(self.xpi, extensions / f"{ADDON_ID}.xpi")

    def _port(self) -> int | None:
        active = self.profile / "MarionetteActivePort"
        if active.exists():
            text = active.read_text().strip()
            if text.isdigit():
                return int(text)
        prefs = self.profile / "prefs.js"
        if prefs.exists():
            for line in prefs.read_text(errors="replace").splitlines():
                if '"marionette.port"' in line:
                    digits = "".join(ch for ch in line.split(",", 1)[1] if ch.isdigit())
                    if digits and int(digits):
                        return int(digits)
        return None

    def start(self) -> Thunderbird:
        """Launch Thunderbird, connect Marionette, store the IMAP password, wait for the add-on."""
        from marionette_driver.marionette import Marionette

        self._write_profile()
        env = {
            **os.environ,
            "MOZ_HEADLESS": "1",
            "MOZ_CRASHREPORTER_DISABLE": "1",
            "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--headless",
                "--marionette",
                "--remote-allow-system-access",
                "--no-remote",
                "--profile",
                str(self.profile),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()

        def port() -> int | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"thunderbird exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
                )
            return self._port()

        # generous: bounds a hang on a loaded machine, it times nothing
        found = wait_for(port, timeout=90, what="Thunderbird's Marionette port")
        self.marionette = Marionette(host="127.0.0.1", port=int(found))  # type: ignore[call-overload]
        self.marionette.start_session()
        self.marionette.set_context(self.marionette.CONTEXT_CHROME)
        self.marionette.timeout.script = 60
        self._store_password()
        self._register_actor()
        self.wait(
            f"""
            const {{ AddonManager }} = ChromeUtils.importESModule(
              "resource://gre/modules/AddonManager.sys.mjs");
            const addon = await AddonManager.getAddonByID({json.dumps(ADDON_ID)});
            return addon && addon.isActive ? true : null;
        """,
            what="the Kizuna add-on to be installed and active",
        )
        self.wait(
            "return window.gTabmail && gTabmail.currentAbout3Pane"
            " && gTabmail.currentAbout3Pane.document.readyState == 'complete' || null",
            what="the main window",
        )
        # First connection: INBOX shown, folders discovered (Drafts among them).
        self.show_folder("INBOX")
        self.wait(
            """
            const root = MailServices.accounts.getIncomingServer(arguments[0]).rootFolder;
            return root.getChildNamed("Drafts") ? true : null;
        """,
            IMAP_SERVER_KEY,
            what="IMAP folder discovery",
        )
        return self

    def _store_password(self) -> None:
        self.chrome(
            """
            const [host, user, password] = arguments;
            const origin = "imap://" + host;
            const info = Cc["@mozilla.org/login-manager/loginInfo;1"]
              .createInstance(Ci.nsILoginInfo);
            info.init(origin, null, origin, user, password, "", "");
            await Services.logins.addLoginAsync(info);
            return true;
        """,
            self.dovecot.host,
            self.dovecot.user,
            self.dovecot.password,
        )

    def _register_actor(self) -> None:
        self.chrome(
            """
            const res = Services.io.getProtocolHandler("resource")
              .QueryInterface(Ci.nsIResProtocolHandler);
            res.setSubstitution("kizuna-test", Services.io.newFileURI(new FileUtils.File(arguments[0])));
            ChromeUtils.registerWindowActor("KizunaTest", {
              child: { esModuleURI: "resource://kizuna-test/KizunaTestChild.sys.mjs" },
              allFrames: true,
              matches: ["moz-extension://*/*", "http://127.0.0.1/*", "http://localhost/*"],
              remoteTypes: ["extension", "web", "webIsolated=http://127.0.0.1", "file"],
            });
            return true;
        """,
            str(ACTOR_DIR) + "/",
        )

    def log(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Quit Thunderbird (Marionette's quit, else SIGTERM, else SIGKILL on its group)."""
        if self.marionette is not None:
            with contextlib.suppress(Exception):
                self.marionette.quit(in_app=True)
            with contextlib.suppress(Exception):
                self.marionette.delete_session()
            self.marionette = None
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> Thunderbird:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- driving ---------------------------------------------------------------------

    def chrome(self, script: str, *args: object) -> Any:
        """Run ``script`` (an async function body; ``arguments`` = args) in the main window's chrome."""
        self.marionette.set_context(self.marionette.CONTEXT_CHROME)
        return self._chrome(script, list(args))

    def _chrome(self, script: str, args: list[object]) -> Any:
        wrapped = (
            "const [__args, resolve] = [Array.from(arguments).slice(0, -1),"
            " arguments[arguments.length - 1]];"
            "(async function() {" + script + "\n}).apply(null, __args).then("
            "v => resolve({ok: true, value: v === undefined ? null : v}),"
            "e => resolve({ok: false, error: String((e && e.message) || e) + '\\n' + (e && e.stack || '')}));"
        )
        result = self.marionette.execute_async_script(wrapped, script_args=args)
        if not result or not result.get("ok"):
            raise AssertionError(f"chrome script failed: {result and result.get('error')}")
        return result.get("value")

    def wait(
        self, script: str, *args: object, timeout: float = 30.0, what: str = "condition"
    ) -> Any:
        """Run ``script`` until it returns something truthy (polling; bounds a hang, times nothing)."""
        return wait_for(lambda: self.chrome(script, *args), timeout=timeout, what=what)

    # -- remote pages (options, popups, the Kizuna page) ---------------------------

    def extension_url(self, path: str) -> str:
        base = self.chrome(
            """
            const { ExtensionParent } = ChromeUtils.importESModule(
              "resource://gre/modules/ExtensionParent.sys.mjs");
            return ExtensionParent.GlobalManager.getExtension(arguments[0]).baseURI.spec;
        """,
            ADDON_ID,
        )
        return str(base) + path

    def open_extension_page(self, path: str) -> str:
        """Open an add-on page in a Thunderbird tab; returns the page handle for :meth:`page`."""
        url = self.extension_url(path)
        self.chrome('gTabmail.openTab("contentTab", {url: arguments[0]});', url)
        handle = f"gTabmail.tabInfo.find(t => t.browser && t.browser.currentURI.spec == {json.dumps(url)})?.browser"
        self.wait(
            f"const b = {handle}; return b && b.browsingContext && b.browsingContext.currentWindowGlobal"
            " && !b.webProgress.isLoadingDocument || null;",
            what=f"{path} to load",
        )
        wait_for(lambda: self.page(handle, "state")["ready"] == "complete", what=f"{path} ready")
        return handle

    def close_tab(self, handle: str) -> None:
        self.chrome(
            f"const b = {handle}; gTabmail.closeTab(gTabmail.tabInfo.find(t => t.browser == b));"
        )

    def page(
        self,
        handle: str,
        op: str,
        selector: str = "",
        value: object = None,
        prop: str | None = None,
    ) -> Any:
        """Run one DOM command in the remote page whose ``<browser>`` the JS ``handle`` names.

        ops: ``state``; ``text`` (``prop`` reads a property instead); ``texts``; ``fill``; ``click``.
        """
        return self.chrome(
            f"""
            const b = {handle};
            if (!b) throw new Error("no such page");
            const actor = b.browsingContext.currentWindowGlobal.getActor("KizunaTest");
            return await actor.sendQuery("run", arguments[0]);
        """,
            {"op": op, "selector": selector, "value": value, "prop": prop},
        )

    # -- mail ----------------------------------------------------------------------

    def show_folder(self, name: str) -> None:
        """Show an IMAP folder in the 3-pane tab (which makes Thunderbird update it)."""
        self.chrome(
            """
            gTabmail.switchToTab(0);
            const folder = MailServices.accounts.getIncomingServer(arguments[1]).rootFolder
              .getChildNamed(arguments[0]);
            gTabmail.currentAbout3Pane.displayFolder(folder.URI);
        """,
            name,
            IMAP_SERVER_KEY,
        )

    def edit_draft_in_new_tab(self, tabs_before: int) -> dict[str, Any]:
        """In the message tab the add-on opened, press the draft bar's Edit; the compose window's fields."""
        self.wait(
            """
            if (gTabmail.tabInfo.length <= arguments[0]) return null;
            const tab = gTabmail.tabInfo[gTabmail.tabInfo.length - 1];
            const win = tab.chromeBrowser && tab.chromeBrowser.contentWindow;
            const bar = win && win.gMessageNotificationBar;
            const note = bar && bar.msgNotificationBar.getNotificationWithValue("draftMsgContent");
            if (!note) return null;
            const buttons = [...note.querySelectorAll("button"),
                             ...(note.shadowRoot ? note.shadowRoot.querySelectorAll("button") : [])];
            const edit = buttons.find(b => (b.label || b.textContent || "").trim() == "Edit");
            if (!edit) return null;
            edit.click();
            return true;
        """,
            tabs_before,
            what="the draft's Edit button",
        )
        return self.wait(
            r"""
            const win = Services.wm.getMostRecentWindow("msgcompose");
            if (!win || !win.gMsgCompose || win.document.readyState != "complete") return null;
            const subject = win.document.getElementById("msgSubject").value;
            if (!subject) return null;
            const f = win.gMsgCompose.compFields;
            // Thunderbird sends the last References entry as In-Reply-To.
            const refs = (f.references || "").trim();
            return {subject, to: f.to, references: refs,
                    inReplyTo: f.inReplyTo || refs.split(/\s+/).pop() || "",
                    type: win.gComposeType};
        """,
            what="the compose window with the draft",
        )

    def close_compose_windows(self) -> None:
        self.chrome("""
            for (const win of Services.wm.getEnumerator("msgcompose")) {
              win.gMsgCompose && (win.gContentChanged = false);
              win.close();
            }
        """)

    def type_in_compose(self, text: str) -> None:
        """Type ``text`` at the start of the most recent compose window's body."""
        self.wait(
            """
            const win = Services.wm.getMostRecentWindow("msgcompose");
            const editor = win && win.GetCurrentEditor && win.GetCurrentEditor();
            // the draft's own text is in the editor: it has finished loading
            if (!editor || !editor.document || !editor.document.body
                || !editor.document.body.textContent.trim()) return null;
            win.focus();
            editor.beginningOfDocument();
            editor.insertText(arguments[0]);
            editor.insertLineBreak();
            return true;
        """,
            text,
            what="the compose editor",
        )

    def open_compose_action_popup(self) -> str:
        """Click the add-on's compose-window button; the handle of its popup page."""
        widget = "".join(ch if ch.isalnum() else "_" for ch in ADDON_ID).lower()
        self.chrome(
            """
            const win = Services.wm.getMostRecentWindow("msgcompose");
            win.document.getElementById(arguments[0] + "-composeAction-toolbarbutton").click();
        """,
            widget,
        )
        handle = (
            "[...Services.wm.getMostRecentWindow('msgcompose').document"
            ".querySelectorAll('browser')].find(b => b.currentURI"
            " && b.currentURI.spec.endsWith('popup/tone.html'))"
        )
        self.wait(
            f"const b = {handle}; return !!(b && b.browsingContext"
            " && b.browsingContext.currentWindowGlobal) || null;",
            what="the tone popup",
        )
        wait_for(
            lambda: self.page(handle, "state")["ready"] == "complete", what="the tone popup ready"
        )
        return handle

    def screenshots(self, directory: Path) -> list[Path]:
        """PNG of every open Thunderbird window into ``directory``; returns the files."""
        directory.mkdir(parents=True, exist_ok=True)
        saved: list[Path] = []
        if self.marionette is None:
            return saved
        m = self.marionette
        m.set_context(m.CONTEXT_CHROME)
        original = m.current_chrome_window_handle
        for i, handle in enumerate(m.chrome_window_handles):
            with contextlib.suppress(Exception):
                m.switch_to_window(handle)
                data = m.screenshot(format="base64", full=True)
                path = directory / f"window-{i}.png"
                path.write_bytes(base64.b64decode(data))
                saved.append(path)
        with contextlib.suppress(Exception):
            m.switch_to_window(original)
        return saved
