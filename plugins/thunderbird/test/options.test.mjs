import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_API_URL, loadSettings, saveSettings } from "../lib/kizuna.js";
import { initOptions } from "../lib/options-page.js";
import { createFakeMessenger, flush } from "./helpers/fake-messenger.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";
import { optionsDocument } from "./helpers/fake-dom.mjs";
import { PLUGIN_DIR } from "./helpers/i18n.mjs";

const HTML = readFileSync(path.join(PLUGIN_DIR, "options", "options.html"), "utf8");

test("loadSettings: defaults when nothing is stored", async () => {
  const messenger = createFakeMessenger();
  assert.deepEqual(await loadSettings(messenger.storage), { apiUrl: DEFAULT_API_URL, token: "" });
  assert.deepEqual(await loadSettings(createFakeMessenger({ storage: { apiUrl: "http://evil.example", token: 5 } }).storage), { apiUrl: DEFAULT_API_URL, token: "" });
});

test("saveSettings stores normalized values in storage.local; bad URL stores nothing", async () => {
  const messenger = createFakeMessenger();
  const saved = await saveSettings(messenger.storage, { apiUrl: "http://localhost:9000/", token: " abc " });
  assert.deepEqual(saved, { apiUrl: "http://localhost:9000", token: "abc" });
  assert.deepEqual(messenger.store, { apiUrl: "http://localhost:9000", token: "abc" });
  assert.deepEqual(await loadSettings(messenger.storage), saved);
  await assert.rejects(saveSettings(messenger.storage, { apiUrl: "https://example.com", token: "x" }), { code: "bad-url" });
  assert.deepEqual(messenger.store, { apiUrl: "http://localhost:9000", token: "abc" });
});

test("options page: localized, loads, saves on submit, accepts the dashboard URL", async () => {
  const messenger = createFakeMessenger({ storage: { token: "old" } });
  const doc = optionsDocument(HTML);
  const page = await initOptions({ document: doc, messenger, fetch: createFakeFetch() });
  assert.equal(doc.querySelector("h1").textContent, "Kizuna settings");
  assert.equal(doc.getElementById("save").textContent, "Save");
  assert.equal(doc.getElementById("api-url").value, DEFAULT_API_URL);
  assert.equal(doc.getElementById("token").value, "old");

  doc.getElementById("token").value = "http://127.0.0.1:8766/login?token=fresh";
  const ev = doc.getElementById("options-form").dispatchEvent({ type: "submit" });
  assert.equal(ev.defaultPrevented, true);
  await ev.results[0];
  assert.deepEqual(messenger.store, { apiUrl: "http://127.0.0.1:8766", token: "fresh" });
  assert.equal(doc.getElementById("api-url").value, "http://127.0.0.1:8766");
  assert.equal(doc.getElementById("status").textContent, "Saved.");

  doc.getElementById("api-url").value = "http://10.0.0.1:8765";
  assert.equal(await page.save(), null);
  assert.equal(doc.getElementById("status").className, "error");
  assert.match(doc.getElementById("status").textContent, /must be http:\/\/127\.0\.0\.1/);
});

test("options page in Japanese", async () => {
  const messenger = createFakeMessenger({ locale: "ja" });
  const doc = optionsDocument(HTML);
  await initOptions({ document: doc, messenger, fetch: createFakeFetch() });
  assert.equal(doc.querySelector("h1").textContent, "Kizuna の設定");
  assert.equal(doc.getElementById("test").textContent, "接続テスト");
});

test("Test connection: saves, then GET /api/reminders with the token", async () => {
  const messenger = createFakeMessenger();
  const fetch = createFakeFetch({ "GET /api/reminders": [{ id: 1 }, { id: 2 }] });
  const doc = optionsDocument(HTML);
  await initOptions({ document: doc, messenger, fetch });
  doc.getElementById("token").value = "tt";
  doc.getElementById("test").click();
  await flush(10);
  assert.equal(fetch.requests[0].url, "http://127.0.0.1:8765/api/reminders");
  assert.equal(fetch.requests[0].headers.Authorization, "Bearer tt");
  assert.equal(doc.getElementById("status").textContent, "Connected: 2 reminders.");
  assert.equal(messenger.store.token, "tt");

  const down = createFakeFetch({ "GET /api/reminders": new TypeError("NetworkError") });
  const doc2 = optionsDocument(HTML);
  const page2 = await initOptions({ document: doc2, messenger, fetch: down });
  assert.equal(await page2.test(), null);
  assert.match(doc2.getElementById("status").textContent, /Cannot reach Kizuna/);
});
