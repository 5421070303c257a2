// Options page logic: API URL + token in storage.local, localized labels, and a
// "Test connection" button (GET /api/reminders). DOM and APIs are passed in.
import { errorMessage, fetchReminders, loadSettings, saveSettings } from "./kizuna.js";

/** Replace the text of every [data-i18n] element with its message. */
export function localize(doc, i18n) {
  for (const node of doc.querySelectorAll("[data-i18n]")) {
    const text = i18n.getMessage(node.getAttribute("data-i18n"));
    if (text) node.textContent = text;
  }
}

export async function initOptions({ document: doc, messenger, fetch: fetchImpl }) {
  const i18n = messenger.i18n;
  localize(doc, i18n);
  const form = doc.getElementById("options-form");
  const apiUrl = doc.getElementById("api-url");
  const token = doc.getElementById("token");
  const status = doc.getElementById("status");
  const testButton = doc.getElementById("test");

  function show(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  const loaded = await loadSettings(messenger.storage);
  apiUrl.value = loaded.apiUrl;
  token.value = loaded.token;

  async function save() {
    try {
      const saved = await saveSettings(messenger.storage, { apiUrl: apiUrl.value, token: token.value });
      apiUrl.value = saved.apiUrl;
      token.value = saved.token;
      show(i18n.getMessage("optionsSaved"), false);
      return saved;
    } catch (err) {
      show(errorMessage(err, i18n), true);
      return null;
    }
  }

  async function test() {
    const saved = await save();
    if (!saved) return null;
    try {
      const reminders = await fetchReminders(fetchImpl, saved);
      show(i18n.getMessage("optionsTestOk", [String(reminders.length)]), false);
      return reminders;
    } catch (err) {
      show(errorMessage(err, i18n), true);
      return null;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    return save();
  });
  testButton.addEventListener("click", () => test());
  // Loaded and wired: what the user types from now on is not overwritten.
  if (doc.body) doc.body.setAttribute("data-ready", "true");
  return { save, test };
}
