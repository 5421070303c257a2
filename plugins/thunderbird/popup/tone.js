// compose_action popup entry point (ES module). Logic in lib/popups.js.
import { initTonePopup } from "../lib/popups.js";

initTonePopup({
  document,
  messenger: globalThis.messenger || globalThis.browser,
  fetch: (...args) => globalThis.fetch(...args),
});
