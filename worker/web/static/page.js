// Kizuna dashboard: the Draft, Done, Dismiss and Snooze buttons, and the gift choice.
// The page is rendered by the server; this only calls the local API (same
// origin, session cookie) and shows each result inline, in the item's
// role="status" region so screen readers announce it.
"use strict";

(function () {
  const SNOOZE_DAYS = 7;
  const stringsNode = document.getElementById("kizuna-strings");
  const strings = stringsNode ? JSON.parse(stringsNode.textContent || "{}") : {};

  function t(key, values) {
    let text = strings["js." + key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function localDate(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso || "");
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return { kind: "network" };
    }
    let doc = null;
    try {
      doc = await response.json();
    } catch (err) {
      doc = null;
    }
    return { kind: "http", status: response.status, doc: doc || {} };
  }

  function show(item, text, tone) {
    const out = item.querySelector(".result");
    out.className = "result " + tone;
    out.textContent = text;
  }

  function failure(result) {
    if (result.kind === "network") return t("network");
    if (result.status === 401 || result.status === 403) return t("unauthorized");
    return t("error", { error: result.doc.error || "HTTP " + result.status });
  }

  async function draft(item, button) {
    const result = await post("/api/drafts", { email: item.dataset.email });
    if (result.kind === "http" && result.status === 200 && result.doc.status === "drafted") {
      item.dataset.state = "drafted";
      show(item, t("drafted", { subject: result.doc.draft.subject }), "ok");
      return; // the button stays disabled: a second draft would be refused anyway
    }
    if (result.kind === "http" && result.status === 409) {
      const code = result.doc.code || "other";
      item.dataset.state = code === "pending" ? "pending" : "skipped";
      const key = strings["js.skipped." + code] ? "skipped." + code : "skipped.other";
      show(item, t(key, { reason: result.doc.reason || "" }), "warn");
      return;
    }
    show(item, failure(result), "error");
    button.disabled = false;
  }

  async function remind(item, action) {
    const body = action === "snooze" ? { snooze_days: SNOOZE_DAYS } : { status: action };
    const result = await post("/api/reminders/" + encodeURIComponent(item.dataset.reminderId), body);
    if (result.kind === "http" && result.status === 200) {
      const reminder = result.doc;
      item.dataset.state = action === "snooze" ? "snoozed" : reminder.status;
      const text =
        action === "snooze" ? t("snoozed", { date: localDate(reminder.due) }) : t(reminder.status);
      show(item, text, "ok");
      for (const b of item.querySelectorAll("button[data-action]")) b.disabled = true;
      return true;
    }
    show(item, failure(result), "error");
    return false;
  }

  // Gift reminders: what did they do for you? The suggestion follows the favour.
  function showGift(item, gift) {
    const box = item.querySelector(".gift");
    if (!box || !gift) return;
    box.querySelector(".gift-note").textContent = gift.note || "";
    const list = box.querySelector(".gift-ideas");
    list.textContent = "";
    for (const idea of gift.ideas || []) {
      const li = document.createElement("li");
      li.textContent = idea;
      list.appendChild(li);
    }
    box.hidden = false;
  }

  document.addEventListener("change", async (event) => {
    const input = event.target.closest("input[data-favour]");
    if (!input || !input.checked) return;
    const item = input.closest("li.card");
    if (!item) return;
    const choices = [...item.querySelectorAll("input[data-favour]")];
    for (const c of choices) c.disabled = true;
    item.setAttribute("aria-busy", "true");
    show(item, t("working"), "");
    try {
      const result = await post("/api/reminders/" + encodeURIComponent(item.dataset.reminderId), {
        favour: input.dataset.favour,
        language: document.documentElement.lang,
      });
      if (result.kind === "http" && result.status === 200 && result.doc.gift) {
        showGift(item, result.doc.gift);
        show(item, t("favour-saved", { label: result.doc.gift.label }), "ok");
      } else {
        show(item, failure(result), "error");
      }
    } finally {
      for (const c of choices) c.disabled = false;
      item.removeAttribute("aria-busy");
    }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    const item = button.closest("li.card");
    if (!item) return;
    const action = button.dataset.action;
    const group = action === "draft" ? [button] : [...item.querySelectorAll("button[data-action]")];
    for (const b of group) b.disabled = true;
    item.setAttribute("aria-busy", "true");
    show(item, t("working"), "");
    try {
      if (action === "draft") {
        await draft(item, button);
      } else if (!(await remind(item, action))) {
        for (const b of group) b.disabled = false;
      }
    } finally {
      item.removeAttribute("aria-busy");
    }
  });
})();
