// A stub `messenger` namespace: records calls, lets tests fire events.
import { makeI18n } from "./i18n.mjs";

export class FakeEvent {
  constructor() {
    this.listeners = [];
  }
  addListener(fn) {
    this.listeners.push(fn);
  }
  removeListener(fn) {
    this.listeners = this.listeners.filter((l) => l !== fn);
  }
  hasListener(fn) {
    return this.listeners.includes(fn);
  }
  /** Call every listener; returns their return values. */
  fire(...args) {
    return this.listeners.map((fn) => fn(...args));
  }
}

/**
 * What Thunderbird's MessageHeader.subject holds for a stored subject: it drops
 * leading "Re:" prefixes (NS_MsgStripRE: "Re:", "RE:", "Re[2]:", plus the
 * localized ones of mailnews.localizedRe, empty in en-US) and keeps them as a
 * flag. "Fwd:" and "AW:" stay. messages.query({subject}) matches a substring of
 * this shortened subject.
 */
export function thunderbirdSubject(subject) {
  let s = String(subject || "");
  for (;;) {
    const next = s.replace(/^\s*re(\[\d+\])?:\s*/i, "");
    if (next === s) return s;
    s = next;
  }
}

/** A stored message as messages.* return it: the raw fields, subject as Thunderbird keeps it, no headers. */
function asHeader(stored) {
  const { headers, ...rest } = stored;
  return { ...rest, subject: thunderbirdSubject(stored.subject) };
}

/** Two connected runtime.Port ends, as runtime.connect/onConnect give them. */
export function createPortPair(name, sender) {
  const make = () => ({ name, sender, onMessage: new FakeEvent(), onDisconnect: new FakeEvent(), connected: true });
  const a = make();
  const b = make();
  const link = (from, to) => {
    from.postMessage = (msg) => {
      if (!from.connected) throw new Error("Attempt to postMessage on disconnected port");
      const copy = JSON.parse(JSON.stringify(msg));
      setImmediate(() => to.connected && to.onMessage.fire(copy, to));
    };
    from.disconnect = () => {
      if (!from.connected) return;
      from.connected = false;
      to.connected = false;
      setImmediate(() => to.onDisconnect.fire(to));
    };
  };
  link(a, b);
  link(b, a);
  return [a, b];
}

function getFrom(store, keys) {
  if (keys === null || keys === undefined) return { ...store };
  if (typeof keys === "string") return keys in store ? { [keys]: store[keys] } : {};
  if (Array.isArray(keys)) return Object.fromEntries(keys.filter((k) => k in store).map((k) => [k, store[k]]));
  const out = {};
  for (const [k, def] of Object.entries(keys)) out[k] = k in store ? store[k] : def;
  return out;
}

/**
 * @param {object} opts
 *   storage: initial storage.local contents
 *   displayed: {tabId: MessageHeader}
 *   folders: list of MailFolder returned by folders.query
 *   messagesByFolder: {folderId: [message]}: messages as written (subject with
 *     its "Re: ", optional `headers` as messages.getFull gives them); the fake
 *     answers with Thunderbird's shortened subject
 *   onSync(folders, messagesByFolder): called by a Drafts sync (mailTabs.create)
 *   locale: "en" | "ja"
 */
