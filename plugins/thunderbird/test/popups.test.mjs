// The compose window's tone check and the message header's contact card, on fake DOMs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { initContactPopup, initTonePopup, composeText } from "../lib/popups.js";
import { createFakeMessenger } from "./helpers/fake-messenger.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";
import { optionsDocument } from "./helpers/fake-dom.mjs";
import { PLUGIN_DIR } from "./helpers/i18n.mjs";

const html = (name) => readFileSync(path.join(PLUGIN_DIR, "popup", name), "utf8");
const STORAGE = { apiUrl: "http://127.0.0.1:8765", token: "t0k" };
const CONTACT = {
  email: "hanako@example.com", name: "山田 花子", last_contact: "2016-01-05T10:00:00+09:00",
  first_contact: "2012-04-01T10:00:00+09:00", sent_count: 12, received_count: 9,
  last_subject: "勉強会の資料", status: "replied", reason: "デザインの仕事について相談したい", organization: "ABC", position: null,
};
const PUSHY_WARNING = "“by Friday” sets a deadline; try “whenever suits you”.";

function composeMessenger(locale, details, extra = {}) {
  const m = createFakeMessenger({ storage: STORAGE, locale, activeTab: { id: 9, type: "messageCompose" }, ...extra });
  m.compose.getComposeDetails = async (tabId) => {
    m.calls.push({ name: "compose.getComposeDetails", args: [tabId] });
    return details;
  };
  return m;
}

test("composeText: HTML body to text without the quote and signature; plain text without > lines", () => {
  assert.equal(composeText({ isPlainText: false, body: "<p>Please reply by Friday.</p><blockquote>old</blockquote><div class=\"moz-signature\">-- <br>Me</div>" }), "Please reply by Friday.");
  assert.equal(composeText({ isPlainText: true, plainTextBody: "Hi,\n> quoted\nThanks\n-- \nsig" }), "Hi,\nThanks");
});

test("tone popup: a Kizuna draft's text goes to POST /api/tone; warnings listed", async () => {
  const details = { isPlainText: true, plainTextBody: "Please get back to me by Friday.\n> old", subject: "Re: Hello", to: ["Hanako Yamada <hanako@example.com>"], relatedMessageId: 42 };
  const messenger = composeMessenger("en", details, { messagesByFolder: { d: [{ id: 42, subject: "Re: Hello", headers: { "x-kizuna-id": ["thanks-r-1"] } }] } });
  const fetch = createFakeFetch({ "POST /api/tone": () => ({ warnings: [PUSHY_WARNING] }) });
  const doc = optionsDocument(html("tone.html"));
  const popup = await initTonePopup({ document: doc, messenger, fetch });
  assert.deepEqual((await popup.ready).warnings, [PUSHY_WARNING]);
  const post = fetch.requests.find((r) => r.path === "/api/tone");
  assert.deepEqual(post.body, { text: "Please get back to me by Friday.", subject: "Re: Hello" });
  assert.equal(post.headers.Authorization, "Bearer t0k");
  assert.equal(doc.getElementById("context").textContent, "A Kizuna draft to Hanako Yamada.");
  assert.equal(doc.getElementById("status").textContent, "1 thing(s) to look at before you send:");
  assert.deepEqual(doc.getElementById("warnings").children.map((li) => li.textContent), [PUSHY_WARNING]);
});

test("tone popup in Japanese: a contact's message, no warnings", async () => {
  const details = { isPlainText: false, body: "<p>ご都合のよいときにお返事いただければ幸いです。</p>", subject: "ご無沙汰しております", to: ["hanako@example.com"] };
  const messenger = composeMessenger("ja", details);
  const fetch = createFakeFetch({
    "GET /api/contacts/hanako%40example.com": new Response("{}", { status: 404 }),
    "GET /api/contacts": () => [CONTACT],
    "POST /api/tone": () => ({ warnings: [] }),
  });
  const doc = optionsDocument(html("tone.html"));
  await (await initTonePopup({ document: doc, messenger, fetch })).ready;
  assert.equal(doc.getElementById("context").textContent, "Kizuna の連絡先、山田 花子さんへのメールです。");
  assert.equal(doc.getElementById("status").textContent, "気になる表現は見つかりませんでした。");
  assert.equal(doc.querySelector("h1").textContent, "言葉づかいの確認");
});

test("tone popup: the API without /api/tone shows the error, not a false all-clear", async () => {
  const messenger = composeMessenger("en", { isPlainText: true, plainTextBody: "Hi", to: [] });
  const fetch = createFakeFetch({});
  const doc = optionsDocument(html("tone.html"));
  assert.equal((await (await initTonePopup({ document: doc, messenger, fetch })).ready).warnings, null);
  assert.equal(doc.getElementById("status").textContent, "Kizuna error: POST /api/tone: HTTP 404");
});

test("contact popup: what Kizuna knows, then a preview with warnings, then the saved draft", async () => {
  const messenger = createFakeMessenger({ storage: STORAGE, activeTab: { id: 3, type: "mail" }, displayed: { 3: { id: 5, author: "Hanako <Hanako@example.com>" } } });
  const fetch = createFakeFetch({
    "GET /api/contacts/hanako%40example.com": () => CONTACT,
    "POST /api/drafts": (req) => (req.body.dry_run
      ? { email: "hanako@example.com", subject: "ご無沙汰しております", body: "山田様\n…", language: "ja", warnings: ["理由が英語です"] }
      : { status: "drafted", draft: { email: "hanako@example.com", subject: "ご無沙汰しております", message_id: "<m@x>", language: "ja" } }),
  });
  const doc = optionsDocument(html("contact.html"));
  const popup = await initContactPopup({ document: doc, messenger, fetch });
  await popup.ready;
  assert.equal(doc.getElementById("name").textContent, "山田 花子");
  const facts = doc.getElementById("facts").children.map((li) => li.textContent);
  assert.deepEqual(facts, [
    "ABC", "Last contact: 2016-01-05", "First contact: 2012-04-01",
    "Messages you sent: 12 · Messages you received: 9", "Last subject: 勉強会の資料",
    "Your reason to write: デザインの仕事について相談したい", "Reconnection: they replied",
  ]);
  await popup.showPreview();
  assert.deepEqual(fetch.requests.at(-1).body, { email: "hanako@example.com", dry_run: true });
  assert.equal(doc.getElementById("preview").hidden, false);
  assert.equal(doc.getElementById("preview-subject").textContent, "Subject: ご無沙汰しております");
  assert.deepEqual(doc.getElementById("preview-warnings").children.map((li) => li.textContent), ["理由が英語です"]);
  await popup.save();
  assert.deepEqual(fetch.requests.at(-1).body, { email: "hanako@example.com" });
  assert.equal(doc.getElementById("status").textContent, "Drafted: saved in your Drafts folder as “ご無沙汰しております”.");
});

test("contact popup: a sender who is not a contact", async () => {
  const messenger = createFakeMessenger({ storage: STORAGE, locale: "ja", activeTab: { id: 3 }, displayed: { 3: { id: 5, author: "x@example.org" } } });
  const fetch = createFakeFetch({ "GET /api/contacts": () => [CONTACT] });
  const doc = optionsDocument(html("contact.html"));
  await (await initContactPopup({ document: doc, messenger, fetch })).ready;
  assert.equal(doc.getElementById("status").textContent, "x@example.org は Kizuna の連絡先ではありません（双方向のやり取りがありません）。");
  assert.equal(doc.getElementById("draft").hidden, true);
});
