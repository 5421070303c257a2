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
 * A name with さん as Japanese writers put it: "山田 太郎さん", but "Alice Smith さん"
 * (the same rule as the page and Kizuna's mail). Japanese messages take it as $2.
 */
export function withSan(name) {
  const text = String(name || "");
  return /[\x00-\x7f]$/.test(text) ? `${text} さん` : `${text}さん`;
}

/**
 * What the message-pane banner shows, with UI text from `i18n.getMessage`.
 * The content script renders this object as is (it holds no token).
 */
export function bannerModel(reminder, i18n) {
  const name = (reminder.name && String(reminder.name).trim()) || reminder.email;
  const isGift = reminder.kind === "gift";
  const title = isGift
    ? i18n.getMessage("bannerTitleGift", [name, withSan(name)])
    : i18n.getMessage("bannerTitleThankYou", [name, withSan(name)]);
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

/** GET /api/reminders -> list of reminder objects (signal: an AbortSignal to cancel it). */
export async function fetchReminders(fetchImpl, settings, signal) {
  const list = await apiRequest(fetchImpl, settings, "/api/reminders", signal ? { signal } : {});
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

/**
 * POST /api/drafts {"email", "dry_run": true}: the draft Kizuna would write, not saved.
 * Resolves to {email, subject, body, language, warnings} (a {"draft": {...}} wrapper is unwrapped).
 */
export async function previewDraft(fetchImpl, settings, email) {
  const addr = normalizeEmail(email);
  if (!addr) throw new KizunaError("bad-argument", `not an address: ${email}`);
  const out = await apiRequest(fetchImpl, settings, "/api/drafts", {
    method: "POST",
    body: { email: addr, dry_run: true },
  });
  return draftOf(out);
}

/** The draft object of a POST /api/drafts answer, whether wrapped in {"draft"} or not. */
export function draftOf(answer) {
  if (!answer || typeof answer !== "object") return null;
  const d = answer.draft && typeof answer.draft === "object" ? answer.draft : answer;
  return {
    ...d,
    warnings: Array.isArray(d.warnings) ? d.warnings.map(String) : [],
  };
}

/**
 * POST /api/tone {"text", "subject"} -> the warnings (a list of strings, in the
 * language Kizuna chose; each names the phrase and suggests a softer wording).
 */
export async function checkTone(fetchImpl, settings, { text, subject } = {}) {
  const body = { text: String(text || "") };
  if (subject) body.subject = String(subject);
  const out = await apiRequest(fetchImpl, settings, "/api/tone", { method: "POST", body });
  if (!out || !Array.isArray(out.warnings)) {
    throw new KizunaError("bad-response", "POST /api/tone: expected {\"warnings\": [...]}");
  }
  return out.warnings.map(String);
}

/**
 * What Kizuna knows of one contact: GET /api/contacts/<email> where the daemon
 * has it, else the matching object of GET /api/contacts. Null when the address
 * is not a contact.
 */
export async function fetchContact(fetchImpl, settings, email) {
  const addr = normalizeEmail(email);
  if (!addr) return null;
  try {
    const one = await apiRequest(fetchImpl, settings, `/api/contacts/${encodeURIComponent(addr)}`);
    if (one && typeof one === "object" && !Array.isArray(one) && normalizeEmail(one.email) === addr) {
      return one;
    }
  } catch (err) {
    // 404 (no such endpoint, or not a contact) or 405: fall back to the list.
    if (!(err instanceof KizunaError) || err.code !== "http") throw err;
  }
  const list = await apiRequest(fetchImpl, settings, "/api/contacts");
  if (!Array.isArray(list)) throw new KizunaError("bad-response", "GET /api/contacts: expected a JSON list");
  return list.find((c) => c && normalizeEmail(c.email) === addr) || null;
}

// ---------------------------------------------------------------------------
// Text for people

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * Plain text of a compose window's HTML body: block ends and <br> become line
 * breaks, quoted parts (<blockquote>) and the signature (.moz-signature) are
 * left out (they are not the user's words to this person), tags go, entities decode.
 */
export function htmlToText(html) {
  if (typeof html !== "string") return "";
  let s = html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<blockquote\b[\s\S]*?<\/blockquote\s*>/gi, "\n")
    .replace(/<div\b[^>]*class="[^"]*moz-signature[^"]*"[\s\S]*?<\/div\s*>/gi, "\n")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|li|h[1-6]|tr|pre)\s*>/gi, "\n")
    .replace(/<[^>]*>/g, "");
  s = s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
  return s.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
}

/** The user's own text of a plain-text body: quoted lines ("> ...") and the signature ("-- ") left out. */
export function ownText(text) {
  if (typeof text !== "string") return "";
  const out = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "-- ") break;
    if (/^\s*>/.test(line)) continue;
    out.push(line);
  }
  return out.join("\n").trim();
}

