// Just enough DOM for the banner content script and the options page.
export class FakeElement {
  constructor(tagName, ownerDocument) {
    this.tagName = String(tagName).toUpperCase();
    this.ownerDocument = ownerDocument;
    this.children = [];
    this.parentNode = null;
    this.attributes = {};
    this.listeners = {};
    this.ownText = "";
    this.id = "";
    this.className = "";
    this.disabled = false;
    this.type = "";
    this.value = "";
  }
  get firstChild() {
    return this.children[0] || null;
  }
  get textContent() {
    return this.ownText + this.children.map((c) => c.textContent).join("");
  }
  set textContent(value) {
    for (const c of this.children) c.parentNode = null;
    this.children = [];
    this.ownText = String(value);
  }
  appendChild(child) {
    return this.insertBefore(child, null);
  }
  insertBefore(child, ref) {
    if (child.parentNode) child.remove();
    const i = ref ? this.children.indexOf(ref) : -1;
    if (i < 0) this.children.push(child);
    else this.children.splice(i, 0, child);
    child.parentNode = this;
    return child;
  }
  remove() {
    const p = this.parentNode;
    if (!p) return;
    p.children.splice(p.children.indexOf(this), 1);
    this.parentNode = null;
  }
  setAttribute(name, value) {
    this.attributes[name] = String(value);
    if (name === "id") this.id = String(value);
  }
  getAttribute(name) {
    if (name === "id") return this.id || null;
    return name in this.attributes ? this.attributes[name] : null;
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  dispatchEvent(event) {
    const ev = { target: this, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, ...event };
    const results = (this.listeners[ev.type] || []).map((fn) => fn.call(this, ev));
    ev.results = results;
    return ev;
  }
  click() {
    if (this.disabled) return null;
    return this.dispatchEvent({ type: "click" });
  }
  *walk() {
    for (const c of this.children) {
      yield c;
      yield* c.walk();
    }
  }
  matches(selector) {
    const attr = selector.match(/^\[([\w-]+)\]$/);
    if (attr) return this.getAttribute(attr[1]) !== null;
    const cls = selector.match(/^\.([\w-]+)$/);
    if (cls) return this.className.split(/\s+/).includes(cls[1]);
    return this.tagName === selector.toUpperCase();
  }
  querySelectorAll(selector) {
    return [...this.walk()].filter((n) => n.matches(selector));
  }
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

export class FakeDocument {
  constructor() {
    this.documentElement = new FakeElement("html", this);
    this.head = new FakeElement("head", this);
    this.body = new FakeElement("body", this);
    this.documentElement.appendChild(this.head);
    this.documentElement.appendChild(this.body);
  }
  createElement(tag) {
    return new FakeElement(tag, this);
  }
  getElementById(id) {
    for (const n of this.documentElement.walk()) if (n.id === id) return n;
    return null;
  }
  querySelectorAll(selector) {
    return this.documentElement.querySelectorAll(selector);
  }
  querySelector(selector) {
    return this.documentElement.querySelector(selector);
  }
}

/** Build the options page DOM from options/options.html (ids and data-i18n only). */
export function optionsDocument(html) {
  const doc = new FakeDocument();
  const tagRe = /<(h1|h2|p|form|label|input|button|div|ul|pre|section)\b([^>]*)>/g;
  let m;
  while ((m = tagRe.exec(html))) {
    const el = doc.createElement(m[1]);
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) el.setAttribute(a[1], a[2]);
    if (el.getAttribute("type")) el.type = el.getAttribute("type");
    doc.body.appendChild(el);
  }
  return doc;
}
