/**
 * An unchanged Selenium test (selenium-webdriver, as its documentation writes one) run through
 * `softkey webdriver` in front of chromedriver and of WebKitWebDriver: addVirtualAuthenticator,
 * a credential created by a plain page (no softkey script in it), getCredentials, removeCredential.
 * The credential is softkey's: its AAGUID and its packed attestation, verified by
 * @simplewebauthn/server, and the private key getCredentials returns is the one that signed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { VirtualAuthenticatorOptions } from 'selenium-webdriver/lib/virtual_authenticator.js';
import { SOFTKEY_AAGUID } from '../../src/authenticator/config.js';
import { startWebDriver } from '../../src/main/webdriver.js';
import type { WebDriverIntermediary } from '../../src/bridge/webdriverIntermediary.js';
import { pageServer } from '../browser/chromium.js';
import { CAPABILITIES, skip, startUpstream, UPSTREAMS } from './upstreams.js';
import { CREATE_SCRIPT, uuid } from './pageScripts.js';

/** selenium-webdriver's virtual-authenticator methods (4.x; @types/selenium-webdriver does not list them yet). */
interface SeleniumCredential {
  id(): Uint8Array;
  rpId(): string;
  isResidentCredential(): boolean;
  userHandle(): Uint8Array | null;
  privateKey(): string;
  signCount(): number;
}
type VirtualAuthenticatorDriver = WebDriver & {
  addVirtualAuthenticator(options: VirtualAuthenticatorOptions): Promise<void>;
  virtualAuthenticatorId(): string;
  getCredentials(): Promise<SeleniumCredential[]>;
  removeCredential(id: string): Promise<void>;
  removeVirtualAuthenticator(): Promise<void>;
};

type Created = { ok: boolean; json: { id: string }; challenge: string; e?: string };

for (const engine of UPSTREAMS) {
  describe(`Selenium through softkey webdriver, ${engine}`, { skip: skip(engine) }, () => {
    let site: Awaited<ReturnType<typeof pageServer>>;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let intermediary: WebDriverIntermediary;
    let driver: VirtualAuthenticatorDriver;

    before(async () => {
      site = await pageServer();
      upstream = await startUpstream(engine);
      intermediary = await startWebDriver({ upstream: upstream.url });
      driver = (await new Builder()
        .usingServer(intermediary.url)
        .withCapabilities(CAPABILITIES[engine])
        .build()) as VirtualAuthenticatorDriver;
      await driver.manage().setTimeouts({ script: 30_000 });
    });

    after(async () => {
      await driver?.quit().catch(() => undefined);
      await intermediary?.close();
      await upstream?.stop();
      await site?.close();
    });

    it('addVirtualAuthenticator, create() from a plain page, getCredentials, removeCredential', async () => {
      const options = new VirtualAuthenticatorOptions();
      options.setHasResidentKey(true);
      await driver.addVirtualAuthenticator(options);
      assert.match(driver.virtualAuthenticatorId(), /^softkey-/);

      await driver.get(`${site.origin}/`);
      const r = (await driver.executeAsyncScript(CREATE_SCRIPT)) as Created;
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
      assert.equal(v.registrationInfo!.fmt, 'packed', "softkey's packed attestation");

      const credentials = await driver.getCredentials();
      assert.equal(credentials.length, 1);
      const c = credentials[0]!;
      assert.equal(Buffer.from(c.id()).toString('base64url'), r.json.id);
      assert.equal(c.rpId(), 'localhost');
      assert.equal(c.isResidentCredential(), true);
      assert.equal(Buffer.from(c.userHandle()!).toString('base64url'), 'dXNlci0x');
      assert.equal(c.signCount(), 0);
      assert.ok(c.privateKey().length > 32, 'the private key (PKCS#8) comes back');

      await driver.removeCredential(Buffer.from(c.id()).toString('base64url'));
      assert.deepEqual(await driver.getCredentials(), []);
      await driver.removeVirtualAuthenticator();
    });

    it('a second window gets softkey too: create() there is served by the virtual authenticator', async () => {
      await driver.addVirtualAuthenticator(new VirtualAuthenticatorOptions()); // no resident keys
      const first = await driver.getWindowHandle();
      await driver.switchTo().newWindow('tab');
      await driver.get(`${site.origin}/second`);
      const script = CREATE_SCRIPT.replace("residentKey: 'required'", "residentKey: 'discouraged'");
      const r = (await driver.executeAsyncScript(script)) as Created;
      assert.equal(r.ok, true, r.e);
      const credentials = await driver.getCredentials();
      assert.deepEqual(
        credentials.map((c) => Buffer.from(c.id()).toString('base64url')),
        [r.json.id],
      );
      assert.equal(credentials[0]!.isResidentCredential(), false);
      await driver.close();
      await driver.switchTo().window(first);
      await driver.removeVirtualAuthenticator();
    });
  });
}