function statusText(status, i18n) {
  if (status === "draft-pending") return i18n.getMessage("statusDraftPending");
  if (status === "sent") return i18n.getMessage("statusSent");
  if (status === "replied") return i18n.getMessage("statusReplied");
  return "";
}

/**
 * Lines the contact popup shows for a contact object of the API, in the UI
 * language: [{key, text}], key naming the line (for tests and styling).
 */
export function contactLines(contact, i18n) {
  const lines = [];
  const add = (key, text) => text && lines.push({ key, text });
  const org = [contact.organization, contact.position].filter((x) => x && String(x).trim()).join(" · ");
  if (org) add("organization", i18n.getMessage("contactOrganization", [org]));
  if (contact.last_contact) add("last", i18n.getMessage("contactLast", [formatDue(contact.last_contact)]));
  if (contact.first_contact) add("first", i18n.getMessage("contactFirst", [formatDue(contact.first_contact)]));
  if (contact.sent_count !== undefined || contact.received_count !== undefined) {
    add("counts", i18n.getMessage("contactCounts", [String(contact.sent_count ?? 0), String(contact.received_count ?? 0)]));
  }
  if (contact.last_subject) add("subject", i18n.getMessage("contactSubject", [String(contact.last_subject)]));
  const reason = typeof contact.reason === "string" ? contact.reason.trim() : "";
  add("reason", reason ? i18n.getMessage("contactReason", [reason]) : i18n.getMessage("contactNoReason"));
  const status = statusText(contact.status, i18n);
  if (status) add("status", i18n.getMessage("contactStatus", [status]));
  return lines;
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

// Reply and forward prefixes mail clients put before a subject, in the languages
// Kizuna's users write: Re/RE/Aw/AW/Sv/Antw/Fwd/Fw/WG/TR/RV/Enc, 返信/転送/回复/答复,
// with an optional counter ("Re[2]:", "Re(3):") and an ASCII or full-width colon.
const SUBJECT_PREFIX_RE =
  /^\s*(?:re|aw|sv|vs|antw|fwd?|wg|tr|rv|res|enc|返信|転送|回复|回覆|答复|转发)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*/i;

/**
 * The subject without its reply/forward prefixes ("Re: AW: Fwd: x" -> "x"), trimmed,
 * with runs of white space made one. Thunderbird's MessageHeader.subject already
 * drops one "Re: " (it keeps it as a flag); comparing stripped subjects on both
 * sides makes the comparison independent of that.
 */
export function stripSubjectPrefixes(subject) {
  let s = typeof subject === "string" ? subject.replace(/\s+/g, " ").trim() : "";
  for (let guard = 0; guard < 20; guard++) {
    const next = s.replace(SUBJECT_PREFIX_RE, "");
    if (next === s) break;
    s = next.trim();
  }
  return s;
}

/** A Message-ID without angle brackets or white space, lower case ("" for none). */
export function normalizeMessageId(value) {
  if (typeof value !== "string") return "";
  const m = value.match(/<([^<>\s]+)>/);
  return (m ? m[1] : value.trim()).toLowerCase();
}

function headerValue(headers, name) {
  if (!headers || typeof headers !== "object") return "";
  const v = headers[name.toLowerCase()];
  if (Array.isArray(v)) return v.length ? String(v[0]) : "";
  return typeof v === "string" ? v : "";
}

/**
 * The draft among `messages` that belongs to `reminder`. A candidate must be
 * addressed to the contact when its header lists recipients. Then, strongest
 * first: its In-Reply-To names the reply (`replyMessageId`, the displayed
 * message), or its X-Kizuna-Id is `reminder.draft_kizuna_id`; else its subject
 * equals `reminder.draft_subject` with reply prefixes stripped on both sides
 * (and, when its headers are known, it is a Kizuna thank-you draft). Messages may
 * carry `headers` (lower-case names, as messages.getFull gives them). The newest
 * of the strongest kind wins. Null when none.
 */
export function pickDraft(messages, reminder, { replyMessageId } = {}) {
  if (!Array.isArray(messages) || !reminder) return null;
  const subject = stripSubjectPrefixes(reminder.draft_subject);
  const email = normalizeEmail(reminder.email);
  const replyId = normalizeMessageId(replyMessageId || reminder.reply_message_id || "");
  const kizunaId = typeof reminder.draft_kizuna_id === "string" ? reminder.draft_kizuna_id.trim() : "";
  const scored = [];
  for (const m of messages) {
    if (!m || typeof m !== "object") continue;
    const recipients = [...(m.recipients || []), ...(m.ccList || []), ...(m.bccList || [])];
    if (recipients.length && email && !recipients.some((r) => parseAuthor(r) === email)) continue;
    const headers = m.headers;
    const inReplyTo = normalizeMessageId(headerValue(headers, "in-reply-to"));
    const draftKizunaId = headerValue(headers, "x-kizuna-id").trim();
    let score = 0;
    if ((replyId && inReplyTo === replyId) || (kizunaId && draftKizunaId === kizunaId)) {
      score = 2;
    } else if (subject && stripSubjectPrefixes(m.subject) === subject) {
      // Headers known and not a Kizuna thank-you draft: the user's own draft with that subject.
      const foreign = headers && (!draftKizunaId || !draftKizunaId.startsWith("thanks-"));
      score = foreign ? 0 : 1;
    }
    if (score) scored.push({ m, score });
  }
  scored.sort((a, b) => b.score - a.score || (Date.parse(b.m.date) || 0) - (Date.parse(a.m.date) || 0));
  return scored.length ? scored[0].m : null;
}

async function withHeaders(api, message) {
  if (!api.messages || typeof api.messages.getFull !== "function") return message;
  try {
    const full = await api.messages.getFull(message.id);
    return { ...message, headers: (full && full.headers) || {} };
  } catch {
    return message; // not downloadable right now: match on subject alone
  }
}

/** One look through every Drafts folder for the reminder's draft (no syncing). */
export async function lookForDraft(api, reminder, options = {}) {
  const core = stripSubjectPrefixes(reminder && reminder.draft_subject);
  const folders = await findDraftFolders(api);
  const candidates = [];
  for (const folder of folders) {
    // messages.query matches `subject` as a substring of the stored subject, which
    // has lost its "Re: ": the stripped core is a substring of every variant.
    const queryInfo = core ? { subject: core } : {};
    let messages;
    try {
      messages = await queryAllMessages(api, { folderId: folder.id, ...queryInfo });
    } catch {
      // Older query schema: a MailFolder object instead of its id.
      messages = await queryAllMessages(api, { folder, ...queryInfo });
    }
    candidates.push(...messages);
  }
  const full = [];
  for (const m of candidates.slice(0, 50)) full.push(await withHeaders(api, m));
  return pickDraft(full, reminder, options);
}

/**
 * The thank-you draft for `reminder` in any Drafts folder, or null.
 * options.replyMessageId: the Message-ID of the reply the draft answers.
 * options.sync(folders): asks Thunderbird to fetch the Drafts folders from the
 * server (a draft the daemon wrote a moment ago is not in Thunderbird's copy
 * yet); options.delays: the waits in ms between looks after a sync;
 * options.sleep(ms) and options.signal (AbortSignal) for tests and cancelling.
 */
export async function findDraft(api, reminder, options = {}) {
  if (!reminder) return null;
  const { sync, delays = [250, 500, 1000, 2000, 4000], sleep = defaultSleep, signal } = options;
  const found = await lookForDraft(api, reminder, options);
  if (found || typeof sync !== "function") return found;
  const folders = await findDraftFolders(api);
  const done = sync(folders);
  try {
    for (const ms of delays) {
      if (signal && signal.aborted) return null;
      await sleep(ms);
      const again = await lookForDraft(api, reminder, options);
      if (again) return again;
    }
    return null;
  } finally {
    await Promise.resolve(done).catch(() => {});
  }
}

function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
