// softkey/testing under Jest (testEnvironment jsdom, document at https://example.com/): the page's
// @simplewebauthn/browser code against an in-memory softkey key, checked by @simplewebauthn/server.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { installSoftkey } from 'softkey/testing';
import { signIn, signUp } from './page.mjs';
import { relyingParty } from './rp.mjs';

let softkey;
beforeEach(async () => {
  softkey = await installSoftkey();
});
afterEach(() => softkey.uninstall());

describe('passkeys with softkey/testing', () => {
  it('signs up and signs in; the server verifies both', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    const registration = await signUp(rp, 'ada');
    expect(registration.verified).toBe(true);
    expect(registration.registrationInfo.fmt).toBe('packed');
    expect((await signIn(rp)).verified).toBe(true);
  });

  it('signs in with a passkey registered before the test', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    const passkey = await softkey.addPasskey({ rpId: 'example.com', userName: 'grace' });
    const publicKey = Buffer.from(passkey.publicKey, 'base64url'); // COSE, as the RP stored it at registration
    rp.credentials.set(passkey.credentialId, { id: passkey.credentialId, publicKey, counter: 0 });
    expect((await signIn(rp)).verified).toBe(true);
  });

  it.each(['NotAllowedError', 'InvalidStateError', 'AbortError', 'SecurityError', 'NotSupportedError'])(
    'rejects the next call with %s on demand',
    async (name) => {
      softkey.failNext(name);
      await expect(signUp(relyingParty('example.com', 'https://example.com'), 'ada')).rejects.toMatchObject({ name });
      expect(await softkey.control.credentials()).toHaveLength(0);
    },
  );

  it('has the WebAuthn interfaces and statics', async () => {
    expect(typeof PublicKeyCredential).toBe('function');
    expect(await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()).toBe(false);
    const options = PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'A'.repeat(22), rpId: 'example.com' });
    expect(options.challenge.byteLength).toBe(16);
    await expect(navigator.credentials.get({ publicKey: options })).rejects.toMatchObject({ name: 'NotAllowedError' }); // no passkey
  });
});
