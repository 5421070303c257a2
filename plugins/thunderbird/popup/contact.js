// message_display_action popup entry point (ES module). Logic in lib/popups.js.
import { initContactPopup } from "../lib/popups.js";

initContactPopup({
  document,
  messenger: globalThis.messenger || globalThis.browser,
  fetch: (...args) => globalThis.fetch(...args),
});
