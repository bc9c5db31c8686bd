/**
 * The demo relying party, unchanged (@simplewebauthn/browser in a real headless Chromium), registers
 * and signs in with softkey: through attach(page, key) and through a real `softkey start --demo`
 * process (WebSocket bridge, shim loaded by the page). The RP's verdict is checked in its own
 * database: the credential is stored, and its signature counter rises with each sign-in.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { attach } from '../../src/bridge/playwright.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { createDemoServer } from '../../src/rp-demo/server.js';
import { startSoftkeyProcess } from '../interop/startDevice.js';
import { launchChromium, SKIP } from './engines.js';
import { login, register } from './demoPage.js';

describe('demo RP in Chromium through softkey', { skip: SKIP }, () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'softkey-browser-'));
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attach(page, key): registers (ES256, none) and signs in twice; the RP stored it and the counter rises', async () => {
    const key = await openSoftKey({ dataDir: join(dir, 'key') });
    const demo = await createDemoServer({ port: 0, dbPath: join(dir, 'attach.sqlite') });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await attach(page, key);
      const reg = await register(page, demo.url, { username: 'Fred Porlock', shots: 'bridge-attach' });
      assert.ok(reg.ok, reg.error);
      const stored = demo.db.credential(reg.credentialId!);
      assert.ok(stored, 'the RP stored the credential');
      assert.equal(stored.alg, -7, 'ES256, the first of the offered algorithms');
      assert.equal(stored.fmt, 'none');
      assert.equal(await page.textContent('#flags [data-flag=UP]'), 'UP ✓');
      assert.equal(await page.textContent('#flags [data-flag=AT]'), 'AT ✓');
      assert.match((await page.textContent('#credential-json'))!, /"publicKeyAlgorithm": -7/);

      const first = await login(page, demo.url, { username: 'Fred Porlock' });
      assert.equal(first.state, 'success', first.text);
      assert.match(first.text, /Signed in as Fred Porlock/);
      const c1 = demo.db.credential(reg.credentialId!)!.counter;
      const second = await login(page, demo.url, { username: '', shots: 'bridge-attach' }); // discoverable
      assert.equal(second.state, 'success', second.text);
      const after2 = demo.db.credential(reg.credentialId!)!;
      assert.ok(c1 > stored.counter && after2.counter > c1, `counter ${stored.counter} → ${c1} → ${after2.counter}`);
      assert.equal(after2.loginCount, 2);
    } finally {
      await context.close();
      await demo.close();
      await key.close();
    }
  });

  it('softkey start --demo: the page loads the shim and talks to the WebSocket bridge (direct attestation)', async () => {
    let url = '';
    const device = await startSoftkeyProcess({
      args: ['--no-apdu', '--demo', 'localhost:0', '--bridge', '127.0.0.1:0'],
      readyPattern: /Open http:\/\/localhost:\d+\//,
      onOutput: (line) => {
        const m = /Open (http:\/\/localhost:\d+\/)/.exec(line);
        if (m) url = m[1]!;
      },
    });
    const context = await browser.newContext();
    try {
      assert.match(device.output(), /Browser bridge on ws:\/\/127\.0\.0\.1:\d+ for http:\/\/localhost:\d+/);
      const page = await context.newPage();
      const reg = await register(page, url, { username: 'Ada', attestation: 'direct', shots: 'bridge-start' });
      assert.ok(reg.ok, reg.error);
      assert.equal(
        await page.locator('#attestation th', { hasText: 'fmt' }).locator('xpath=..').locator('td.v').textContent(),
        'packed',
      );
      assert.match((await page.textContent('#attestation'))!, /x5c\[0\]/);
      const o = await login(page, url, { username: 'Ada', shots: 'bridge-start' });
      assert.equal(o.state, 'success', o.text);

      const db = new Database(join(device.dataDir, 'rp-demo.sqlite'), { readonly: true });
      try {
        const row = db
          .prepare('SELECT fmt, alg, counter, login_count FROM credentials WHERE id = ?')
          .get(reg.credentialId) as { fmt: string; alg: number; counter: number; login_count: number };
        assert.deepEqual(
          { fmt: row.fmt, alg: row.alg, logins: row.login_count },
          { fmt: 'packed', alg: -7, logins: 1 },
        );
        assert.ok(row.counter > 0, `counter ${row.counter}`);
      } finally {
        db.close();
      }
    } finally {
      await context.close();
      await device.stop();
    }
  });
});
