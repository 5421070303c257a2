import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_API_URL,
  KizunaError,
  apiRequest,
  bannerModel,
  errorMessage,
  fetchReminders,
  findBannerReminder,
  formatDue,
  loginUrl,
  normalizeApiUrl,
  normalizeSettings,
  parseAuthor,
  parseLoginUrl,
  pickDraft,
  requestDraft,
  setReminderStatus,
} from "../lib/kizuna.js";
import { makeI18n } from "./helpers/i18n.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";

const SETTINGS = { apiUrl: "http://127.0.0.1:8765", token: "s3cret" };

test("parseAuthor: display name forms", () => {
  assert.equal(parseAuthor("Hanako Yamada <Hanako@Example.COM>"), "hanako@example.com");
  assert.equal(parseAuthor('"Yamada, Hanako" <hanako@example.com>'), "hanako@example.com");
  assert.equal(parseAuthor("山田 花子 <hanako@example.jp>"), "hanako@example.jp");
  assert.equal(parseAuthor("<bob@example.org>"), "bob@example.org");
  assert.equal(parseAuthor("  BOB@Example.org  "), "bob@example.org");
  assert.equal(parseAuthor("bob@example.org (Bob)"), "bob@example.org");
  assert.equal(parseAuthor('"x@evil.example" <real@example.org>'), "real@example.org");
});

test("parseAuthor: no address", () => {
  for (const bad of [undefined, null, "", "Just A Name", "Name <>", "Name <not an address>", 42]) {
    assert.equal(parseAuthor(bad), null, String(bad));
  }
});

const REMINDERS = [
  { id: 1, email: "done@example.com", kind: "thank-you", due: "2025-01-01T00:00:00+00:00", status: "done" },
  { id: 2, email: "hanako@example.com", kind: "keep-in-touch", due: "2025-01-01T00:00:00+00:00", status: "pending" },
  { id: 3, email: "hanako@example.com", kind: "gift", due: "2025-01-10T00:00:00+00:00", status: "pending" },
  { id: 4, email: "hanako@example.com", kind: "thank-you", due: "2025-01-05T00:00:00+00:00", status: "delivered" },
  { id: 5, email: "taro@example.com", kind: "gift", due: "2025-02-01T00:00:00+00:00", status: "pending" },
  { id: 6, email: "taro@example.com", kind: "gift", due: "2025-01-15T00:00:00+00:00", status: "delivered" },
  { id: 7, email: "gone@example.com", kind: "thank-you", due: "2025-01-01T00:00:00+00:00", status: "dismissed" },
];

test("findBannerReminder: open thank-you first, case-insensitive", () => {
  assert.equal(findBannerReminder(REMINDERS, "Hanako@Example.com").id, 4);
  assert.equal(findBannerReminder(REMINDERS, "taro@example.com").id, 6, "earliest due gift");
});

test("findBannerReminder: nothing for done/dismissed, other senders, keep-in-touch only", () => {
  assert.equal(findBannerReminder(REMINDERS, "done@example.com"), null);
  assert.equal(findBannerReminder(REMINDERS, "gone@example.com"), null);
  assert.equal(findBannerReminder(REMINDERS, "stranger@example.com"), null);
  assert.equal(findBannerReminder([REMINDERS[1]], "hanako@example.com"), null);
  assert.equal(findBannerReminder(null, "hanako@example.com"), null);
  assert.equal(findBannerReminder(REMINDERS, null), null);
  assert.equal(findBannerReminder([{ email: "x@example.com", kind: "gift", status: "pending" }], "x@example.com"), null, "no id");
});

test("apiRequest GET sends the bearer token to the exact URL", async () => {
  const fetch = createFakeFetch({ "GET /api/reminders": [] });
  assert.deepEqual(await apiRequest(fetch, SETTINGS, "/api/reminders"), []);
  const [req] = fetch.requests;
  assert.equal(req.url, "http://127.0.0.1:8765/api/reminders");
  assert.equal(req.method, "GET");
  assert.equal(req.headers.Authorization, "Bearer s3cret");
  assert.equal(req.body, undefined);
  assert.equal(req.init.credentials, "omit");
});

