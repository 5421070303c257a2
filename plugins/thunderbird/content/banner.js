// Kizuna banner, injected into the message pane by messageDisplayScripts.register
// (see lib/background-core.js). A classic script, not a module. It asks the
// background page whether the displayed message gets a banner; the background
// decides, holds the token and does every API call. This script only renders
// the model it gets back (text only, no HTML) and forwards button clicks.
(function () {
  "use strict";

  var api = globalThis.messenger || globalThis.browser;
  var BANNER_ID = "kizuna-banner";

  function el(doc, tag, className, text) {
    var node = doc.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function renderBanner(doc, model, send) {
    var old = doc.getElementById(BANNER_ID);
    if (old) old.remove();

    var root = el(doc, "div", "kizuna-banner kizuna-kind-" + model.kind);
    root.id = BANNER_ID;
    root.setAttribute("role", "status");
    root.setAttribute("data-reminder-id", String(model.reminderId));

    var text = el(doc, "div", "kizuna-text");
    text.appendChild(el(doc, "strong", "kizuna-title", model.title));
    if (model.dueText) text.appendChild(el(doc, "span", "kizuna-due", model.dueText));
    root.appendChild(text);

    var buttonBox = el(doc, "div", "kizuna-buttons");
    var buttons = [];
    var status = el(doc, "span", "kizuna-status", "");

    function setBusy(busy) {
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = busy;
    }

    function onClick(action) {
      setBusy(true);
      status.textContent = "";
      return Promise.resolve()
        .then(function () {
          return send({ type: "kizuna:action", action: action, reminderId: model.reminderId });
        })
        .catch(function (err) {
          return { ok: false, error: String((err && err.message) || err) };
        })
        .then(function (res) {
          if (res && res.ok) {
            status.textContent = res.message || "";
            if (res.final) {
              buttonBox.remove();
              root.className += " kizuna-finished";
            } else {
              setBusy(false);
            }
          } else {
            status.textContent = (res && res.error) || "Kizuna: error";
            root.className += " kizuna-error";
            setBusy(false);
          }
          return res;
        });
    }

    (model.buttons || []).forEach(function (b) {
      var button = el(doc, "button", "kizuna-button kizuna-" + b.action, b.label);
      button.type = "button";
      button.setAttribute("data-action", b.action);
      button.addEventListener("click", function () {
        onClick(b.action);
      });
      buttons.push(button);
      buttonBox.appendChild(button);
    });
    root.appendChild(buttonBox);
    root.appendChild(status);

    var parent = doc.body || doc.documentElement;
    parent.insertBefore(root, parent.firstChild);
    return root;
  }

  function main() {
    if (!api || !api.runtime || typeof document === "undefined") return Promise.resolve(null);
    return Promise.resolve()
      .then(function () {
        return api.runtime.sendMessage({ type: "kizuna:getBanner" });
      })
      .catch(function () {
        return null;
      })
      .then(function (model) {
        if (!model) return null;
        return renderBanner(document, model, function (msg) {
          return api.runtime.sendMessage(msg);
        });
      });
  }

  main();
})();
