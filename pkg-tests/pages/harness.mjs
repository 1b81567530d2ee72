// Loads the browser build from /pkg/ and hands it to the tests: `window.cambium.Database`, then
// `window.ready = true` (or `window.loadError` with the reason). `window.attempt(fn)` runs an
// async function and answers a structured-clone-friendly outcome, so a test can see an error's
// `code` (page.evaluate would keep only its message). `window.startWorker()` starts the test
// worker (/worker.mjs).
import init, { Database } from '/pkg/cambium.js';

window.attempt = async (fn) => {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, code: error?.code, name: error?.name, message: String(error?.message ?? error) };
  }
};

/**
 * Starts /worker.mjs as a module worker; answers `{ ask(request), terminate() }`, where `ask`
 * posts `request` (`{ name, sql, params, clone }`, see worker.mjs) with an id of its own and
 * resolves to the worker's answer, or rejects when the worker fails or stays silent for 30 s.
 */
window.startWorker = () => {
  const worker = new Worker('/worker.mjs', { type: 'module' });
  let next = 0;
  return {
    ask: (request) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => reject(new Error(`worker: no answer to ${request.sql}`)), 30_000);
        worker.addEventListener('message', function listen({ data }) {
          if (data.id !== id) return;
          worker.removeEventListener('message', listen);
          clearTimeout(timer);
          resolve(data);
        });
        worker.addEventListener('error', (event) => reject(new Error(`worker error: ${event.message}`)));
        worker.postMessage({ ...request, id });
      }),
    terminate: () => worker.terminate(),
  };
};

try {
  await init();
  window.cambium = { Database };
  window.ready = true;
} catch (error) {
  window.loadError = String(error?.stack ?? error);
}
