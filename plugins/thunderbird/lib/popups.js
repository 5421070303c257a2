// The two popups: the compose window's tone check (compose_action) and the
// message header's contact card with "Draft a reconnection" (message_display_action).
// DOM, messenger and fetch are passed in, so node tests drive them with fakes.
import {
  checkTone,
  contactLines,
  draftOf,
  errorMessage,
  fetchContact,
  htmlToText,
  loadSettings,
  ownText,
  parseAuthor,
  previewDraft,
  requestDraft,
  withSan,
} from "./kizuna.js";
import { localize } from "./options-page.js";

function setText(node, text, className) {
  node.textContent = text;
  if (className !== undefined) node.className = className;
}

function clear(node) {
  node.textContent = "";
}

function addLine(doc, parent, tag, text, className) {
  const node = doc.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  parent.appendChild(node);
  return node;
}

async function activeTab(messenger) {
  const tabs = await messenger.tabs.query({ active: true, currentWindow: true });
  return (tabs && tabs[0]) || null;
}

/** The text the user is writing, without quoted lines and signature. */
export function composeText(details) {
  if (!details) return "";
  if (details.isPlainText || (typeof details.plainTextBody === "string" && !details.body)) {
    return ownText(details.plainTextBody || "");
  }
  return ownText(htmlToText(details.body || ""));
}

function firstRecipient(details) {
  const to = [...((details && details.to) || []), ...((details && details.cc) || [])];
  for (const r of to) {
    const email = typeof r === "string" ? parseAuthor(r) : null;
    if (email) return { email, label: String(r).replace(/\s*<[^>]*>\s*$/, "").replace(/^"|"$/g, "").trim() || email };
  }
  return null;
}

/** Whether the compose window holds a Kizuna draft (X-Kizuna-Id) or writes to a Kizuna contact. */
async function composeContext(messenger, fetchImpl, settings, details) {
  const recipient = firstRecipient(details);
  if (details && details.relatedMessageId && messenger.messages && messenger.messages.getFull) {
    try {
      const full = await messenger.messages.getFull(details.relatedMessageId);
      const id = full && full.headers && full.headers["x-kizuna-id"];
      if (id && (Array.isArray(id) ? id.length : true)) return { kind: "draft", recipient };
    } catch {
      // the draft is gone from the store: judge by the recipient
    }
  }
  if (recipient) {
    try {
      const contact = await fetchContact(fetchImpl, settings, recipient.email);
      if (contact) return { kind: "contact", recipient: { ...recipient, label: contact.name || recipient.label } };
    } catch {
      // the tone check still runs
    }
  }
  return { kind: "other", recipient };
}

/** compose_action popup: check the tone of the message being written, through POST /api/tone. */
export async function initTonePopup({ document: doc, messenger, fetch: fetchImpl }) {
  const i18n = messenger.i18n;
  localize(doc, i18n);
  const context = doc.getElementById("context");
  const status = doc.getElementById("status");
  const list = doc.getElementById("warnings");
  const again = doc.getElementById("recheck");

  async function run() {
    clear(list);
    setText(status, i18n.getMessage("toneChecking"), "");
    const tab = await activeTab(messenger);
    if (!tab || tab.type !== "messageCompose") {
      setText(status, i18n.getMessage("toneNoCompose"), "");
      return { warnings: null };
    }
    const settings = await loadSettings(messenger.storage);
    if (!settings.token) {
      setText(status, i18n.getMessage("errorNoToken"), "error");
      return { warnings: null };
    }
    const details = await messenger.compose.getComposeDetails(tab.id);
    const found = await composeContext(messenger, fetchImpl, settings, details);
    const name = found.recipient ? found.recipient.label : "";
    if (found.kind === "draft") setText(context, i18n.getMessage("toneKizunaDraft", [name, withSan(name)]));
    else if (found.kind === "contact") setText(context, i18n.getMessage("toneContact", [name, withSan(name)]));
    else setText(context, i18n.getMessage("toneOther"));
    const text = composeText(details);
    if (!text) {
      setText(status, i18n.getMessage("toneEmpty"), "");
      return { warnings: [] };
    }
    let warnings;
    try {
      warnings = await checkTone(fetchImpl, settings, { text, subject: details.subject || "" });
    } catch (err) {
      setText(status, errorMessage(err, i18n), "error");
      return { warnings: null };
    }
    if (!warnings.length) {
      setText(status, i18n.getMessage("toneNone"), "ok");
    } else {
      setText(status, i18n.getMessage("toneWarnings", [String(warnings.length)]), "warn");
      for (const w of warnings) addLine(doc, list, "li", w, "warning");
    }
    return { warnings };
  }

  again.addEventListener("click", () => run());
  const first = run().catch((err) => {
    setText(status, errorMessage(err, i18n), "error");
    return { warnings: null };
  });
  return { run, ready: first };
}

