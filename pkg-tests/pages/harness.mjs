// Loads the browser build from /pkg/ and hands it to the tests: `window.cambium.Database`, then
// `window.ready = true` (or `window.loadError` with the reason). `window.attempt(fn)` runs an
// async function and answers a structured-clone-friendly outcome, so a test can see an error's
// `code` (page.evaluate would keep only its message).
import init, { Database } from '/pkg/cambium.js';

window.attempt = async (fn) => {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, code: error?.code, name: error?.name, message: String(error?.message ?? error) };
  }
};

try {
  await init();
  window.cambium = { Database };
  window.ready = true;
} catch (error) {
  window.loadError = String(error?.stack ?? error);
}
