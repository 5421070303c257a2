import { test } from "node:test";
import assert from "node:assert/strict";
import { startBackground, BANNER_SCRIPT, BANNER_STYLE } from "../lib/background-core.js";
import { createFakeMessenger, callNames, flush } from "./helpers/fake-messenger.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";

const TOKEN = "tok-123";
const REMINDERS = [
  { id: 11, email: "hanako@example.com", name: "Hanako Yamada", kind: "thank-you", due: "2025-03-01T10:00:00+09:00", status: "pending", draft_subject: "Re: Long time no see" },
  { id: 12, email: "hanako@example.com", kind: "gift", due: "2025-03-15T10:00:00+09:00", status: "pending" },
  { id: 13, email: "taro@example.com", kind: "thank-you", due: "2025-02-01T10:00:00+09:00", status: "done" },
  { id: 14, email: "jiro@example.com", kind: "gift", due: "2025-02-01T10:00:00+09:00", status: "delivered" },
  { id: 15, email: "saburo@example.com", kind: "keep-in-touch", due: "2025-02-01T10:00:00+09:00", status: "pending" },
];

const KIZUNA_HEADERS = { "x-kizuna-id": ["thanks-reconnect-7"], "in-reply-to": ["<reply-501@example.com>"] };

const MESSAGES = {
  hanako: { id: 501, author: "Hanako Yamada <Hanako@EXAMPLE.com>", subject: "Re: Long time no see" },
  taro: { id: 502, author: "Taro <taro@example.com>", subject: "hi" },
  jiro: { id: 503, author: "jiro@example.com", subject: "thanks" },
  saburo: { id: 504, author: "Saburo <saburo@example.com>", subject: "hey" },
  stranger: { id: 505, author: "Someone <someone@example.net>", subject: "hello" },
};

function setup({ token = TOKEN, routes = {}, messengerOpts = {}, clock } = {}) {
  const messenger = createFakeMessenger({
    storage: token === null ? {} : { apiUrl: "http://127.0.0.1:8765", token },
    ...messengerOpts,
  });
  const fetch = createFakeFetch({
    "GET /api/reminders": () => REMINDERS,
    "POST /api/reminders/11": () => new Response(null, { status: 204 }),
    ...routes,
  });
  const warnings = [];
  const log = { warn: (m) => warnings.push(m) };
  const bg = startBackground({ messenger, fetch, log, now: clock || (() => 0), sleep: async () => {} });
  return { messenger, fetch, bg, warnings };
}

/** Display `message` in tab `tabId`, fire onMessageDisplayed, then ask as the content script would. */
async function display(ctx, tabId, message) {
  ctx.messenger.displayed[tabId] = message;
  ctx.messenger.messageDisplay.onMessageDisplayed.fire({ id: tabId, type: "mail" }, message);
  return ctx.messenger.runtime.sendMessage({ type: "kizuna:getBanner" }, { tab: { id: tabId } });
}

test("registers the banner content script and the listeners", async () => {
  const { messenger, bg } = setup();
  await bg.registered;
  const reg = messenger.calls.find((c) => c.name === "messageDisplayScripts.register");
  assert.deepEqual(reg.args[0], { css: [{ file: BANNER_STYLE }], js: [{ file: BANNER_SCRIPT }] });
  assert.equal(messenger.messageDisplay.onMessageDisplayed.listeners.length, 1);
  assert.equal(messenger.runtime.onMessage.listeners.length, 1);
  assert.equal(messenger.browserAction.onClicked.listeners.length, 1);
});

test("pending thank-you from the sender (address case-insensitive): banner", async () => {
  const ctx = setup();
  const model = await display(ctx, 1, MESSAGES.hanako);
  assert.ok(model);
  assert.equal(model.reminderId, 11);
  assert.equal(model.kind, "thank-you");
  assert.equal(model.title, "Kizuna: send Hanako Yamada a thank-you");
  assert.equal(model.dueText, "Due 2025-03-01");
  assert.deepEqual(model.buttons.map((b) => b.action), ["done", "dismiss", "openDraft"]);
  const req = ctx.fetch.requests[0];
  assert.equal(req.url, "http://127.0.0.1:8765/api/reminders");
  assert.equal(req.method, "GET");
  assert.equal(req.headers.Authorization, `Bearer ${TOKEN}`);
  assert.equal(ctx.fetch.requests.length, 1, "event and content script share one lookup");
});

