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
export const BANNER_STYLE = "content/banner.css";
const MESSAGE_PREFIX = "kizuna:";

/**
 * Wire the add-on up. Returns the handlers (also used by tests).
 * @param {{messenger: object, fetch: Function, now?: () => number, cacheMs?: number, log?: Console}} deps
 */
export function startBackground({ messenger, fetch: fetchImpl, now = () => Date.now(), cacheMs = 15000, log = console }) {
  const i18n = messenger.i18n;
  /** tabId -> {messageId, promise: Promise<{reminder, messageId, model}|null>} */
  const tabs = new Map();
  let remindersCache = null; // {at, list}

  function forget() {
    remindersCache = null;
    tabs.clear();
  }

  async function getReminders(settings) {
    if (remindersCache && now() - remindersCache.at < cacheMs) return remindersCache.list;
    const list = await fetchReminders(fetchImpl, settings);
    remindersCache = { at: now(), list };
    return list;
  }

  async function computeBanner(message) {
    const email = parseAuthor(message && message.author);
    if (!email) return null;
    const settings = await loadSettings(messenger.storage);
    if (!settings.token) return null;
    let reminders;
    try {
      reminders = await getReminders(settings);
    } catch (err) {
      log.warn(`Kizuna: cannot load reminders: ${err && err.message}`);
      return null;
    }
    const reminder = findBannerReminder(reminders, email);
    if (!reminder) return null;
    return { reminder, messageId: message.id, model: bannerModel(reminder, i18n) };
  }

  /** Banner state for the message shown in a tab; one computation per (tab, message). */
  function bannerFor(tabId, message) {
    const known = tabs.get(tabId);
    if (known && known.messageId === message.id) return known.promise;
    const promise = computeBanner(message);
    tabs.set(tabId, { messageId: message.id, promise });
    return promise;
  }

  /** messageDisplay.onMessageDisplayed(tab, message): work out the banner ahead of the content script. */
  async function onMessageDisplayed(tab, message) {
    const msg = Array.isArray(message) ? (message.length === 1 ? message[0] : null) : message;
    if (!tab || tab.id === undefined) return null;
    if (!msg) {
      tabs.delete(tab.id);
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

  /** Open the draft named by reminder.draft_subject, else a reply to the displayed message. */
  async function openDraft(reminder, displayedMessageId) {
    let draft = null;
    try {
      draft = await findDraft(messenger, reminder);
    } catch (err) {
      log.warn(`Kizuna: draft lookup failed: ${err && err.message}`);
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
        const opened = await openDraft(banner.reminder, banner.messageId);
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
  const action = messenger.browserAction || messenger.action;
  action.onClicked.addListener(() => {
    openDashboard().catch((err) => log.warn(`Kizuna: cannot open the page: ${err && err.message}`));
  });
  if (messenger.tabs.onRemoved) messenger.tabs.onRemoved.addListener((tabId) => tabs.delete(tabId));
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

  return { onMessageDisplayed, getBanner, runAction, openDashboard, openDraft, onRuntimeMessage, registered, forget };
}
