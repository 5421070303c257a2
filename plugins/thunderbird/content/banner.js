// Kizuna banner, injected into the message pane by messageDisplayScripts.register
// (see lib/background-core.js). A classic script, not a module. It asks the
// background page whether the displayed message gets a banner; the background
// decides, holds the token and does every API call. This script only renders
// the model it gets back (text only, no HTML) and forwards button clicks.
//
// It talks over one runtime.connect port, not runtime.sendMessage: when the
// user flips to the next message while the background is still asking Kizuna,
// the page unloads with no promise pending (no "Promise rejected after context
// unloaded: Actor 'Conduits' destroyed"), and the disconnect cancels the request.
(function () {
  "use strict";

  var api = globalThis.messenger || globalThis.browser;
  var BANNER_ID = "kizuna-banner";
  var PORT_NAME = "kizuna-banner";

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

  /** The port to the background, with request/answer pairing for the buttons. */
  function connect() {
    var port = api.runtime.connect({ name: PORT_NAME });
    var pending = {};
    var seq = 0;
    var closed = false;
    var onBanner = null;
    port.onMessage.addListener(function (msg) {
      if (!msg) return;
      if (msg.type === "kizuna:banner" && onBanner) onBanner(msg.model || null);
      if (msg.type === "kizuna:result" && pending[msg.seq]) {
        var resolve = pending[msg.seq];
        delete pending[msg.seq];
        resolve(msg);
      }
    });
    port.onDisconnect.addListener(function () {
      closed = true;
      Object.keys(pending).forEach(function (k) {
        pending[k]({ ok: false, error: "Kizuna: disconnected" });
      });
      pending = {};
    });
    if (typeof globalThis.addEventListener === "function") {
      // The message pane shows another message: hang up, which cancels our request.
      globalThis.addEventListener("pagehide", function () {
        if (!closed) port.disconnect();
        closed = true;
      });
    }
    return {
      banner: function () {
        return new Promise(function (resolve) {
          onBanner = resolve;
          port.postMessage({ type: "kizuna:getBanner" });
        });
      },
      send: function (msg) {
        if (closed) return Promise.resolve({ ok: false, error: "Kizuna: disconnected" });
        return new Promise(function (resolve) {
          seq += 1;
          pending[seq] = resolve;
          msg.seq = seq;
          port.postMessage(msg);
        });
      },
    };
  }

  function main() {
    if (!api || !api.runtime || typeof document === "undefined") return Promise.resolve(null);
    if (typeof api.runtime.connect !== "function") return Promise.resolve(null);
    var link;
    try {
      link = connect();
    } catch (err) {
      return Promise.resolve(null);
    }
    return link.banner().then(function (model) {
      if (!model) return null;
      return renderBanner(document, model, link.send);
    });
  }

  main();
})();
