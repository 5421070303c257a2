// Kizuna dashboard: preview a draft with its warnings, edit that contact's
// standing reason, and set a contact to "never" (issue 15). Self-contained:
// it adds its own buttons to each contact card and calls the local API
// (POST /api/drafts with dry_run, POST /api/contacts/<email>).
"use strict";

(function () {
  const node = document.getElementById("kizuna-strings");
  const strings = node ? JSON.parse(node.textContent || "{}") : {};
  const t = (key) => strings["js." + key] || key;

  async function call(method, path, body) {
    try {
      const response = await fetch(path, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, doc: await response.json().catch(() => ({})) };
    } catch (err) {
      return { status: 0, doc: { error: t("network") } };
    }
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function preview(card) {
    const email = card.dataset.email;
    const box = card.querySelector(".preview");
    const contact = await call("GET", "/api/contacts/" + encodeURIComponent(email));
    const made = await call("POST", "/api/drafts", { email, dry_run: true });
    box.replaceChildren();
    box.hidden = false;
    if (made.status !== 200) {
      box.append(el("p", { class: "warn" }, made.doc.reason || made.doc.error || "HTTP " + made.status));
      return;
    }
    box.append(el("p", { class: "subject" }, made.doc.subject));
    box.append(el("pre", { class: "body", lang: made.doc.language }, made.doc.body));
    const warnings = made.doc.warnings || [];
    box.append(el("p", {}, warnings.length ? t("preview.warnings") : t("preview.none")));
    if (warnings.length) {
      const list = el("ul", { class: "warnings" });
      for (const w of warnings) list.append(el("li", {}, w));
      box.append(list);
    }
    const id = "reason-" + email.replace(/[^a-z0-9]/gi, "-");
    box.append(el("label", { for: id }, t("preview.reason")));
    const area = el("textarea", { id, rows: "3" });
    area.value = (contact.doc && contact.doc.reason) || "";
    box.append(area);
    const again = el("button", { type: "button", class: "secondary" }, t("preview.refresh"));
    again.addEventListener("click", async () => {
      await call("POST", "/api/contacts/" + encodeURIComponent(email), { reason: area.value });
      await preview(card);
    });
    const save = el("button", { type: "button" }, t("preview.save"));
    save.addEventListener("click", async () => {
      save.disabled = true;
      const done = await call("POST", "/api/drafts", { email });
      box.append(el("p", { role: "status" }, done.doc.subject || done.doc.reason || done.doc.error || ""));
    });
    box.append(again, save);
  }

  async function never(card, button) {
    button.disabled = true;
    const done = await call("POST", "/api/contacts/" + encodeURIComponent(card.dataset.email), {
      never: true,
    });
    const out = card.querySelector(".result");
    out.textContent = done.status === 200 ? t("preview.nevered") : done.doc.error || "";
    if (done.status === 200) card.dataset.state = "never";
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const card of document.querySelectorAll("li.card.contact")) {
      const actions = card.querySelector(".preview-actions");
      if (!actions) continue;
      const show = el("button", { type: "button", class: "secondary" }, t("preview.button"));
      show.addEventListener("click", () => preview(card));
      const stop = el("button", { type: "button", class: "secondary" }, t("preview.never"));
      stop.addEventListener("click", () => never(card, stop));
      actions.append(show, stop);
    }
  });
})();