test("delivered gift: banner without a draft button", async () => {
  const ctx = setup();
  const model = await display(ctx, 1, MESSAGES.jiro);
  assert.equal(model.reminderId, 14);
  assert.equal(model.kind, "gift");
  assert.deepEqual(model.buttons.map((b) => b.action), ["done", "dismiss"]);
});

test("no banner: done reminder, keep-in-touch only, other sender, no author", async () => {
  const ctx = setup();
  assert.equal(await display(ctx, 1, MESSAGES.taro), null);
  assert.equal(await display(ctx, 1, MESSAGES.saburo), null);
  assert.equal(await display(ctx, 1, MESSAGES.stranger), null);
  assert.equal(await display(ctx, 1, { id: 599, author: "" }), null);
  assert.equal(await ctx.messenger.runtime.sendMessage({ type: "kizuna:getBanner" }, { tab: { id: 77 } }), null, "tab without a message");
  assert.equal(await ctx.messenger.runtime.sendMessage({ type: "kizuna:getBanner" }, {}), null, "no tab");
});

test("no token: no banner and no request", async () => {
  const ctx = setup({ token: null });
  assert.equal(await display(ctx, 1, MESSAGES.hanako), null);
  assert.equal(ctx.fetch.requests.length, 0);
});

test("API down or token rejected: no banner, a warning", async () => {
  const down = setup({ routes: { "GET /api/reminders": new TypeError("NetworkError") } });
  assert.equal(await display(down, 1, MESSAGES.hanako), null);
  assert.equal(down.warnings.length, 1);
  const rejected = setup({ routes: { "GET /api/reminders": new Response("", { status: 401 }) } });
  assert.equal(await display(rejected, 1, MESSAGES.hanako), null);
});

test("reminders are cached briefly; a settings change drops the cache", async () => {
  let t = 0;
  const ctx = setup({ clock: () => t });
  await display(ctx, 1, MESSAGES.hanako);
  await display(ctx, 1, MESSAGES.stranger);
  assert.equal(ctx.fetch.requests.length, 1);
  t = 60000;
  await display(ctx, 1, MESSAGES.jiro);
  assert.equal(ctx.fetch.requests.length, 2);
  await ctx.messenger.storage.local.set({ token: "new-token" });
  await display(ctx, 2, MESSAGES.hanako);
  assert.equal(ctx.fetch.requests.length, 3);
  assert.equal(ctx.fetch.requests[2].headers.Authorization, "Bearer new-token");
});

test("Done button: POST /api/reminders/<id> {status: done} with the bearer token", async () => {
  const ctx = setup();
  await display(ctx, 1, MESSAGES.hanako);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 11 }, { tab: { id: 1 } });
  assert.deepEqual(res, { ok: true, final: true, status: "done", message: "Marked done." });
  const post = ctx.fetch.requests.at(-1);
  assert.equal(post.url, "http://127.0.0.1:8765/api/reminders/11");
  assert.equal(post.method, "POST");
  assert.equal(post.headers.Authorization, `Bearer ${TOKEN}`);
  assert.equal(post.headers["Content-Type"], "application/json");
  assert.equal(post.init.body, '{"status":"done"}');
});

test("Dismiss button: POST {status: dismissed}; an API error comes back as text", async () => {
  const ctx = setup({ routes: { "POST /api/reminders/14": () => ({ id: 14, status: "dismissed" }) } });
  await display(ctx, 3, MESSAGES.jiro);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "dismiss", reminderId: 14 }, { tab: { id: 3 } });
  assert.equal(res.ok, true);
  assert.equal(res.status, "dismissed");
  const post = ctx.fetch.requests.at(-1);
  assert.equal(post.url, "http://127.0.0.1:8765/api/reminders/14");
  assert.deepEqual(post.body, { status: "dismissed" });

  const failing = setup({ routes: { "POST /api/reminders/11": new Response("x", { status: 500 }) } });
  await display(failing, 1, MESSAGES.hanako);
  const bad = await failing.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 11 }, { tab: { id: 1 } });
  assert.equal(bad.ok, false);
  assert.equal(bad.error, "Kizuna error: POST /api/reminders/11: HTTP 500");
});