export function createFakeMessenger(opts = {}) {
  const calls = [];
  const record = (name, ...args) => calls.push({ name, args });
  const store = { ...(opts.storage || {}) };
  const displayed = { ...(opts.displayed || {}) };
  const folders = opts.folders || [];
  const messagesByFolder = opts.messagesByFolder || {};
  let nextTabId = 100;

  const messenger = {
    calls,
    store,
    displayed,
    i18n: makeI18n(opts.locale || "en"),
    storage: {
      onChanged: new FakeEvent(),
      local: {
        async get(keys) {
          record("storage.local.get", keys);
          return getFrom(store, keys);
        },
        async set(items) {
          record("storage.local.set", items);
          const changes = {};
          for (const [k, v] of Object.entries(items)) {
            changes[k] = { oldValue: store[k], newValue: v };
            store[k] = v;
          }
          messenger.storage.onChanged.fire(changes, "local");
        },
      },
    },
    runtime: {
      onMessage: new FakeEvent(),
      onConnect: new FakeEvent(),
      /** Like a content script's runtime.connect from tab `sender.tab`: the background gets the other end. */
      connectFrom(sender, info = {}) {
        record("runtime.connect", info);
        const [content, background] = createPortPair(info.name || "", sender);
        messenger.runtime.onConnect.fire(background);
        return content;
      },
      async openOptionsPage() {
        record("runtime.openOptionsPage");
      },
      /** Like a content script's runtime.sendMessage: first non-undefined listener answer. */
      async sendMessage(message, sender = {}) {
        record("runtime.sendMessage", message);
        for (const answer of messenger.runtime.onMessage.fire(message, sender)) {
          if (answer !== undefined) return answer;
        }
        return undefined;
      },
    },
    tabs: {
      onRemoved: new FakeEvent(),
      async create(props) {
        record("tabs.create", props);
        return { id: nextTabId++, ...props };
      },
      async remove(tabId) {
        record("tabs.remove", tabId);
      },
      async query(queryInfo) {
        record("tabs.query", queryInfo);
        return opts.activeTab ? [opts.activeTab] : [];
      },
    },
    browserAction: { onClicked: new FakeEvent() },
    messageDisplay: {
      onMessageDisplayed: new FakeEvent(),
      async getDisplayedMessage(tabId) {
        record("messageDisplay.getDisplayedMessage", tabId);
        return displayed[tabId] || null;
      },
      async open(props) {
        record("messageDisplay.open", props);
        return { id: nextTabId++, type: "messageDisplay" };
      },
    },
    messageDisplayScripts: {
      async register(options) {
        record("messageDisplayScripts.register", options);
        return { unregister: async () => record("messageDisplayScripts.unregister") };
      },
    },
    compose: {
      async beginReply(messageId, replyType, details) {
        record("compose.beginReply", messageId, replyType, details);
        return { id: nextTabId++, type: "messageCompose" };
      },
      async beginNew(messageId, details) {
        record("compose.beginNew", messageId, details);
        return { id: nextTabId++, type: "messageCompose" };
      },
    },
    folders: {
      async query(queryInfo) {
        record("folders.query", queryInfo);
        const uses = (queryInfo && queryInfo.specialUse) || [];
        return folders.filter((f) => uses.every((u) => (f.specialUse || []).includes(u)));
      },
    },
    accounts: {
      async list() {
        record("accounts.list");
        return [];
      },
    },
    mailTabs: {
      async create(props) {
        record("mailTabs.create", props);
        if (opts.onSync) opts.onSync(props, messagesByFolder);
        return { id: nextTabId++, type: "mail" };
      },
    },
    messages: {
      async query(queryInfo) {
        record("messages.query", queryInfo);
        const list = (messagesByFolder[queryInfo.folderId] || []).map(asHeader);
        const subject = queryInfo.subject;
        return { id: null, messages: list.filter((m) => !subject || m.subject.includes(subject)) };
      },
      async getFull(messageId) {
        record("messages.getFull", messageId);
        for (const list of Object.values(messagesByFolder)) {
          const found = list.find((m) => m.id === messageId);
          if (found) return { headers: found.headers || {}, parts: [] };
        }
        throw new Error(`Message not found: ${messageId}.`);
      },
      async continueList(id) {
        record("messages.continueList", id);
        return { id: null, messages: [] };
      },
    },
  };
  return messenger;
}

/** Names of recorded calls, optionally filtered by prefix. */
export function callNames(messenger, prefix = "") {
  return messenger.calls.map((c) => c.name).filter((n) => n.startsWith(prefix));
}

/** Let pending promise callbacks run. */
export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}
