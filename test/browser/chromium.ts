/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium (or SOFTKEY_CHROMIUM) through
 * playwright-core; nothing is downloaded. Without it the tests skip with a clear message, except
 * under CI=true, where launching fails the test.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../helpers/paths.js';

export const CHROMIUM = process.env.SOFTKEY_CHROMIUM ?? '/usr/bin/chromium';

/** false, or why the browser tests are skipped. */
export const SKIP: false | string =
  existsSync(CHROMIUM) || process.env.CI === 'true'
    ? false
    : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SOFTKEY_CHROMIUM); browser tests skipped`;

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: under CI=true the browser tests are required (apt-get install chromium)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** test-artifacts/<name>, the folder created. */
export function artifact(name: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** A loopback page server: GET / answers `html`; origin http://localhost:PORT. */
export async function pageServer(
  html = '<!doctype html><title>blank</title><p>blank</p>',
): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * tsx (esbuild keepNames) wraps named functions in __name(…); functions passed to page.evaluate
 * carry those calls into the page. Defining it there as the identity keeps such tests runnable
 * from source.
 */
export const KEEP_NAMES_SHIM = 'globalThis.__name = (f) => f;';
