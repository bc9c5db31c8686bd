/**
 * softkey/playwright `attach(target, key, { channel: 'websocket' })` in Chromium: the shim reaches a
 * loopback WebSocket bridge of the attach's own instead of page.exposeBinding. The unchanged demo
 * relying party registers and signs in through it (by name and discoverable), a page's create() and
 * get() verify with @simplewebauthn/server, the bridge admits only the origins given, and it closes
 * with the context. softkey/puppeteer, whose only channel is the WebSocket, names what it refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { attach } from '../../src/bridge/playwright.js';
import { attach as attachPuppeteer } from '../../src/bridge/puppeteer.js';
import type { BridgeClient } from '../../src/bridge/session.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { createDemoServer } from '../../src/rp-demo/server.js';
import { launchChromium, pageServer, SKIP } from './engines.js';
import { login, register } from './demoPage.js';
import { verifyCeremony } from './verifyCeremony.js';

/** The client, counting the ceremonies that reach it (so the test knows the bridge carried them). */
function counting(client: BridgeClient): BridgeClient & { creates: number; gets: number } {
  const counted = {
    creates: 0,
    gets: 0,
    create: (o: never, ctx: never) => (counted.creates++, client.create(o, ctx)),
    get: (o: never, ctx: never) => (counted.gets++, client.get(o, ctx)),
  };
  return counted as BridgeClient & { creates: number; gets: number };
}

/** In the page: create a credential, then get it; both toJSON()s, the challenges and the shapes. */
async function ceremony(page: Page) {
  return page.evaluate(async () => {
    const b64u = (b: ArrayBuffer) =>
      btoa(String.fromCharCode(...new Uint8Array(b)))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
    const c1 = crypto.getRandomValues(new Uint8Array(32));
    const made = (await navigator.credentials.create({
      publicKey: {
        rp: { name: 'WS', id: 'localhost' },
        user: { id: new Uint8Array([7, 7]), name: 'ws', displayName: 'WS' },
        challenge: c1,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
    })) as PublicKeyCredential;
    const c2 = crypto.getRandomValues(new Uint8Array(32));
    const got = (await navigator.credentials.get({
      publicKey: { challenge: c2, rpId: 'localhost', allowCredentials: [{ type: 'public-key', id: made.rawId }] },
    })) as PublicKeyCredential;
    return {
      c1: b64u(c1.buffer),
      c2: b64u(c2.buffer),
      made: made.toJSON(),
      got: got.toJSON(),
      isPkc: got instanceof PublicKeyCredential,
      binding: typeof (window as unknown as Record<string, unknown>).__softkeyBridge,
    };
  });
}

/** Whether a WebSocket with this Origin is let in by the bridge at `url`. */
function admits(url: string, origin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => {
      ws.close();
      resolve(true);
    });
    ws.once('error', () => resolve(false));
  });
}

describe("softkey/playwright attach(…, { channel: 'websocket' }) in Chromium", { skip: SKIP }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('the demo RP registers and signs in (by name, then discoverable) over the WebSocket bridge', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    const client = counting(new WebAuthnClient(key));
    const demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
    const context = await browser.newContext();
    try {
      const attached = await attach(context, key, { channel: 'websocket', client });
      assert.match(attached.bridge.url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
      const page = await context.newPage();
      const reg = await register(page, demo.url, { username: 'Ida' });
      assert.ok(reg.ok, reg.error);
      const stored = demo.db.credential(reg.credentialId!);
      assert.ok(stored, 'the RP stored the credential');
      assert.equal(stored.alg, -7);
      const byName = await login(page, demo.url, { username: 'Ida' });
      assert.equal(byName.state, 'success', byName.text);
      assert.match(byName.text, /Signed in as Ida/);
      const discoverable = await login(page, demo.url, { username: '' });
      assert.equal(discoverable.state, 'success', discoverable.text);
      assert.equal(demo.db.credential(reg.credentialId!)!.loginCount, 2);
      // The sign-in page also starts a conditional (autofill) get when it loads.
      assert.equal(client.creates, 1, 'the create reached softkey through the bridge');
      assert.ok(client.gets >= 2, `the gets reached softkey through the bridge (${client.gets})`);
      assert.equal(
        await page.evaluate(() => typeof (window as unknown as Record<string, unknown>).__softkeyBridge),
        'undefined',
        'no Playwright binding in the page',
      );
    } finally {
      await context.close();
      await demo.close();
      await key.close();
    }
  });

  it('attach(page): create() and get() verify with @simplewebauthn/server; only the given origins get in; the bridge closes with the page', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    const site = await pageServer();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const attached = await attach(page, key, { channel: 'websocket', origins: [site.origin] });
      await page.goto(site.origin);
      const r = await ceremony(page);
      assert.equal(r.binding, 'undefined');
      await verifyCeremony(r, site.origin);

      const url = attached.bridge.url;
      assert.equal(await admits(url, site.origin), true, 'the page origin with the token');
      assert.equal(await admits(url, 'http://localhost:1'), false, 'another origin');
      assert.equal(await admits(url.replace(/token=[^&]+/, 'token=wrongwrongwrongwrongwrong'), site.origin), false);
      await page.close();
      // The bridge goes with the page: its port no longer answers.
      let open = true;
      for (let i = 0; i < 50 && open; i++) {
        open = await admits(url, site.origin);
        if (open) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(open, false, 'the bridge closed with the page');
    } finally {
      await context.close();
      await site.close();
      await key.close();
    }
  });
});

describe('attach channels named', () => {
  it('softkey/playwright and softkey/puppeteer refuse a channel they do not have, before touching the target', async () => {
    const key = await openSoftKey({ dataDir: ':memory:' });
    try {
      const target = {} as never;
      await assert.rejects(attach(target, key, { channel: 'carrier-pigeon' as never }), {
        name: 'TypeError',
        message: /unknown softkey channel carrier-pigeon/,
      });
      await assert.rejects(attachPuppeteer(target, key, { channel: 'binding' as never }), {
        name: 'TypeError',
        message: /WebSocket only, not binding/,
      });
    } finally {
      await key.close();
    }
  });
});
