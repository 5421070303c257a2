// Runs content/banner.js (a classic content script) in a vm context with a fake
// DOM and a fake messenger whose runtime.sendMessage reaches the real background logic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { startBackground } from "../lib/background-core.js";
import { createFakeMessenger, flush } from "./helpers/fake-messenger.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";
import { FakeDocument } from "./helpers/fake-dom.mjs";
import { PLUGIN_DIR } from "./helpers/i18n.mjs";

const SCRIPT = readFileSync(path.join(PLUGIN_DIR, "content", "banner.js"), "utf8");
const REMINDERS = [
  { id: "r-1", email: "hanako@example.com", name: "Hanako", kind: "thank-you", due: "2025-03-01T10:00:00+09:00", status: "delivered", draft_subject: "Re: Hi" },
];

function setup({ author = "Hanako <HANAKO@example.com>", locale = "en", postStatus = 204 } = {}) {
  const messenger = createFakeMessenger({ storage: { apiUrl: "http://127.0.0.1:8765", token: "t0k" }, locale });
  const fetch = createFakeFetch({
    "GET /api/reminders": () => REMINDERS,
    "POST /api/reminders/r-1": () => new Response(null, { status: postStatus }),
  });
  startBackground({ messenger, fetch, log: { warn() {} }, sleep: async () => {} });
  const tabId = 7;
  const message = { id: 321, author, subject: "Re: Hi" };
  messenger.displayed[tabId] = message;
  messenger.messageDisplay.onMessageDisplayed.fire({ id: tabId }, message);
  // What the content script sees: its own runtime.connect, with sender.tab filled in.
  const contentMessenger = {
    runtime: { connect: (info) => messenger.runtime.connectFrom({ tab: { id: tabId } }, info) },
  };
  const document = new FakeDocument();
  const existing = document.createElement("p");
  existing.textContent = "Original message body";
  document.body.appendChild(existing);
  return { messenger, fetch, document, contentMessenger };
}

async function inject(ctx) {
  vm.runInNewContext(SCRIPT, { document: ctx.document, messenger: ctx.contentMessenger, console });
  await flush(10);
  return ctx.document.getElementById("kizuna-banner");
}

const buttonsOf = (banner) => banner.querySelectorAll("button");

test("banner is inserted above the message with the reminder and three buttons", async () => {
  const ctx = setup();
  const banner = await inject(ctx);
  assert.ok(banner, "banner present");
  assert.equal(ctx.document.body.firstChild, banner);
  assert.match(banner.textContent, /Kizuna: send Hanako a thank-you/);
  assert.match(banner.textContent, /Due 2025-03-01/);
  assert.deepEqual(buttonsOf(banner).map((b) => b.textContent), ["Done", "Dismiss", "Open thank-you draft"]);
  assert.deepEqual(buttonsOf(banner).map((b) => b.getAttribute("data-action")), ["done", "dismiss", "openDraft"]);
});

test("Japanese UI", async () => {
  const ctx = setup({ locale: "ja" });
  const banner = await inject(ctx);
  assert.match(banner.textContent, /Hanako さんにお礼を送りましょう/);
  assert.deepEqual(buttonsOf(banner).map((b) => b.textContent), ["完了", "見送る", "お礼の下書きを開く"]);
});

test("no banner for a message from someone else", async () => {
  const ctx = setup({ author: "Other <other@example.com>" });
  assert.equal(await inject(ctx), null);
  assert.equal(ctx.document.body.children.length, 1);
});

test("clicking Done posts the status and finishes the banner", async () => {
  const ctx = setup();
  const banner = await inject(ctx);
  buttonsOf(banner)[0].click();
  await flush(10);
  const post = ctx.fetch.requests.find((r) => r.method === "POST");
  assert.equal(post.url, "http://127.0.0.1:8765/api/reminders/r-1");
  assert.equal(post.headers.Authorization, "Bearer t0k");
  assert.deepEqual(post.body, { status: "done" });
  assert.match(banner.textContent, /Marked done\./);
  assert.equal(buttonsOf(banner).length, 0, "buttons gone");
});

test("clicking Dismiss with the API failing shows the error and keeps the buttons", async () => {
  const ctx = setup({ postStatus: 401 });
  const banner = await inject(ctx);
  buttonsOf(banner)[1].click();
  await flush(10);
  assert.deepEqual(ctx.fetch.requests.find((r) => r.method === "POST").body, { status: "dismissed" });
  assert.match(banner.textContent, /rejected the token/);
  assert.equal(buttonsOf(banner).length, 3);
  assert.ok(buttonsOf(banner).every((b) => !b.disabled));
});

test("clicking Open thank-you draft asks the background over the banner's port", async () => {
  const ctx = setup();
  const banner = await inject(ctx);
  assert.deepEqual(JSON.parse(JSON.stringify(ctx.messenger.calls.filter((c) => c.name === "runtime.connect").map((c) => c.args[0]))), [{ name: "kizuna-banner" }]);
  assert.equal(ctx.messenger.calls.filter((c) => c.name === "runtime.sendMessage").length, 0, "no promise left pending in the pane");
  buttonsOf(banner)[2].click();
  await flush(30);
  assert.equal(ctx.messenger.calls.filter((c) => c.name === "compose.beginReply").length, 1, "no draft in the fake Drafts: reply fallback");
  assert.match(banner.textContent, /a reply was opened instead/);
});

test("leaving the message while Kizuna is still asked cancels the request cleanly", async () => {
  let seenSignal = null;
  const ctx = setup();
  ctx.fetch = null;
  const messenger = createFakeMessenger({ storage: { apiUrl: "http://127.0.0.1:8765", token: "t0k" } });
  const fetch = createFakeFetch({
    "GET /api/reminders": (req) => new Promise((resolve, reject) => {
      seenSignal = req.init.signal;
      req.init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    }),
  });
  const warnings = [];
  startBackground({ messenger, fetch, log: { warn: (m) => warnings.push(m) } });
  const message = { id: 321, author: "Hanako <hanako@example.com>" };
  messenger.displayed[7] = message;
  messenger.messageDisplay.onMessageDisplayed.fire({ id: 7 }, message);
  const listeners = {};
  const document = new FakeDocument();
  vm.runInNewContext(SCRIPT, {
    document,
    messenger: { runtime: { connect: (info) => messenger.runtime.connectFrom({ tab: { id: 7 } }, info) } },
    addEventListener: (type, fn) => ((listeners[type] ||= []).push(fn)),
    console,
  });
  await flush(10);
  assert.ok(seenSignal, "the request is under way");
  assert.equal(seenSignal.aborted, false);
  for (const fn of listeners.pagehide || []) fn({ type: "pagehide" });
  await flush(10);
  assert.equal(seenSignal.aborted, true, "the pane's hang-up cancels the request");
  assert.equal(document.getElementById("kizuna-banner"), null);
  assert.deepEqual(warnings, [], "a cancelled request is not an error");
});

test("injecting twice leaves one banner", async () => {
  const ctx = setup();
  await inject(ctx);
  await inject(ctx);
  assert.equal(ctx.document.querySelectorAll("div").filter((d) => d.id === "kizuna-banner").length, 1);
});
