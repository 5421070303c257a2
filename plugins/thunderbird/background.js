// Kizuna background page entry point (loaded as an ES module by background.html).
// All the logic lives in lib/background-core.js so that it can be tested from Node.
import { startBackground } from "./lib/background-core.js";

const api = globalThis.messenger || globalThis.browser;

export const kizunaBackground = startBackground({
  messenger: api,
  fetch: (...args) => globalThis.fetch(...args),
});
