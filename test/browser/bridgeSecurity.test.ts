/**
 * Bridge security seen from Chromium: a page on an origin the bridge does not allow, or carrying a
 * wrong or no token, cannot reach the key (NotAllowedError in the page, no presence prompt on the
 * device); the allowed origin with the token can.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { pageShimScript } from '../../src/bridge/pageShim.js';
import { startBridgeServer, type BridgeServer } from '../../src/bridge/server.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { ScriptedPresence } from '../helpers/env.js';
import { artifact, launchChromium, pageServer, SKIP } from './engines.js';

const TOKEN = 'browser-test-token-0123456789';

/** In the page: navigator.credentials.create for rp "localhost"; "ok" or the error's name. */
const CREATE = async () => {
  try {
    await navigator.credentials.create({
      publicKey: {
        rp: { name: 'Demo', id: 'localhost' },
        user: { id: new Uint8Array([1, 2, 3]), name: 'mallory', displayName: 'Mallory' },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
    });
    return 'ok';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
};

describe('bridge security in Chromium', { skip: SKIP }, () => {
  let browser: Browser;
  let key: SoftKey;
  let bridge: BridgeServer;
  const presence = new ScriptedPresence();
  let allowed: Awaited<ReturnType<typeof pageServer>>;
  let foreign: Awaited<ReturnType<typeof pageServer>>;

  before(async () => {
    browser = await launchChromium();
    key = await openSoftKey({ dataDir: ':memory:', presence });
    allowed = await pageServer();
    foreign = await pageServer('<!doctype html><title>foreign</title><p>a page the bridge does not allow</p>');
    bridge = await startBridgeServer({
      client: new WebAuthnClient(key),
      token: TOKEN,
      port: 0,
      allowedOrigins: [allowed.origin],
    });
  });
  after(async () => {
    await browser?.close();
    await bridge?.close();
    await key?.close();
    await allowed?.close();
    await foreign?.close();
  });

  async function attempt(origin: string, script: string, shot: string): Promise<string> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.addInitScript({ content: script });
      await page.goto(origin);
      const result = await page.evaluate(CREATE);
      await page.evaluate(
        (r) => document.body.insertAdjacentHTML('beforeend', `<pre id="result">${r.replace(/</g, '&lt;')}</pre>`),
        result,
      );
      await page.screenshot({ path: artifact(`bridge-security-${shot}.png`) });
      return result;
    } finally {
      await context.close();
    }
  }

  it('the allowed origin with the token reaches the key', async () => {
    const before = presence.requests.length;
    assert.equal(await attempt(allowed.origin, bridge.shimScript(), 'allowed'), 'ok');
    assert.equal(presence.requests.length, before + 1);
  });

  it('another origin is refused even with the token', async () => {
    const before = presence.requests.length;
    assert.match(await attempt(foreign.origin, bridge.shimScript(), 'foreign-origin'), /^NotAllowedError: .*refused/);
    assert.equal(presence.requests.length, before, 'nothing reached the device');
  });

  it('a wrong or missing token is refused', async () => {
    const before = presence.requests.length;
    const base = `ws://127.0.0.1:${bridge.port}/`;
    assert.match(
      await attempt(
        allowed.origin,
        pageShimScript({ kind: 'ws', url: `${base}?token=guessed-token-0123456789` }),
        'wrong-token',
      ),
      /^NotAllowedError/,
    );
    assert.match(
      await attempt(allowed.origin, pageShimScript({ kind: 'ws', url: base }), 'no-token'),
      /^NotAllowedError/,
    );
    assert.equal(presence.requests.length, before, 'nothing reached the device');
  });
});
