/** Kept for older imports: the browser tests' helper is engines.ts. */
export { artifact, CHROMIUM, KEEP_NAMES_SHIM, launchChromium, pageServer, SKIP } from './engines.js';
