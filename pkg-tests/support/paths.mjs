// Where the tests find the built package, and how they load its Node build.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The browser build (`wasm-pack build --target web`), served under /pkg/. */
export const PKG_WEB = fileURLToPath(new URL('../../pkg/web/', import.meta.url));
/** The Node build (`wasm-pack build --target nodejs`, CommonJS). */
export const PKG_NODE = fileURLToPath(new URL('../../pkg/node/', import.meta.url));
/** The test pages, served under /. */
export const PAGES = fileURLToPath(new URL('../pages/', import.meta.url));

function need(file) {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: build the package first with bash scripts/build-pkg.sh`);
  }
  return file;
}

/** The Node build's exports ({ Database }), loaded once per process. */
export function loadNode() {
  return createRequire(import.meta.url)(need(`${PKG_NODE}cambium.js`));
}

/** Fails early, with the command to run, when the browser build is absent. */
export function needWeb() {
  need(`${PKG_WEB}cambium.js`);
  need(`${PKG_WEB}cambium_bg.wasm`);
}

/**
 * A tiny linear congruential generator (Numerical Recipes constants), so that "random" delays
 * and sizes repeat exactly for one seed. `next()` is a float in [0, 1).
 */
export function lcg(seed) {
  let state = seed >>> 0;
  return {
    next() {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    },
    int(min, max) {
      return min + Math.floor(this.next() * (max - min + 1));
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` once `ms` milliseconds passed. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
