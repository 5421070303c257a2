import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PLUGIN_DIR, loadLocale } from "./helpers/i18n.mjs";

const manifestText = readFileSync(path.join(PLUGIN_DIR, "manifest.json"), "utf8");
const EXCLUDED_DIRS = new Set(["test", "node_modules", ".git"]);

/** Every file that ships in the XPI (what scripts/build-xpi packs). */
function shippedFiles(dir = PLUGIN_DIR) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".")) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (!EXCLUDED_DIRS.has(name)) out.push(...shippedFiles(full));
    } else if (!/^package(-lock)?\.json$/.test(name)) {
      out.push(full);
    }
  }
  return out;
}

const rel = (f) => path.relative(PLUGIN_DIR, f).split(path.sep).join("/");

test("manifest.json is valid JSON with the required keys", () => {
  const m = JSON.parse(manifestText);
  assert.ok([2, 3].includes(m.manifest_version), "manifest_version 2 or 3");
  const gecko = m.browser_specific_settings && m.browser_specific_settings.gecko;
  assert.ok(gecko, "browser_specific_settings.gecko");
  assert.match(gecko.id, /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/);
  assert.ok(parseInt(gecko.strict_min_version, 10) >= 128, "Thunderbird 128 ESR or later");
  assert.match(m.version, /^\d+(\.\d+){0,3}$/);
  assert.equal(m.default_locale, "en");
  assert.ok(m.name && m.description);
  for (const p of ["messagesRead", "messagesModify", "storage", "accountsRead"]) {
    assert.ok(m.permissions.includes(p), `permission ${p}`);
  }
  const hosts = m.manifest_version === 2 ? m.permissions : m.host_permissions;
  assert.ok(hosts.includes("http://127.0.0.1/*"));
  assert.ok(hosts.includes("http://localhost/*"));
  if (m.manifest_version === 2) {
    assert.ok(m.browser_action, "MV2 toolbar button is browser_action");
    assert.equal(m.action, undefined);
    assert.equal(m.host_permissions, undefined);
  }
  assert.ok(m.options_ui && m.options_ui.page);
  assert.ok(m.background && (m.background.page || m.background.scripts));
});

test("every file the manifest, pages and modules reference exists", () => {
  const m = JSON.parse(manifestText);
  const seen = new Set();
  const queue = [];
  const add = (from, ref) => {
    if (!ref || /^[a-z]+:/i.test(ref) || ref.startsWith("#")) return;
    const base = ref.startsWith("/") ? PLUGIN_DIR : path.dirname(from);
    const file = path.normalize(path.join(base, ref.replace(/^\//, "")));
    if (!seen.has(file)) {
      seen.add(file);
      queue.push(file);
    }
  };
  const root = path.join(PLUGIN_DIR, "manifest.json");
  if (m.background.page) add(root, m.background.page);
  for (const s of m.background.scripts || []) add(root, s);
  add(root, m.options_ui.page);
  add(root, m.compose_action.default_popup);
  add(root, m.message_display_action.default_popup);
  const actionKey = m.browser_action || m.action;
  for (const i of [actionKey.default_icon, m.icons].filter(Boolean)) {
    for (const f of typeof i === "string" ? [i] : Object.values(i)) add(root, f);
  }
  assert.ok(existsSync(path.join(PLUGIN_DIR, "_locales", m.default_locale, "messages.json")));

  // Follow HTML src/href, JS imports, and extension files named in code (registered scripts).
  while (queue.length) {
    const file = queue.shift();
    assert.ok(existsSync(file), `missing: ${rel(file)}`);
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".html")) {
      for (const x of text.matchAll(/\b(?:src|href)="([^"]+)"/g)) add(file, x[1]);
    }
    if (file.endsWith(".js")) {
      for (const x of text.matchAll(/\bimport\s[^;]*?from\s+["']([^"']+)["']/g)) add(file, x[1]);
      for (const x of text.matchAll(/["']((?:content|icons|options)\/[\w./-]+\.(?:js|css|html|svg|png))["']/g)) add(file, "/" + x[1]);
    }
  }
  const reached = [...seen].map(rel).sort();
  for (const needed of ["background.html", "background.js", "lib/kizuna.js", "lib/background-core.js", "lib/options-page.js", "content/banner.js", "content/banner.css", "options/options.html", "options/options.js", "options/options.css", "icons/kizuna.svg", "popup/tone.html", "popup/tone.js", "popup/contact.html", "popup/contact.js", "lib/popups.js"]) {
    assert.ok(reached.includes(needed), `${needed} is referenced (reached: ${reached.join(", ")})`);
  }
});

test("every i18n key used in code exists in en and ja; locales agree", () => {
  const en = loadLocale("en");
  const ja = loadLocale("ja");
  const used = new Set();
  for (const file of shippedFiles()) {
    if (!/\.(js|html|json)$/.test(file) || file.includes(`${path.sep}_locales${path.sep}`)) continue;
    const text = readFileSync(file, "utf8");
    for (const x of text.matchAll(/getMessage\(\s*["']([\w@]+)["']/g)) used.add(x[1]);
    for (const x of text.matchAll(/data-i18n="([\w@]+)"/g)) used.add(x[1]);
    for (const x of text.matchAll(/__MSG_([\w@]+)__/g)) used.add(x[1]);
  }
  assert.ok(used.size >= 20, `found ${used.size} keys`);
  for (const key of used) {
    assert.ok(en[key] && en[key].message, `en lacks ${key}`);
    assert.ok(ja[key] && ja[key].message, `ja lacks ${key}`);
  }
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort(), "same keys in en and ja");
  for (const [key, entry] of Object.entries(en)) {
    assert.ok(used.has(key), `unused key ${key}`);
    for (const locale of [en, ja]) {
      const names = [...locale[key].message.matchAll(/\$([\w@]+)\$/g)].map((x) => x[1].toLowerCase());
      for (const n of names) assert.ok(locale[key].placeholders && locale[key].placeholders[n], `${key}: placeholder ${n} undefined`);
    }
    assert.deepEqual(Object.keys(ja[key].placeholders || {}), Object.keys(entry.placeholders || {}), `${key}: placeholders differ`);
  }
});

test("no shipped file is a test or a package file; content script is a classic script", () => {
  const files = shippedFiles().map(rel);
  assert.ok(files.includes("manifest.json"));
  assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("node_modules/") || f.startsWith("package")));
  const banner = readFileSync(path.join(PLUGIN_DIR, "content", "banner.js"), "utf8");
  assert.doesNotMatch(banner, /^\s*(import|export)\s/m, "content scripts cannot be modules");
  assert.doesNotMatch(banner, /innerHTML|insertAdjacentHTML|eval\(/, "banner renders text only");
});
