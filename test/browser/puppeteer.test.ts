/**
 * softkey/puppeteer in Chromium (CDP) and Firefox (WebDriver BiDi): attach(browser, key) serves the
 * pages the browser opens afterwards, attach(page, key) one page; create() and get() output verifies
 * with @simplewebauthn/server; the bridge closes with the browser.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { attach } from '../../src/bridge/puppeteer.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { launchPuppeteer, pageServer, skip } from './engines.js';
import { verifyCeremony as verify } from './verifyCeremony.js';

/** In the page: create a discoverable credential, then get it; both toJSON()s and the challenges. */
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
        rp: { name: 'Puppeteer', id: 'localhost' },
        user: { id: new Uint8Array([4, 2]), name: 'pup', displayName: 'Pup' },
        challenge: c1,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'required' },
      },
    })) as PublicKeyCredential;
    const c2 = crypto.getRandomValues(new Uint8Array(32));
    const got = (await navigator.credentials.get({
      publicKey: { challenge: c2, rpId: 'localhost' },
    })) as PublicKeyCredential;
    return {
      c1: b64u(c1.buffer),
      c2: b64u(c2.buffer),
      made: made.toJSON(),
      got: got.toJSON(),
      isPkc: got instanceof PublicKeyCredential,
    };
  });
}

for (const engine of ['chromium', 'firefox'] as const) {
  describe(`softkey/puppeteer in ${engine}`, { skip: skip(engine) }, () => {
    it('attach(page, key) serves that page; attach(browser, key) the pages opened afterwards; the bridge closes with the browser', async () => {
      const key = await openSoftKey({ dataDir: ':memory:' });
      const site = await pageServer();
      let browser: Browser | undefined;
      try {
        browser = await launchPuppeteer(engine);
        const single = await browser.newPage();
        await attach(single, key);
        await single.goto(site.origin);
        await verify(await ceremony(single), site.origin);

        const attachment = await attach(browser, key);
        const page = await browser.newPage();
        await page.goto(site.origin);
        await verify(await ceremony(page), site.origin);

        const bridgeUrl = `http://127.0.0.1:${attachment.bridge.port}/`;
        assert.equal((await fetch(bridgeUrl)).status, 404, 'the bridge answers while the browser runs');
        await browser.close();
        browser = undefined;
        await new Promise((resolve) => setTimeout(resolve, 200));
        await assert.rejects(fetch(bridgeUrl), 'the bridge is closed with the browser');
      } finally {
        await browser?.close();
        await site.close();
        await key.close();
      }
    });
  });
}
