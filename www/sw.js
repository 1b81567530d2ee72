// The service worker that lets the board load with the network off: it answers the app's files
// and the package from the network when it can (so a new build shows at once) and from its cache
// when it cannot. Requests to the remote are left alone; the database handles being offline.
const CACHE = 'cambium-board-v1';
const SHELL = ['/', '/index.html', '/style.css', '/app.js', '/store.js', '/views.js', '/dom.js', '/pkg/web/cambium.js', '/pkg/web/cambium_bg.wasm'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/remote/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(async () => (await caches.match(event.request, { ignoreSearch: true })) ?? Response.error()),
  );
});
