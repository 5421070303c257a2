// Pure logic of the Kizuna Thunderbird add-on.
//
// ES module, no dependencies, no globals: everything that touches Thunderbird
// (storage, messages, folders) or the network (fetch) is passed in, so the same
// file runs in the extension's background/options pages and under `node --test`.

export const DEFAULT_API_URL = "http://127.0.0.1:8765";

/** Hosts the manifest has host permissions for (the API listens on loopback only). */
export const ALLOWED_HOSTS = ["127.0.0.1", "localhost"];

/** Reminder kinds that get a banner, in order of preference. */
export const BANNER_KINDS = ["thank-you", "gift"];

/** Reminder statuses that are still open. */
export const OPEN_STATUSES = ["pending", "delivered"];

/** Statuses the API accepts on POST /api/reminders/<id>. */
export const SETTABLE_STATUSES = ["done", "dismissed"];

const REQUEST_TIMEOUT_MS = 10000;

export class KizunaError extends Error {
  /**
   * @param {string} code  no-token | bad-url | network | unauthorized | http | bad-response | bad-argument
   * @param {string} message
   * @param {{status?: number, cause?: unknown}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = "KizunaError";
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.cause !== undefined) this.cause = extra.cause;
  }
}

// ---------------------------------------------------------------------------
// Addresses

const ADDRESS_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/;

/** Lower-case, trimmed address, or null when `value` is not a plausible address. */
export function normalizeEmail(value) {
  if (typeof value !== "string") return null;
  let s = value.trim();
  if (/^mailto:/i.test(s)) s = s.slice(7);
  s = s.replace(/\.+$/, "").toLowerCase();
  return ADDRESS_RE.test(s) ? s : null;
}

/**
 * The sender address of a Thunderbird `MessageHeader.author` string, lower case.
 * Accepts `Name <addr>`, `"Last, First" <addr>`, `<addr>`, `addr`, `addr (Comment)`.
 * Returns null when there is no address.
 */
export function parseAuthor(author) {
  if (typeof author !== "string") return null;
  const s = author.trim();
  if (!s) return null;
  // Prefer the last <...> group that holds an address ("a@b" <c@d> means c@d).
  const groups = [...s.matchAll(/<([^<>]*)>/g)].map((m) => m[1]);
  for (let i = groups.length - 1; i >= 0; i--) {
    const email = normalizeEmail(groups[i]);
    if (email) return email;
  }
  if (groups.length) return null; // "Name <>" or "Name <garbage>"
  // Bare address, possibly with a (comment) or quotes around it.
  const bare = s.replace(/\([^()]*\)/g, " ").replace(/"/g, " ");
  const m = bare.match(/[^\s@<>()",;:]+@[^\s@<>()",;:]+/);
  return m ? normalizeEmail(m[0]) : null;
}

// ---------------------------------------------------------------------------
// Reminders

function dueTime(reminder) {
  const t = Date.parse(reminder && reminder.due);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

/**
 * The reminder to show as a banner on a message from `email`: an open
 * (pending or delivered) thank-you or gift reminder for that address.
 * Thank-you wins over gift; then the earliest due. Null when there is none.
 */
export function findBannerReminder(reminders, email) {
  const target = normalizeEmail(email);
  if (!target || !Array.isArray(reminders)) return null;
  const candidates = reminders.filter(
    (r) =>
      r &&
      typeof r === "object" &&
      r.id !== undefined &&
      r.id !== null &&
      normalizeEmail(r.email) === target &&
      BANNER_KINDS.includes(r.kind) &&
      OPEN_STATUSES.includes(r.status),
  );
  candidates.sort(
    (a, b) =>
      BANNER_KINDS.indexOf(a.kind) - BANNER_KINDS.indexOf(b.kind) ||
      dueTime(a) - dueTime(b),
  );
  return candidates[0] || null;
}

/** "2025-03-01T09:00:00+09:00" -> "2025-03-01"; other strings unchanged; "" for none. */
export function formatDue(due) {
  if (due === undefined || due === null || due === "") return "";
  const s = String(due);
  const m = s.match(/^(\d{4}-\d{2}-\d{2})/);
  return m ? m[1] : s;
}

/**
 * What the message-pane banner shows, with UI text from `i18n.getMessage`.
 * The content script renders this object as is (it holds no token).
 */
export function bannerModel(reminder, i18n) {
  const name = (reminder.name && String(reminder.name).trim()) || reminder.email;
  const isGift = reminder.kind === "gift";
  const title = isGift
    ? i18n.getMessage("bannerTitleGift", [name])
    : i18n.getMessage("bannerTitleThankYou", [name]);
  const kindLabel = isGift ? i18n.getMessage("kindGift") : i18n.getMessage("kindThankYou");
  const dueDate = formatDue(reminder.due);
  const buttons = [
    { action: "done", label: i18n.getMessage("buttonDone") },
    { action: "dismiss", label: i18n.getMessage("buttonDismiss") },
  ];
  if (!isGift) {
    buttons.push({ action: "openDraft", label: i18n.getMessage("buttonOpenDraft") });
  }
  return {
    reminderId: reminder.id,
    email: normalizeEmail(reminder.email),
    name,
    kind: reminder.kind,
    kindLabel,
    status: reminder.status,
    due: reminder.due === undefined ? null : reminder.due,
    dueDate,
    title,
    dueText: dueDate ? i18n.getMessage("bannerDue", [dueDate]) : "",
    buttons,
  };
}

/** Localized one-line text for an error thrown by this module. */
export function errorMessage(err, i18n) {
  const code = err && err.code;
  if (code === "no-token") return i18n.getMessage("errorNoToken");
  if (code === "unauthorized") return i18n.getMessage("errorUnauthorized");
  if (code === "bad-url") return i18n.getMessage("optionsErrorUrl");
  if (code === "network") return i18n.getMessage("errorNetwork");
  const detail = (err && err.message) || String(err);
  return i18n.getMessage("errorApi", [detail]);
}

// ---------------------------------------------------------------------------
// Settings

/**
 * `http://127.0.0.1:8765` style origin (scheme, host, port; no path, no slash),
 * defaulting to DEFAULT_API_URL. Throws KizunaError("bad-url") for anything that
 * is not http(s) on 127.0.0.1 or localhost, the only hosts the add-on may call.
 */
export function normalizeApiUrl(raw) {
  const s = String(raw === undefined || raw === null ? "" : raw).trim() || DEFAULT_API_URL;
  let url;
  try {
    url = new URL(s);
  } catch {
    throw new KizunaError("bad-url", `not a URL: ${s}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new KizunaError("bad-url", `not http(s): ${s}`);
  }
  if (!ALLOWED_HOSTS.includes(url.hostname)) {
    throw new KizunaError("bad-url", `not a loopback host: ${url.hostname}`);
  }
  if (url.username || url.password) {
    throw new KizunaError("bad-url", "user name or password in the URL");
  }
  return `${url.protocol}//${url.host}`;
}

/** {apiUrl, token} from a login URL as printed by `kizuna dashboard`, else null. */
export function parseLoginUrl(text) {
  if (typeof text !== "string" || !/^\s*https?:\/\//i.test(text)) return null;
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  const token = url.searchParams.get("token");
  if (!token) return null;
  return { apiUrl: `${url.protocol}//${url.host}`, token };
}

/**
 * Clean settings from the options form. Either field may hold the whole login
 * URL from `kizuna dashboard`; the API URL and token are then taken from it.
 */
export function normalizeSettings(input = {}) {
  let apiUrl = input.apiUrl;
  let token = typeof input.token === "string" ? input.token.trim() : "";
  const fromToken = parseLoginUrl(token);
  if (fromToken) {
    token = fromToken.token;
    apiUrl = fromToken.apiUrl;
  }
  const fromUrl = parseLoginUrl(typeof apiUrl === "string" ? apiUrl : "");
  if (fromUrl) {
    apiUrl = fromUrl.apiUrl;
    if (!token) token = fromUrl.token;
  }
  return { apiUrl: normalizeApiUrl(apiUrl), token };
}

/** Settings from storage.local (defaults filled in; a bad stored URL falls back to the default). */
export async function loadSettings(storage) {
  const got = (await storage.local.get({ apiUrl: DEFAULT_API_URL, token: "" })) || {};
  let apiUrl;
  try {
    apiUrl = normalizeApiUrl(got.apiUrl);
  } catch {
    apiUrl = DEFAULT_API_URL;
  }
  return { apiUrl, token: typeof got.token === "string" ? got.token.trim() : "" };
}

/** Validate and store settings in storage.local; returns what was stored. Throws KizunaError. */
export async function saveSettings(storage, input) {
  const settings = normalizeSettings(input);
  await storage.local.set({ apiUrl: settings.apiUrl, token: settings.token });
  return settings;
}

// ---------------------------------------------------------------------------
// API

/** Absolute URL of an API path ("/api/reminders") under the configured API URL. */
export function apiUrl(settings, path) {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new KizunaError("bad-argument", `path must start with "/": ${path}`);
  }
  return normalizeApiUrl(settings && settings.apiUrl) + path;
}

/** The page URL that also sets the session cookie: <api>/login?token=<token>. */
export function loginUrl(settings) {
  const token = settings && typeof settings.token === "string" ? settings.token.trim() : "";
  if (!token) throw new KizunaError("no-token", "no token configured");
  return `${apiUrl(settings, "/login")}?token=${encodeURIComponent(token)}`;
}

/**
 * One request to the local API with `Authorization: Bearer <token>`.
 * options: {method, body (JSON-encoded when given), signal, timeoutMs}.
 * Resolves to the parsed JSON body (null for an empty body); throws KizunaError.
 */
export async function apiRequest(fetchImpl, settings, path, options = {}) {
  const token = settings && typeof settings.token === "string" ? settings.token.trim() : "";
  if (!token) throw new KizunaError("no-token", "no token configured");
  const url = apiUrl(settings, path);
  const hasBody = options.body !== undefined;
  const method = (options.method || (hasBody ? "POST" : "GET")).toUpperCase();
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (hasBody) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let timer = null;
  if (options.signal) {
    init.signal = options.signal;
  } else if (typeof AbortController === "function") {
    const controller = new AbortController();
    init.signal = controller.signal;
    timer = setTimeout(() => controller.abort(), options.timeoutMs || REQUEST_TIMEOUT_MS);
  }
  let response;
  try {
    response = await fetchImpl(url, init);
  } catch (err) {
    throw new KizunaError("network", `cannot reach ${url}: ${(err && err.message) || err}`, {
      cause: err,
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (response.status === 401 || response.status === 403) {
    throw new KizunaError("unauthorized", `${method} ${path}: HTTP ${response.status}`, {
      status: response.status,
    });
  }
  if (!response.ok) {
    throw new KizunaError("http", `${method} ${path}: HTTP ${response.status}`, {
      status: response.status,
    });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KizunaError("bad-response", `${method} ${path}: response is not JSON`, {
      cause: err,
    });
  }
}

/** GET /api/reminders -> list of reminder objects. */
export async function fetchReminders(fetchImpl, settings) {
  const list = await apiRequest(fetchImpl, settings, "/api/reminders");
  if (!Array.isArray(list)) {
    throw new KizunaError("bad-response", "GET /api/reminders: expected a JSON list");
  }
  return list;
}

/** POST /api/reminders/<id> {"status": "done"|"dismissed"}. */
export async function setReminderStatus(fetchImpl, settings, id, status) {
  if (!SETTABLE_STATUSES.includes(status)) {
    throw new KizunaError("bad-argument", `status must be done or dismissed: ${status}`);
  }
  if (id === undefined || id === null || id === "") {
    throw new KizunaError("bad-argument", "reminder id missing");
  }
  const path = `/api/reminders/${encodeURIComponent(String(id))}`;
  return apiRequest(fetchImpl, settings, path, { method: "POST", body: { status } });
}

/** POST /api/drafts {"email"} (draft for that contact, as `kizuna draft --to`). */
export async function requestDraft(fetchImpl, settings, email) {
  const addr = normalizeEmail(email);
  if (!addr) throw new KizunaError("bad-argument", `not an address: ${email}`);
  return apiRequest(fetchImpl, settings, "/api/drafts", { method: "POST", body: { email: addr } });
}

// ---------------------------------------------------------------------------
// Finding the thank-you draft in Thunderbird

function isDraftsFolder(folder) {
  if (!folder) return false;
  if (Array.isArray(folder.specialUse) && folder.specialUse.includes("drafts")) return true;
  return folder.type === "drafts";
}

/**
 * Every Drafts folder (special use "drafts") of every account. Uses
 * folders.query (Thunderbird 121+) and falls back to walking accounts.list(true).
 */
export async function findDraftFolders(api) {
  if (api.folders && typeof api.folders.query === "function") {
    try {
      const found = await api.folders.query({ specialUse: ["drafts"] });
      if (Array.isArray(found)) return found;
    } catch {
      // fall through to the account walk
    }
  }
  const out = [];
  const walk = (folders) => {
    for (const folder of folders || []) {
      if (isDraftsFolder(folder)) out.push(folder);
      walk(folder.subFolders);
    }
  };
  const accounts = (api.accounts && (await api.accounts.list(true))) || [];
  for (const account of accounts) {
    walk(account.rootFolder ? [account.rootFolder] : account.folders);
  }
  return out;
}

async function queryAllMessages(api, queryInfo) {
  let page = await api.messages.query(queryInfo);
  if (Array.isArray(page)) return page;
  const out = [...((page && page.messages) || [])];
  for (let guard = 0; page && page.id && guard < 100; guard++) {
    page = await api.messages.continueList(page.id);
    out.push(...((page && page.messages) || []));
  }
  return out;
}

/**
 * The draft among `messages` that belongs to `reminder`: subject equal to
 * reminder.draft_subject and (when the header lists recipients) addressed to
 * reminder.email. The newest one wins. Null when none.
 */
export function pickDraft(messages, reminder) {
  const subject = reminder && typeof reminder.draft_subject === "string" ? reminder.draft_subject.trim() : "";
  if (!subject || !Array.isArray(messages)) return null;
  const email = normalizeEmail(reminder.email);
  const matches = messages.filter((m) => {
    if (!m || typeof m.subject !== "string" || m.subject.trim() !== subject) return false;
    const recipients = [...(m.recipients || []), ...(m.ccList || []), ...(m.bccList || [])];
    if (!recipients.length || !email) return true;
    return recipients.some((r) => parseAuthor(r) === email);
  });
  matches.sort((a, b) => (Date.parse(b.date) || 0) - (Date.parse(a.date) || 0));
  return matches[0] || null;
}

/** The thank-you draft for `reminder` in any Drafts folder, or null. */
export async function findDraft(api, reminder) {
  const subject = reminder && typeof reminder.draft_subject === "string" ? reminder.draft_subject.trim() : "";
  if (!subject) return null;
  const folders = await findDraftFolders(api);
  const candidates = [];
  for (const folder of folders) {
    let messages;
    try {
      messages = await queryAllMessages(api, { folderId: folder.id, subject });
    } catch {
      // Older query schema: a MailFolder object instead of its id.
      messages = await queryAllMessages(api, { folder, subject });
    }
    candidates.push(...messages);
  }
  return pickDraft(candidates, reminder);
}
