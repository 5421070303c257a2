// Options page entry point (ES module). Logic in lib/options-page.js.
import { initOptions } from "../lib/options-page.js";

initOptions({
  document,
  messenger: globalThis.messenger || globalThis.browser,
  fetch: (...args) => globalThis.fetch(...args),
});
