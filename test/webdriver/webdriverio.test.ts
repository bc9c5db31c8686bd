/**
 * The same as selenium.test.ts with WebdriverIO (`remote()` pointed at `softkey webdriver`, so it
 * starts and downloads no driver), in front of chromedriver and of WebKitWebDriver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { remote } from 'webdriverio';
import { SOFTKEY_AAGUID } from '../../src/authenticator/config.js';
import { startWebDriver } from '../../src/main/webdriver.js';
import type { WebDriverIntermediary } from '../../src/bridge/webdriverIntermediary.js';
import { pageServer } from '../browser/chromium.js';
import { CAPABILITIES, skip, startUpstream, UPSTREAMS } from './upstreams.js';
import { CREATE_SCRIPT, uuid } from './pageScripts.js';

for (const engine of UPSTREAMS) {
  describe(`WebdriverIO through softkey webdriver, ${engine}`, { skip: skip(engine) }, () => {
    let site: Awaited<ReturnType<typeof pageServer>>;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let intermediary: WebDriverIntermediary;
    let browser: WebdriverIO.Browser;

    before(async () => {
      site = await pageServer();
      upstream = await startUpstream(engine);
      intermediary = await startWebDriver({ upstream: upstream.url });
      browser = await remote({
        protocol: 'http',
        hostname: intermediary.host,
        port: intermediary.port,
        path: '/',
        logLevel: 'warn',
        // WebKitWebDriver speaks WebDriver classic only: without this WebdriverIO asks for BiDi (webSocketUrl).
        capabilities: {
          ...CAPABILITIES[engine],
          ...(engine === 'webkit' && { 'wdio:enforceWebDriverClassic': true }),
        } as WebdriverIO.Capabilities,
      });
      await browser.setTimeout({ script: 30_000 });
    });

    after(async () => {
      await browser?.deleteSession().catch(() => undefined);
      await intermediary?.close();
      await upstream?.stop();
      await site?.close();
    });

    it('addVirtualAuthenticator, create() from a plain page, getCredentials, removeCredential', async () => {
      const authenticatorId = await browser.addVirtualAuthenticator('ctap2', 'usb', true, false, true, false);
      assert.match(authenticatorId, /^softkey-/);

      await browser.url(`${site.origin}/`);
      const r = (await browser.executeAsync(CREATE_SCRIPT)) as {
        ok: boolean;
        json: { id: string };
        challenge: string;
        e?: string;
      };
      assert.equal(r.ok, true, r.e);
      const v = await verifyRegistrationResponse({
        response: r.json as never,
        expectedChallenge: r.challenge,
        expectedOrigin: site.origin,
        expectedRPID: 'localhost',
        requireUserVerification: false,
      });
      assert.equal(v.verified, true);
      assert.equal(v.registrationInfo!.aaguid, uuid(SOFTKEY_AAGUID), "softkey's AAGUID, not the browser's");
      assert.equal(v.registrationInfo!.fmt, 'packed');

      const credentials = (await browser.getCredentials(authenticatorId)) as unknown as Array<Record<string, unknown>>;
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]!.credentialId, r.json.id);
      assert.equal(credentials[0]!.rpId, 'localhost');
      assert.equal(credentials[0]!.isResidentCredential, true);
      assert.equal(credentials[0]!.userHandle, 'dXNlci0x');

      await browser.removeCredential(authenticatorId, r.json.id);
      assert.deepEqual(await browser.getCredentials(authenticatorId), []);
      await browser.removeVirtualAuthenticator(authenticatorId);
    });
  });
}
