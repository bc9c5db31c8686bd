/**
 * Browser benchmark: median navigator.credentials.get latency inside headless Chromium, timed by
 * the page itself (performance.now around each call), for
 *  - browser.get.virtual: Chromium's own virtual authenticator (DevTools WebAuthn domain), the baseline;
 *  - browser.get.softkey.ws: softkey through the page shim and the WebSocket bridge (`softkey start --bridge`);
 *  - browser.get.softkey.attach: softkey through attach(page, key) (Playwright binding).
 * Same run, same page, same options (one allowed credential, userVerification discouraged);
 * ratio = softkey median / virtual median (lower is faster). Skipped with a note without Chromium.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { attach } from '../src/bridge/playwright.js';
import { startBridgeServer } from '../src/bridge/server.js';
import { WebAuthnClient } from '../src/client/webauthnClient.js';
import { openSoftKey } from '../src/main/softkey.js';
import { phase, type BenchResult } from './measure.js';

export type { BenchResult };

const CHROMIUM = process.env.SOFTKEY_CHROMIUM ?? '/usr/bin/chromium';
const GETS = Number(process.env.SOFTKEY_BENCH_BROWSER_GETS ?? 30);

/** In the page: one credential, then `n` timed gets (after 3 untimed); the durations in ms. */
async function timeGets(page: Page, n: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const made = (await navigator.credentials.create({
      publicKey: {
        rp: { name: 'Bench', id: 'localhost' },
        user: { id: new Uint8Array([1]), name: 'bench', displayName: 'Bench' },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { userVerification: 'discouraged' },
      },
    })) as PublicKeyCredential;
    const options = () => ({
      publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        rpId: 'localhost',
        allowCredentials: [{ type: 'public-key' as const, id: made.rawId }],
        userVerification: 'discouraged' as const,
      },
    });
    for (let i = 0; i < 3; i++) await navigator.credentials.get(options());
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await navigator.credentials.get(options());
      times.push(performance.now() - t0);
    }
    return times;
  }, n);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchBrowser(): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM)) {
    console.error(`browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set SOFTKEY_CHROMIUM)`);
    return [];
  }
  phase('browser setup');
  const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>'));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(site.address() as AddressInfo).port}`;
  const key = await openSoftKey({ dataDir: ':memory:' });
  const client = new WebAuthnClient(key);
  const bridge = await startBridgeServer({ client, token: randomBytes(24).toString('base64url'), port: 0, allowedOrigins: [origin] });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const run = async (name: string, setup: (page: Page) => Promise<void>) => {
      phase(name);
      const context = await browser!.newContext();
      // Run from source, tsx's keepNames puts __name(…) calls into timeGets' page function.
      await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
      try {
        const page = await context.newPage();
        await setup(page);
        await page.goto(origin);
        return median(await timeGets(page, GETS)) * 1000;
      } finally {
        await context.close();
      }
    };
    const virtual = await run('browser.get.virtual', async (page) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
    });
    const ws = await run('browser.get.softkey.ws', async (page) => {
      await page.addInitScript({ content: bridge.shimScript() });
    });
    const bound = await run('browser.get.softkey.attach', (page) => attach(page, key, { client }));
    const vs = (name: string, value: number): BenchResult => ({ name, value, unit: 'µs median', baseline: 'browser.get.virtual', ratio: value / virtual });
    return [{ name: 'browser.get.virtual', value: virtual, unit: 'µs median' }, vs('browser.get.softkey.ws', ws), vs('browser.get.softkey.attach', bound)];
  } finally {
    await browser?.close();
    await bridge.close();
    await key.close();
    site.closeAllConnections();
    site.close();
  }
}