test("apiRequest POST sends JSON", async () => {
  const fetch = createFakeFetch({ "POST /api/drafts": { email: "a@example.com", subject: "Hi" } });
  const out = await requestDraft(fetch, { apiUrl: "http://localhost:9000/", token: "t" }, "A@Example.com");
  assert.equal(out.subject, "Hi");
  const [req] = fetch.requests;
  assert.equal(req.url, "http://localhost:9000/api/drafts");
  assert.equal(req.method, "POST");
  assert.equal(req.headers["Content-Type"], "application/json");
  assert.equal(req.headers.Authorization, "Bearer t");
  assert.equal(req.init.body, '{"email":"a@example.com"}');
});

test("setReminderStatus posts {status} to /api/reminders/<id>", async () => {
  const fetch = createFakeFetch({ "POST /api/reminders/42": new Response(null, { status: 204 }) });
  assert.equal(await setReminderStatus(fetch, SETTINGS, 42, "dismissed"), null);
  assert.equal(fetch.requests[0].url, "http://127.0.0.1:8765/api/reminders/42");
  assert.deepEqual(fetch.requests[0].body, { status: "dismissed" });
  await assert.rejects(setReminderStatus(fetch, SETTINGS, 42, "pending"), { code: "bad-argument" });
  await assert.rejects(setReminderStatus(fetch, SETTINGS, "", "done"), { code: "bad-argument" });
  const fetch2 = createFakeFetch({ "POST /api/reminders/a%2Fb": {} });
  await setReminderStatus(fetch2, SETTINGS, "a/b", "done");
  assert.equal(fetch2.requests[0].url, "http://127.0.0.1:8765/api/reminders/a%2Fb");
});

test("apiRequest errors", async () => {
  const fetch = createFakeFetch({
    "GET /api/reminders": new Response("no", { status: 401 }),
    "GET /api/contacts": new Response("boom", { status: 500 }),
    "GET /api/bad": new Response("<html>", { status: 200 }),
    "GET /api/down": new TypeError("NetworkError when attempting to fetch resource."),
  });
  await assert.rejects(apiRequest(fetch, SETTINGS, "/api/reminders"), { code: "unauthorized", status: 401 });
  await assert.rejects(apiRequest(fetch, SETTINGS, "/api/contacts"), { code: "http", status: 500 });
  await assert.rejects(apiRequest(fetch, SETTINGS, "/api/bad"), { code: "bad-response" });
  await assert.rejects(apiRequest(fetch, SETTINGS, "/api/down"), { code: "network" });
  const before = fetch.requests.length;
  await assert.rejects(apiRequest(fetch, { apiUrl: DEFAULT_API_URL, token: " " }, "/api/reminders"), { code: "no-token" });
  await assert.rejects(apiRequest(fetch, { apiUrl: "http://evil.example", token: "t" }, "/api/reminders"), { code: "bad-url" });
  assert.equal(fetch.requests.length, before, "no request without a token or to a foreign host");
  const notList = createFakeFetch({ "GET /api/reminders": { not: "a list" } });
  await assert.rejects(fetchReminders(notList, SETTINGS), { code: "bad-response" });
});

