// What every program that drives Chromium here shares, with no dependency of its own so the
// benchmarks can import it too: the system's Chromium (never a downloaded browser), the flags it
// runs headless with, and the content types a static server gives the browser build's files.

export const CHROMIUM = process.env.CAMBIUM_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export { CONTENT_TYPES } from '../../www/static.mjs';
