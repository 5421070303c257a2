// Test-only window actor: lets the Python harness read and drive a remote page
// (the add-on's options page and popups, the Kizuna page's tab) from Marionette's
// chrome context. Registered by tests/support/thunderbird.py; never shipped.
// Commands: {op: "state"} | {op: "text", selector} | {op: "fill", selector, value}
//           | {op: "click", selector}
export class KizunaTestChild extends JSWindowActorChild {
  receiveMessage({ name, data }) {
    if (name !== "run") return null;
    const doc = this.document;
    const one = (selector) => {
      const node = doc.querySelector(selector);
      if (!node) throw new Error(`no element matches ${selector} in ${doc.location.href}`);
      return node;
    };
    switch (data.op) {
      case "state":
        return { url: String(doc.location.href), ready: doc.readyState, lang: doc.documentElement.lang || "" };
      case "text": {
        const node = doc.querySelector(data.selector);
        if (!node) return null;
        return data.prop ? node[data.prop] : node.textContent;
      }
      case "texts":
        return Array.from(doc.querySelectorAll(data.selector), (n) => n.textContent);
      case "fill": {
        const node = one(data.selector);
        node.focus();
        node.value = data.value;
        node.dispatchEvent(new this.contentWindow.Event("input", { bubbles: true }));
        node.dispatchEvent(new this.contentWindow.Event("change", { bubbles: true }));
        return true;
      }
      case "click":
        one(data.selector).click();
        return true;
      default:
        throw new Error(`unknown op ${data.op}`);
    }
  }
}
