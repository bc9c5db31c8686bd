/**
 * WebAuthn L3 page features in Chromium through the page shim, on the demo relying party run with
 * startDemo: a platform key (icloud-keychain) and a security key at once; the demo's authenticator
 * choice (hints), passkey autofill (conditional mediation, the user's pick made in Node through
 * client.autofill), the passkey upgrade (conditional create) after a security-key sign-in,
 * getClientCapabilities and the signal methods called by the page, and related origins (a page on
 * another origin using an RP ID whose /.well-known/webauthn the demo serves).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { attach } from '../../src/bridge/playwright.js';
import { TESTING_TIMEOUTS } from '../../src/client/ceremony.js';
import type { RelatedOriginsFetch } from '../../src/client/relatedOrigins.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { startDemo, type DemoServer } from '../../src/rp-demo/server.js';
import { KEEP_NAMES_SHIM, launchChromium, SKIP } from './engines.js';

/** A page on another origin, served by Playwright's router (no DNS: *.localhost is a secure context in Chromium). */
const RELATED = 'http://uk-shop.localhost:9';
const UNRELATED = 'http://eu-shop.localhost:9';

describe(
  'WebAuthn L3 in Chromium: autofill, upgrade, hints, signals, capabilities, related origins',
  { skip: SKIP },
  () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let platform: SoftKey;
    let securityKey: SoftKey;
    let client: WebAuthnClient;
    let demo: DemoServer;

    const status = async () => {
      await page.waitForSelector('#status[data-state=success], #status[data-state=error]');
      return page.textContent('#status');
    };

    before(async () => {
      platform = await openSoftKey({ dataDir: ':memory:', profile: 'icloud-keychain' });
      securityKey = await openSoftKey({ dataDir: ':memory:' });
      demo = await startDemo({ port: 0, server: { relatedOrigins: [RELATED] } });
      // https://RP-ID/.well-known/webauthn is the demo's own document.
      const fetcher: RelatedOriginsFetch = (url, init) =>
        fetch(`${demo.origin}${new URL(url).pathname}`, init) as never;
      client = new WebAuthnClient(platform, {
        authenticators: [securityKey],
        timeouts: TESTING_TIMEOUTS,
        relatedOrigins: { fetch: fetcher },
      });
      browser = await launchChromium();
      context = await browser.newContext();
      await context.addInitScript({ content: KEEP_NAMES_SHIM });
      for (const origin of [RELATED, UNRELATED]) {
        await context.route(`${origin}/**`, (route) =>
          route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>shop</title>' }),
        );
      }
      await attach(context, platform, { client });
      page = await context.newPage();
    });
    after(async () => {
      await context?.close();
      await browser?.close();
      await demo?.close();
      await platform?.close();
      await securityKey?.close();
    });

    it('the demo registers on the authenticator the user chose (hints security-key / client-device)', async () => {
      await page.goto(demo.url);
      await page.fill('#username', 'Ann');
      await page.selectOption('#authenticator', 'security-key');
      await page.click('#register');
      await page.waitForURL(/\/credentials\//);
      assert.equal(securityKey.control.credentials().length, 1);
      assert.equal(platform.control.credentials().length, 0);
    });

    it('passkey autofill: the sign-in field offers the passkeys, the user picks one, and the page is signed in', async () => {
      await page.goto(`${demo.url}login`);
      const offer = await client.autofill.whenOffered();
      assert.equal(offer.origin, demo.origin);
      const ann = securityKey.control.credentials()[0]!;
      assert.deepEqual(
        offer.accounts.map((a) => [a.credentialId, a.attachment]),
        [[ann.credentialId, 'cross-platform']],
      );
      client.autofill.choose(ann.credentialId);
      assert.match((await status()) ?? '', /Signed in as Ann/);
      assert.equal(demo.db.credential(ann.credentialId)!.loginCount, 1);
    });

    it('passkey upgrade: after that security-key sign-in, a conditional create saved a passkey on the platform key', async () => {
      await page.waitForSelector('#upgrade[data-state]');
      assert.equal(
        await page.getAttribute('#upgrade', 'data-state'),
        'created',
        (await page.textContent('#upgrade')) ?? '',
      );
      const saved = platform.control.credentials();
      assert.equal(saved.length, 1);
      assert.equal(saved[0]!.userName, 'Ann');
      assert.equal(demo.db.allCredentials().length, 2);
    });

    it('a modal sign-in cancels the autofill; with "this device" it signs in with the platform passkey', async () => {
      await page.goto(`${demo.url}login`);
      await client.autofill.whenOffered();
      await page.selectOption('#authenticator', 'platform');
      await page.click('#login');
      assert.match((await status()) ?? '', /Signed in as Ann/);
      assert.deepEqual(client.autofill.offered(), [], 'the autofill request was aborted');
      const passkey = platform.control.credentials()[0]!;
      assert.equal(demo.db.credential(passkey.credentialId)!.loginCount, 1);
    });

    it('getClientCapabilities and isConditionalMediationAvailable answer from softkey', async () => {
      const r = await page.evaluate(async () => {
        const P = PublicKeyCredential as unknown as {
          getClientCapabilities(): Promise<Record<string, boolean>>;
          isConditionalMediationAvailable(): Promise<boolean>;
        };
        return { caps: await P.getClientCapabilities(), conditional: await P.isConditionalMediationAvailable() };
      });
      assert.deepEqual(r.caps, await client.getClientCapabilities());
      assert.equal(r.conditional, true);
      assert.equal(r.caps.hybridTransport, true);
      assert.equal(r.caps.signalUnknownCredential, true);
    });

    it("the page's signals reach the platform key: rename, then unknown credential deletes it", async () => {
      const cred = platform.control.credentials()[0]!;
      const outcome = await page.evaluate(
        async ({ id, userId }) => {
          const P = PublicKeyCredential as unknown as Record<string, (o: unknown) => Promise<unknown>>;
          const name = async (p: Promise<unknown>) =>
            p.then(
              (v) => `resolved ${String(v)}`,
              (e: DOMException) => e.name,
            );
          return {
            details: await name(
              P.signalCurrentUserDetails!({
                rpId: 'localhost',
                userId,
                name: 'ann@example.com',
                displayName: 'Ann A.',
              }),
            ),
            badId: await name(P.signalUnknownCredential!({ rpId: 'localhost', credentialId: '!!' })),
            foreign: await name(P.signalUnknownCredential!({ rpId: 'example.com', credentialId: id })),
          };
        },
        { id: cred.credentialId, userId: cred.userId },
      );
      assert.deepEqual(outcome, { details: 'resolved undefined', badId: 'TypeError', foreign: 'SecurityError' });
      assert.equal(platform.control.credential(cred.credentialId).userDisplayName, 'Ann A.');
      const gone = await page.evaluate(
        async (id) =>
          String(
            await (PublicKeyCredential as unknown as Record<string, (o: unknown) => Promise<unknown>>)
              .signalUnknownCredential!({ rpId: 'localhost', credentialId: id }),
          ),
        cred.credentialId,
      );
      assert.equal(gone, 'undefined');
      assert.equal(platform.control.credentials().length, 0);
      await page.evaluate(
        async (userId) =>
          (PublicKeyCredential as unknown as Record<string, (o: unknown) => Promise<unknown>>)
            .signalAllAcceptedCredentials!({ rpId: 'localhost', userId, allAcceptedCredentialIds: [] }),
        securityKey.control.credentials()[0]!.userId,
      );
      assert.equal(securityKey.control.credentials().length, 1, 'the security key (no PIN held) is left alone');
    });

    /** create() on the current page with RP ID "shop.localhost": not a registrable suffix of *-shop.localhost. */
    const createOnPage = () =>
      page.evaluate(async () => {
        const challenge = crypto.getRandomValues(new Uint8Array(32));
        const b64u = (b: ArrayBuffer) =>
          btoa(String.fromCharCode(...new Uint8Array(b)))
            .replace(/\+/g, '-')
            .replace(/\//g, '_')
            .replace(/=+$/, '');
        try {
          const cred = (await navigator.credentials.create({
            publicKey: {
              rp: { name: 'Shop', id: 'shop.localhost' },
              user: { id: new Uint8Array([7, 7]), name: 'uk', displayName: 'UK' },
              challenge,
              pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              authenticatorSelection: { authenticatorAttachment: 'platform', residentKey: 'required' },
            },
          })) as PublicKeyCredential;
          return {
            origin: location.origin,
            challenge: b64u(challenge.buffer),
            json: cred.toJSON() as unknown,
            error: '',
          };
        } catch (e) {
          return {
            origin: location.origin,
            challenge: '',
            json: null,
            error: `${(e as DOMException).name}: ${(e as Error).message}`,
          };
        }
      });

    it('related origins: an origin the RP lists in /.well-known/webauthn may use its RP ID, another one gets SecurityError', async () => {
      await page.goto(`${RELATED}/`);
      const ok = await createOnPage();
      assert.equal(ok.origin, RELATED);
      assert.equal(ok.error, '');
      const v = await verifyRegistrationResponse({
        response: ok.json as never,
        expectedChallenge: ok.challenge,
        expectedOrigin: RELATED,
        expectedRPID: 'shop.localhost',
      });
      assert.equal(v.verified, true);

      await page.goto(`${UNRELATED}/`);
      const refused = await createOnPage();
      assert.equal(refused.origin, UNRELATED);
      assert.match(refused.error, /^SecurityError: .*not among the related origins/);
    });
  },
);
