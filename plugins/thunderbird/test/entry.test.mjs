// Loads the real background.js entry with a fake `messenger` global and a stub fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFakeMessenger, flush } from "./helpers/fake-messenger.mjs";
import { createFakeFetch } from "./helpers/fake-fetch.mjs";

test("background.js wires everything to the messenger global and global fetch", async () => {
  const messenger = createFakeMessenger({ storage: { token: "abc" } });
  const fetch = createFakeFetch({
    "GET /api/reminders": [{ id: 3, email: "a@example.com", kind: "thank-you", due: "2025-01-01", status: "pending" }],
  });
  globalThis.messenger = messenger;
  globalThis.fetch = fetch;
  const { kizunaBackground } = await import("../background.js");
  await kizunaBackground.registered;
  assert.equal(messenger.calls.filter((c) => c.name === "messageDisplayScripts.register").length, 1);

  messenger.browserAction.onClicked.fire({ id: 1 });
  await flush();
  assert.deepEqual(messenger.calls.find((c) => c.name === "tabs.create").args[0], {
    url: "http://127.0.0.1:8765/login?token=abc",
    active: true,
  });

  messenger.displayed[5] = { id: 9, author: "A <A@example.com>" };
  const model = await messenger.runtime.sendMessage({ type: "kizuna:getBanner" }, { tab: { id: 5 } });
  assert.equal(model.reminderId, 3);
  assert.equal(fetch.requests[0].headers.Authorization, "Bearer abc");
});
