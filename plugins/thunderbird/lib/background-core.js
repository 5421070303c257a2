// Background logic of the Kizuna add-on: toolbar button, banner decisions,
// banner button actions. `messenger` and `fetch` are passed in (see background.js),
// so tests drive it with a fake messenger and a stub fetch.

import {
  bannerModel,
  errorMessage,
  fetchReminders,
  findBannerReminder,
  findDraft,
  loadSettings,
  loginUrl,
  parseAuthor,
  setReminderStatus,
} from "./kizuna.js";

export const BANNER_SCRIPT = "content/banner.js";
/** runtime.connect name of the banner's port (see content/banner.js). */
export const BANNER_PORT = "kizuna-banner";
export const BANNER_STYLE = "content/banner.css";
const MESSAGE_PREFIX = "kizuna:";

/**
 * Wire the add-on up. Returns the handlers (also used by tests).
 * @param {{messenger: object, fetch: Function, now?: () => number, cacheMs?: number, log?: Console}} deps
 */
export function startBackground({
  messenger,
  fetch: fetchImpl,
  now = () => Date.now(),
  cacheMs = 15000,
  log = console,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  delays = undefined,
}) {
  const i18n = messenger.i18n;
  /** tabId -> {messageId, promise: Promise<{reminder, messageId, model}|null>} */
  const tabs = new Map();
  let remindersCache = null; // {at, list}

  function forget() {
    remindersCache = null;
    tabs.clear();
  }

  async function getReminders(settings, signal) {
    if (remindersCache && now() - remindersCache.at < cacheMs) return remindersCache.list;
    const list = await fetchReminders(fetchImpl, settings, signal);
    remindersCache = { at: now(), list };
    return list;
  }

  async function computeBanner(message, signal) {
    const email = parseAuthor(message && message.author);
    if (!email) return null;
    const settings = await loadSettings(messenger.storage);
    if (!settings.token) return null;
    let reminders;
    try {
      reminders = await getReminders(settings, signal);
    } catch (err) {
      if (signal && signal.aborted) return null;
      log.warn(`Kizuna: cannot load reminders: ${err && err.message}`);
      return null;
    }
    const reminder = findBannerReminder(reminders, email);
    if (!reminder) return null;
    return {
      reminder,
      messageId: message.id,
      headerMessageId: message.headerMessageId || "",
      model: bannerModel(reminder, i18n),
    };
  }

  /** Banner state for the message shown in a tab; one computation per (tab, message). */
  function bannerFor(tabId, message) {
    const known = tabs.get(tabId);
    if (known && known.messageId === message.id) return known.promise;
    if (known && known.controller) known.controller.abort(); // the tab moved on: drop its request
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const promise = computeBanner(message, controller && controller.signal);
    tabs.set(tabId, { messageId: message.id, promise, controller });
    promise.then(() => {
      const entry = tabs.get(tabId);
      if (entry && entry.promise === promise) entry.controller = null;
    });
    return promise;
  }

  /** Forget a tab's banner and cancel its pending request (tab closed, banner gone). */
  function dropTab(tabId) {
    const known = tabs.get(tabId);
    if (known && known.controller) known.controller.abort();
    tabs.delete(tabId);
  }

  /** messageDisplay.onMessageDisplayed(tab, message): work out the banner ahead of the content script. */
  async function onMessageDisplayed(tab, message) {
    const msg = Array.isArray(message) ? (message.length === 1 ? message[0] : null) : message;
    if (!tab || tab.id === undefined) return null;
    if (!msg) {
      dropTab(tab.id);
      return null;
    }
    const banner = await bannerFor(tab.id, msg);
    return banner ? banner.model : null;
  }

  async function displayedMessage(tabId) {
    const md = messenger.messageDisplay;
    if (typeof md.getDisplayedMessages === "function") {
      const got = await md.getDisplayedMessages(tabId);
      const list = Array.isArray(got) ? got : (got && got.messages) || [];
      return list.length === 1 ? list[0] : null;
    }
    return (await md.getDisplayedMessage(tabId)) || null;
  }

  /** Content script asks: banner model for my tab, or null. */
  async function getBanner(sender) {
    const tabId = sender && sender.tab && sender.tab.id;
    if (tabId === undefined || tabId === null) return null;
    const message = await displayedMessage(tabId);
    if (!message) return null;
    const banner = await bannerFor(tabId, message);
    return banner ? banner.model : null;
  }

  /**
   * Let Thunderbird fetch the Drafts folders from the server: the standard APIs
   * have no "update folder", but showing a folder in a mail tab updates it, so a
   * mail tab shows each Drafts folder in the background and is closed again.
   */
  async function syncDrafts(folders) {
    if (!messenger.mailTabs || typeof messenger.mailTabs.create !== "function") return;
    for (const folder of folders) {
      let tab = null;
      try {
        tab = await messenger.mailTabs.create({ displayedFolderId: folder.id, active: false });
      } catch (err) {
        try {
          tab = await messenger.mailTabs.create({ displayedFolder: folder.id });
        } catch (err2) {
          log.warn(`Kizuna: cannot update ${folder.name || "Drafts"}: ${err2 && err2.message}`);
        }
      }
      if (tab && tab.id !== undefined) {
        // Keep it open while the lookups retry; closed by the finally of openDraft.
        syncTabs.push(tab.id);
      }
    }
  }
  const syncTabs = [];

  async function closeSyncTabs() {
    while (syncTabs.length) {
      const id = syncTabs.pop();
      try {
        await messenger.tabs.remove(id);
      } catch {
        // already closed by the user
      }
    }
  }

  /**
   * Open the thank-you draft (found by In-Reply-To = the displayed reply, else by
   * its subject without "Re:"), else a reply to the displayed message.
   */
  async function openDraft(reminder, displayedMessageId, replyMessageId) {
    let draft = null;
    try {
      draft = await findDraft(messenger, reminder, { replyMessageId, sync: syncDrafts, sleep, delays });
    } catch (err) {
      log.warn(`Kizuna: draft lookup failed: ${err && err.message}`);
    } finally {
      await closeSyncTabs();
    }
    if (draft) {
      await messenger.messageDisplay.open({ messageId: draft.id, location: "tab", active: true });
      return "draft";
    }
    await messenger.compose.beginReply(displayedMessageId, "replyToSender");
    return "reply";
  }

  /** Content script asks: run a banner button (done | dismiss | openDraft). */
  async function runAction(request, sender) {
    const tabId = sender && sender.tab && sender.tab.id;
    if (tabId === undefined || tabId === null) return { ok: false, error: i18n.getMessage("errorStale") };
    let banner = null;
    const known = tabs.get(tabId);
    if (known) {
      banner = await known.promise;
    } else {
      const message = await displayedMessage(tabId);
      banner = message ? await bannerFor(tabId, message) : null;
    }
    if (!banner || String(banner.reminder.id) !== String(request.reminderId)) {
      return { ok: false, error: i18n.getMessage("errorStale") };
    }
    try {
      if (request.action === "done" || request.action === "dismiss") {
        const status = request.action === "done" ? "done" : "dismissed";
        const settings = await loadSettings(messenger.storage);
        await setReminderStatus(fetchImpl, settings, banner.reminder.id, status);
        forget();
        return {
          ok: true,
          final: true,
          status,
          message: status === "done" ? i18n.getMessage("bannerDoneResult") : i18n.getMessage("bannerDismissedResult"),
        };
      }
      if (request.action === "openDraft") {
        const opened = await openDraft(banner.reminder, banner.messageId, banner.headerMessageId);
        return {
          ok: true,
          final: false,
          opened,
          message: opened === "draft" ? i18n.getMessage("bannerDraftOpened") : i18n.getMessage("bannerReplyOpened"),
        };
      }
      return { ok: false, error: i18n.getMessage("errorStale") };
    } catch (err) {
      return { ok: false, error: errorMessage(err, i18n) };
    }
  }

  /** Toolbar button: the Kizuna page, logged in, in a Thunderbird tab (options page if no token). */
  async function openDashboard() {
    const settings = await loadSettings(messenger.storage);
    if (!settings.token) {
      await messenger.runtime.openOptionsPage();
      return null;
    }
    const url = loginUrl(settings);
    await messenger.tabs.create({ url, active: true });
    return url;
  }

  /**
   * The banner's port (content/banner.js): it asks for its banner and runs its
   * buttons over a runtime.connect port rather than runtime.sendMessage, so no
   * promise is left pending in the message pane when it unloads (messages
   * flipped fast); a disconnect cancels that message's request.
   */
  function onConnect(port) {
    if (!port || port.name !== BANNER_PORT) return;
    const sender = port.sender || {};
    const tabId = sender.tab && sender.tab.id;
    let connected = true;
    let askedFor = null; // the message id this port's banner is about
    const post = (msg) => {
      if (!connected) return;
      try {
        port.postMessage(msg);
      } catch {
        connected = false; // the message pane is gone
      }
    };
    port.onDisconnect.addListener(() => {
      connected = false;
      const known = tabs.get(tabId);
      if (known && askedFor !== null && known.messageId === askedFor) {
        // Cancel only this message's pending request: the tab may already show the next one.
        if (known.controller) known.controller.abort();
        if (known.controller) tabs.delete(tabId);
      }
    });
    port.onMessage.addListener((request) => {
      if (!request || typeof request.type !== "string") return;
      if (request.type === "kizuna:getBanner") {
        (async () => {
          if (tabId === undefined || tabId === null) return null;
          const message = await displayedMessage(tabId);
          if (!message) return null;
          askedFor = message.id;
          const banner = await bannerFor(tabId, message);
          return banner ? banner.model : null;
        })()
          .catch(() => null)
          .then((model) => post({ type: "kizuna:banner", model }));
      } else if (request.type === "kizuna:action") {
        runAction(request, sender)
          .catch((err) => ({ ok: false, error: errorMessage(err, i18n) }))
          .then((result) => post({ type: "kizuna:result", seq: request.seq, ...result }));
      }
    });
  }

  function onRuntimeMessage(request, sender) {
    if (!request || typeof request.type !== "string" || !request.type.startsWith(MESSAGE_PREFIX)) {
      return undefined; // not ours
    }
    if (request.type === "kizuna:getBanner") return getBanner(sender);
    if (request.type === "kizuna:action") return runAction(request, sender);
    return undefined;
  }

  // --- wiring -------------------------------------------------------------
  messenger.messageDisplay.onMessageDisplayed.addListener((tab, message) => {
    onMessageDisplayed(tab, message).catch((err) => log.warn(`Kizuna: ${err && err.message}`));
  });
  messenger.runtime.onMessage.addListener(onRuntimeMessage);
  if (messenger.runtime.onConnect) messenger.runtime.onConnect.addListener(onConnect);
  const action = messenger.browserAction || messenger.action;
  action.onClicked.addListener(() => {
    openDashboard().catch((err) => log.warn(`Kizuna: cannot open the page: ${err && err.message}`));
  });
  if (messenger.tabs.onRemoved) messenger.tabs.onRemoved.addListener((tabId) => dropTab(tabId));
  if (messenger.storage.onChanged) messenger.storage.onChanged.addListener(() => forget());

  const registered = Promise.resolve(
    messenger.messageDisplayScripts.register({
      css: [{ file: BANNER_STYLE }],
      js: [{ file: BANNER_SCRIPT }],
    }),
  ).catch((err) => {
    log.warn(`Kizuna: cannot register the banner script: ${err && err.message}`);
    return null;
  });

  return {
    onMessageDisplayed,
    getBanner,
    runAction,
    openDashboard,
    openDraft,
    onRuntimeMessage,
    onConnect,
    registered,
    forget,
  };
}