/** message_display_action popup: what Kizuna knows of the sender, and a reconnection draft. */
export async function initContactPopup({ document: doc, messenger, fetch: fetchImpl }) {
  const i18n = messenger.i18n;
  localize(doc, i18n);
  const heading = doc.getElementById("name");
  const facts = doc.getElementById("facts");
  const status = doc.getElementById("status");
  const draftButton = doc.getElementById("draft");
  const preview = doc.getElementById("preview");
  const previewSubject = doc.getElementById("preview-subject");
  const previewBody = doc.getElementById("preview-body");
  const previewWarnings = doc.getElementById("preview-warnings");
  const saveButton = doc.getElementById("save");
  let email = null;
  let settings = null;

  async function load() {
    draftButton.hidden = true;
    preview.hidden = true;
    const tab = await activeTab(messenger);
    const message = tab ? await messenger.messageDisplay.getDisplayedMessage(tab.id) : null;
    email = message ? parseAuthor(message.author) : null;
    if (!email) {
      setText(status, i18n.getMessage("popupNoMessage"), "");
      return null;
    }
    settings = await loadSettings(messenger.storage);
    if (!settings.token) {
      setText(status, i18n.getMessage("errorNoToken"), "error");
      return null;
    }
    let contact;
    try {
      contact = await fetchContact(fetchImpl, settings, email);
    } catch (err) {
      setText(status, errorMessage(err, i18n), "error");
      return null;
    }
    if (!contact) {
      setText(status, i18n.getMessage("contactNotContact", [email]), "");
      return null;
    }
    setText(heading, contact.name || contact.email);
    clear(facts);
    for (const line of contactLines(contact, i18n)) addLine(doc, facts, "li", line.text, `fact-${line.key}`);
    setText(status, "", "");
    draftButton.hidden = false;
    return contact;
  }

  async function showPreview() {
    draftButton.disabled = true;
    setText(status, i18n.getMessage("toneChecking"), "");
    try {
      const draft = await previewDraft(fetchImpl, settings, email);
      setText(previewSubject, i18n.getMessage("draftSubjectLine", [draft.subject || ""]));
      setText(previewBody, draft.body || "");
      clear(previewWarnings);
      for (const w of draft.warnings) addLine(doc, previewWarnings, "li", w, "warning");
      preview.hidden = false;
      setText(status, "", "");
      return draft;
    } catch (err) {
      setText(status, errorMessage(err, i18n), "error");
      return null;
    } finally {
      draftButton.disabled = false;
    }
  }

  async function save() {
    saveButton.disabled = true;
    try {
      const answer = await requestDraft(fetchImpl, settings, email);
      if (answer && answer.status === "skipped") {
        setText(status, i18n.getMessage("draftSkipped", [String(answer.reason || "")]), "error");
        return null;
      }
      const draft = draftOf(answer) || {};
      setText(status, i18n.getMessage("draftDrafted", [draft.subject || ""]), "ok");
      preview.hidden = true;
      draftButton.hidden = true;
      return draft;
    } catch (err) {
      setText(status, errorMessage(err, i18n), "error");
      return null;
    } finally {
      saveButton.disabled = false;
    }
  }

  draftButton.addEventListener("click", () => showPreview());
  saveButton.addEventListener("click", () => save());
  const ready = load().catch((err) => {
    setText(status, errorMessage(err, i18n), "error");
    return null;
  });
  return { load, showPreview, save, ready };
}