test("actions for a reminder the tab does not show are refused", async () => {
  const ctx = setup();
  await display(ctx, 1, MESSAGES.hanako);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 13 }, { tab: { id: 1 } });
  assert.equal(res.ok, false);
  assert.equal(ctx.fetch.requests.filter((r) => r.method === "POST").length, 0);
  const other = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 11 }, { tab: { id: 2 } });
  assert.equal(other.ok, false);
  assert.equal(await ctx.messenger.runtime.sendMessage({ type: "something-else" }, { tab: { id: 1 } }), undefined, "foreign messages ignored");
});

test("Open thank-you draft: the draft in Drafts with the reminder's subject opens in a tab", async () => {
  const drafts = { id: "acc1://Drafts", name: "Drafts", specialUse: ["drafts"] };
  const ctx = setup({
    messengerOpts: {
      folders: [drafts, { id: "acc1://INBOX", specialUse: ["inbox"] }],
      messagesByFolder: {
        "acc1://Drafts": [
          { id: 900, subject: "Re: Long time no see", recipients: ["someone-else@example.com"], date: "2025-03-02T00:00:00Z", headers: KIZUNA_HEADERS },
          { id: 901, subject: "Re: Long time no see", recipients: ["Hanako Yamada <hanako@example.com>"], date: "2025-03-01T00:00:00Z", headers: KIZUNA_HEADERS },
        ],
      },
    },
  });
  await display(ctx, 1, MESSAGES.hanako);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "openDraft", reminderId: 11 }, { tab: { id: 1 } });
  assert.equal(res.ok, true);
  assert.equal(res.opened, "draft");
  assert.deepEqual(ctx.messenger.calls.find((c) => c.name === "folders.query").args[0], { specialUse: ["drafts"] });
  // Thunderbird keeps "Long time no see" (the "Re: " is a flag): the query uses the stripped subject.
  assert.deepEqual(ctx.messenger.calls.find((c) => c.name === "messages.query").args[0], { folderId: "acc1://Drafts", subject: "Long time no see" });
  const open = ctx.messenger.calls.find((c) => c.name === "messageDisplay.open");
  assert.deepEqual(open.args[0], { messageId: 901, location: "tab", active: true });
  assert.deepEqual(callNames(ctx.messenger, "compose."), []);
});

test("Open thank-you draft without a matching draft: reply to the displayed message", async () => {
  const ctx = setup({ messengerOpts: { folders: [{ id: "d", specialUse: ["drafts"] }], messagesByFolder: { d: [] } } });
  await display(ctx, 1, MESSAGES.hanako);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "openDraft", reminderId: 11 }, { tab: { id: 1 } });
  assert.equal(res.ok, true);
  assert.equal(res.opened, "reply");
  const reply = ctx.messenger.calls.find((c) => c.name === "compose.beginReply");
  assert.deepEqual(reply.args.slice(0, 2), [501, "replyToSender"]);
  assert.deepEqual(callNames(ctx.messenger, "messageDisplay.open"), []);
});

test("toolbar button opens <api>/login?token=... in a Thunderbird tab", async () => {
  const ctx = setup({ messengerOpts: {} });
  ctx.messenger.store.apiUrl = "http://localhost:8800";
  ctx.messenger.store.token = "tok/+=";
  ctx.messenger.browserAction.onClicked.fire({ id: 1 });
  await flush();
  const create = ctx.messenger.calls.find((c) => c.name === "tabs.create");
  assert.deepEqual(create.args[0], { url: "http://localhost:8800/login?token=tok%2F%2B%3D", active: true });
});

test("toolbar button without a token opens the options page", async () => {
  const ctx = setup({ token: null });
  ctx.messenger.browserAction.onClicked.fire({ id: 1 });
  await flush();
  assert.deepEqual(callNames(ctx.messenger, "tabs.create"), []);
  assert.deepEqual(callNames(ctx.messenger, "runtime.openOptionsPage"), ["runtime.openOptionsPage"]);
});

test("closing a tab forgets its banner", async () => {
  const ctx = setup();
  await display(ctx, 1, MESSAGES.hanako);
  ctx.messenger.tabs.onRemoved.fire(1);
  const res = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 11 }, { tab: { id: 1 } });
  // The tab's message is recomputed from messageDisplay (the fake still "shows" it), so the action still works.
  assert.equal(res.ok, true);
  delete ctx.messenger.displayed[1];
  ctx.messenger.tabs.onRemoved.fire(1);
  const gone = await ctx.messenger.runtime.sendMessage({ type: "kizuna:action", action: "done", reminderId: 11 }, { tab: { id: 1 } });
  assert.equal(gone.ok, false);
});
