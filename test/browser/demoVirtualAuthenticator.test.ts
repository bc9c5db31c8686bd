/**
 * The demo relying party with Chromium's own virtual authenticator instead of softkey: proves the
 * demo is a correct RP independently of softkey (same pages, same server, same checks).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createDemoServer, type DemoServer } from '../../src/rp-demo/server.js';
import { launchChromium, SKIP } from './engines.js';
import { login, register } from './demoPage.js';
import { addVirtualAuthenticator } from './virtualAuthenticator.js';

describe('demo RP in Chromium with its virtual authenticator', { skip: SKIP }, () => {
  let browser: Browser;
  let demo: DemoServer;
  before(async () => {
    browser = await launchChromium();
    demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('registers and signs in; the RP verified both and stored a rising counter', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
      const reg = await register(page, demo.url, { username: 'Fred Porlock', shots: 'virtual' });
      assert.ok(reg.ok, reg.error);
      const stored = demo.db.credential(reg.credentialId!);
      assert.ok(stored, 'the RP stored the credential');
      assert.equal(
        await page.textContent('#flags [data-flag=UV]'),
        'UV ✓',
        'the virtual authenticator verifies the user',
      );
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url'), reg.credentialId);

      const o = await login(page, demo.url, { username: 'Fred Porlock', shots: 'virtual' });
      assert.equal(o.state, 'success', o.text);
      assert.match(o.text, /Signed in as Fred Porlock.*user verified/);
      const after1 = demo.db.credential(reg.credentialId!)!;
      assert.equal(after1.loginCount, 1);
      assert.ok(after1.counter > stored.counter, `counter ${stored.counter} → ${after1.counter}`);
    } finally {
      await context.close();
    }
  });
});