test("normalizeApiUrl / loginUrl / parseLoginUrl / normalizeSettings", () => {
  assert.equal(normalizeApiUrl(""), DEFAULT_API_URL);
  assert.equal(normalizeApiUrl(undefined), DEFAULT_API_URL);
  assert.equal(normalizeApiUrl(" http://localhost:8765/ "), "http://localhost:8765");
  assert.equal(normalizeApiUrl("http://127.0.0.1:9999/some/path?x=1"), "http://127.0.0.1:9999");
  for (const bad of ["ftp://127.0.0.1", "http://192.168.1.2:8765", "http://user:pw@127.0.0.1:8765", "not a url", "http://127.0.0.1.evil.example"]) {
    assert.throws(() => normalizeApiUrl(bad), KizunaError, bad);
  }
  assert.equal(loginUrl({ apiUrl: "http://127.0.0.1:8765/", token: "a b&c" }), "http://127.0.0.1:8765/login?token=a%20b%26c");
  assert.throws(() => loginUrl({ apiUrl: DEFAULT_API_URL, token: "" }), { code: "no-token" });
  assert.deepEqual(parseLoginUrl("http://127.0.0.1:8765/login?token=abc"), { apiUrl: "http://127.0.0.1:8765", token: "abc" });
  assert.equal(parseLoginUrl("abc"), null);
  assert.deepEqual(normalizeSettings({ apiUrl: "", token: "http://localhost:8800/login?token=xyz" }), { apiUrl: "http://localhost:8800", token: "xyz" });
  assert.deepEqual(normalizeSettings({ apiUrl: "http://127.0.0.1:8765/login?token=xyz", token: "" }), { apiUrl: "http://127.0.0.1:8765", token: "xyz" });
  assert.deepEqual(normalizeSettings({ apiUrl: "http://127.0.0.1:8765", token: " tok " }), { apiUrl: "http://127.0.0.1:8765", token: "tok" });
});

test("bannerModel in English and Japanese", () => {
  const reminder = { id: 4, email: "Hanako@Example.com", name: "Hanako", kind: "thank-you", due: "2025-01-05T09:00:00+09:00", status: "pending", draft_subject: "Re: Hello" };
  const en = bannerModel(reminder, makeI18n("en"));
  assert.equal(en.reminderId, 4);
  assert.equal(en.email, "hanako@example.com");
  assert.equal(en.title, "Kizuna: send Hanako a thank-you");
  assert.equal(en.dueText, "Due 2025-01-05");
  assert.deepEqual(en.buttons.map((b) => b.action), ["done", "dismiss", "openDraft"]);
  assert.deepEqual(en.buttons.map((b) => b.label), ["Done", "Dismiss", "Open thank-you draft"]);
  assert.equal(JSON.stringify(en).includes("token"), false);

  const ja = bannerModel({ ...reminder, kind: "gift", name: undefined }, makeI18n("ja"));
  assert.equal(ja.title, "Kizuna: Hanako@Example.com さんにちょっとした贈り物を");
  assert.equal(ja.dueText, "期限 2025-01-05");
  assert.deepEqual(ja.buttons.map((b) => b.label), ["完了", "見送る"], "no draft button for gifts");
  assert.equal(formatDue(null), "");
  assert.equal(formatDue("soon"), "soon");
});

test("errorMessage maps codes to locale text", () => {
  const i18n = makeI18n("en");
  assert.match(errorMessage(new KizunaError("unauthorized", "x"), i18n), /rejected the token/);
  assert.match(errorMessage(new KizunaError("no-token", "x"), i18n), /No Kizuna token/);
  assert.match(errorMessage(new KizunaError("network", "x"), i18n), /Cannot reach Kizuna/);
  assert.equal(errorMessage(new KizunaError("http", "GET /x: HTTP 500"), i18n), "Kizuna error: GET /x: HTTP 500");
});

test("pickDraft: exact subject, addressed to the contact, newest", () => {
  const reminder = { email: "hanako@example.com", draft_subject: "Re: Hello" };
  const msgs = [
    { id: 1, subject: "Re: Hello again", recipients: ["hanako@example.com"], date: "2025-01-03T00:00:00Z" },
    { id: 2, subject: "Re: Hello", recipients: ["Other <other@example.com>"], date: "2025-01-04T00:00:00Z" },
    { id: 3, subject: "Re: Hello", recipients: ["Hanako <HANAKO@example.com>"], date: "2025-01-01T00:00:00Z" },
    { id: 4, subject: "Re: Hello", recipients: ["Hanako <hanako@example.com>"], date: "2025-01-02T00:00:00Z" },
  ];
  assert.equal(pickDraft(msgs, reminder).id, 4);
  assert.equal(pickDraft(msgs, { email: "hanako@example.com" }), null);
  assert.equal(pickDraft([{ id: 9, subject: "Re: Hello", recipients: [] }], reminder).id, 9);
});
