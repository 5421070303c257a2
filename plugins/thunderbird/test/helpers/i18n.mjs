// A getMessage() that follows the WebExtension rules closely enough for tests:
// named $PLACEHOLDER$s resolve through "placeholders" to $1..$9 substitutions.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const PLUGIN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export function loadLocale(locale) {
  const file = path.join(PLUGIN_DIR, "_locales", locale, "messages.json");
  return JSON.parse(readFileSync(file, "utf8"));
}

export function makeI18n(locale = "en") {
  const messages = loadLocale(locale);
  const used = [];
  return {
    used,
    getUILanguage: () => locale,
    getMessage(key, substitutions) {
      used.push(key);
      const entry = messages[key];
      if (!entry) return "";
      const subs = substitutions === undefined ? [] : Array.isArray(substitutions) ? substitutions : [substitutions];
      const positional = (s) => s.replace(/\$(\d)/g, (_, n) => (subs[Number(n) - 1] ?? ""));
      return entry.message
        .replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name) => {
          const ph = entry.placeholders && entry.placeholders[name.toLowerCase()];
          return ph ? positional(ph.content) : whole;
        })
        .replace(/\$\$/g, "$");
    },
  };
}
