// The thank-you draft lookup as Thunderbird really behaves: MessageHeader.subject
// without "Re: ", headers only through messages.getFull, Drafts not synced until asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findDraft, pickDraft, stripSubjectPrefixes, normalizeMessageId } from "../lib/kizuna.js";
import { createFakeMessenger, thunderbirdSubject } from "./helpers/fake-messenger.mjs";

const REMINDER = { id: 1, email: "hanako@example.com", kind: "thank-you", draft_subject: "Re: お久しぶりです" };
const DRAFTS = { id: "a://Drafts", name: "Drafts", specialUse: ["drafts"] };
const THANKS = {
  id: 42,
  subject: "Re: お久しぶりです",
  recipients: ["山田 花子 <hanako@example.com>"],
  date: "2025-03-01T00:00:00Z",
  headers: { "x-kizuna-id": ["thanks-reconnect-9"], "in-reply-to": ["<reply-1@example.jp>"] },
};

test("stripSubjectPrefixes: reply and forward prefixes in many clients' forms", () => {
  for (const s of ["Re: Hello", "RE: Hello", "AW: Hello", "Aw:Hello", "Fwd: Hello", "FW: Re: Hello", "Re[2]: Hello",
    "Re(3): Hello", "返信: Hello", "返信：Hello", "転送: Re: Hello", "SV: Hello", "Antw: Hello", "  Re:  Re:   Hello "]) {
    assert.equal(stripSubjectPrefixes(s), "Hello", s);
  }
  assert.equal(stripSubjectPrefixes("Regarding: Hello"), "Regarding: Hello");
  assert.equal(stripSubjectPrefixes("Rest: Hello"), "Rest: Hello");
  assert.equal(stripSubjectPrefixes(undefined), "");
  assert.equal(normalizeMessageId(" <AbC@Example.com> "), "abc@example.com");
});

test("the fake keeps subjects as Thunderbird does", () => {
  assert.equal(thunderbirdSubject("Re: Re: x"), "x");
  assert.equal(thunderbirdSubject("Fwd: x"), "Fwd: x");
});

test("pickDraft: In-Reply-To of the displayed reply beats a newer draft with the same subject", () => {
  const other = { ...THANKS, id: 43, date: "2025-03-05T00:00:00Z", headers: { "x-kizuna-id": ["thanks-reconnect-1"], "in-reply-to": ["<old@example.jp>"] } };
  const shown = [other, THANKS].map((m) => ({ ...m, subject: thunderbirdSubject(m.subject) }));
  assert.equal(pickDraft(shown, REMINDER, { replyMessageId: "reply-1@example.jp" }).id, 42);
  assert.equal(pickDraft(shown, REMINDER).id, 43, "without the reply's id: the newest Kizuna thank-you draft");
  const mine = { ...THANKS, id: 44, headers: {} };
  assert.equal(pickDraft([mine], REMINDER), null, "the user's own draft with that subject is not Kizuna's");
  assert.equal(pickDraft([{ ...THANKS, headers: undefined }], REMINDER).id, 42, "headers unknown: the subject decides");
});

test("findDraft: a stripped subject is queried; not synced yet -> Drafts synced, then found", async () => {
  const messagesByFolder = { [DRAFTS.id]: [] };
  const messenger = createFakeMessenger({
    folders: [DRAFTS],
    messagesByFolder,
    onSync: (props, byFolder) => byFolder[DRAFTS.id].push(THANKS), // the server's draft arrives
  });
  const synced = [];
  const slept = [];
  const found = await findDraft(messenger, REMINDER, {
    replyMessageId: "<reply-1@example.jp>",
    sync: async (folders) => {
      synced.push(folders.map((f) => f.id));
      await messenger.mailTabs.create({ displayedFolderId: folders[0].id, active: false });
    },
    sleep: async (ms) => slept.push(ms),
  });
  assert.equal(found.id, 42);
  assert.deepEqual(synced, [[DRAFTS.id]]);
  assert.deepEqual(slept, [250]);
  const queries = messenger.calls.filter((c) => c.name === "messages.query").map((c) => c.args[0]);
  assert.deepEqual(queries[0], { folderId: DRAFTS.id, subject: "お久しぶりです" });
});

test("findDraft: gives up after the retries and reports none", async () => {
  const messenger = createFakeMessenger({ folders: [DRAFTS], messagesByFolder: { [DRAFTS.id]: [] } });
  const slept = [];
  const found = await findDraft(messenger, REMINDER, { sync: async () => {}, sleep: async (ms) => slept.push(ms), delays: [1, 2, 3] });
  assert.equal(found, null);
  assert.deepEqual(slept, [1, 2, 3]);
});
