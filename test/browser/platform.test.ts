/**
 * A passkey provider in Chromium through the page shim: a page with the windows-hello profile's key
 * sees a user-verifying platform authenticator, registers with authenticatorAttachment "platform"
 * and signs in; @simplewebauthn/server verifies both (UV required), and the page gets the
 * attachment, transports and AAGUID a Windows Hello passkey has.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Page } from 'playwright-core';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { attachedChromium, SKIP, type AttachedChromium } from './engines.js';

describe('a platform authenticator (windows-hello) in Chromium', { skip: SKIP }, () => {
  let chromium: AttachedChromium;
  let page: Page;
  let key: SoftKey;
  let site: AttachedChromium['site'];

  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', profile: 'windows-hello' });
    chromium = await attachedChromium(key);
    ({ page, site } = chromium);
  });
  after(async () => {
    await chromium?.close();
    await key?.close();
  });

  it('statics report a user-verifying platform authenticator', async () => {
    const r = await page.evaluate(async () => ({
      uvpa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
      caps: await (
        PublicKeyCredential as unknown as { getClientCapabilities(): Promise<Record<string, boolean>> }
      ).getClientCapabilities(),
    }));
    assert.equal(r.uvpa, true);
    assert.equal(r.caps.userVerifyingPlatformAuthenticator, true);
    assert.equal(r.caps.passkeyPlatformAuthenticator, true);
  });

  it('registers with authenticatorAttachment "platform" and signs in, both verified with UV required', async () => {
    const made = await page.evaluate(async () => {
      const b64u = (b: ArrayBuffer) =>
        btoa(String.fromCharCode(...new Uint8Array(b)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      const cred = (await navigator.credentials.create({
        publicKey: {
          rp: { name: 'WebAuthn Demo', id: 'localhost' },
          user: { id: new Uint8Array([1, 2, 3]), name: 'Fred Porlock', displayName: 'Fred Porlock' },
          challenge,
          pubKeyCredParams: [
            { type: 'public-key', alg: -7 },
            { type: 'public-key', alg: -8 },
            { type: 'public-key', alg: -257 },
          ],
          timeout: 60000,
          authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required' },
          attestation: 'none',
        },
      })) as PublicKeyCredential;
      const res = cred.response as AuthenticatorAttestationResponse;
      return {
        challenge: b64u(challenge.buffer),
        attachment: cred.authenticatorAttachment,
        transports: res.getTransports(),
        idLength: cred.rawId.byteLength,
        json: cred.toJSON(),
      };
    });
    assert.equal(made.attachment, 'platform');
    assert.deepEqual(made.transports, ['internal']);
    assert.equal(made.idLength, 32);
    const reg = await verifyRegistrationResponse({
      response: made.json as never,
      expectedChallenge: made.challenge,
      expectedOrigin: site.origin,
      expectedRPID: 'localhost',
      requireUserVerification: true,
    });
    assert.equal(reg.verified, true);
    assert.equal(reg.registrationInfo.aaguid, '08987058-cadc-4b81-b6e1-30de50dcbe96');
    assert.equal(reg.registrationInfo.credentialDeviceType, 'singleDevice');

    const got = await page.evaluate(async () => {
      const b64u = (b: ArrayBuffer) =>
        btoa(String.fromCharCode(...new Uint8Array(b)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      const cred = (await navigator.credentials.get({
        publicKey: { challenge, rpId: 'localhost', userVerification: 'preferred' },
      })) as PublicKeyCredential;
      return { challenge: b64u(challenge.buffer), attachment: cred.authenticatorAttachment, json: cred.toJSON() };
    });
    assert.equal(got.attachment, 'platform');
    const auth = await verifyAuthenticationResponse({
      response: got.json as never,
      expectedChallenge: got.challenge,
      expectedOrigin: site.origin,
      expectedRPID: 'localhost',
      credential: reg.registrationInfo.credential,
      requireUserVerification: true,
    });
    assert.equal(auth.verified, true);
  });

  it('a page asking for a security key ("cross-platform") gets NotAllowedError after its timeout', async () => {
    const name = await page.evaluate(async () => {
      try {
        await navigator.credentials.create({
          publicKey: {
            rp: { name: 'x', id: 'localhost' },
            user: { id: new Uint8Array([4]), name: 'a', displayName: 'A' },
            challenge: new Uint8Array(32),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            timeout: 500,
            authenticatorSelection: { authenticatorAttachment: 'cross-platform' },
          },
        });
        return 'created';
      } catch (e) {
        return (e as DOMException).name;
      }
    });
    assert.equal(name, 'NotAllowedError');
  });
});
