// softkey/testing under Vitest (jsdom): the page's @simplewebauthn/browser code against an in-memory softkey key.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installSoftkey, type SoftkeyTesting } from 'softkey/testing';
import { signIn, signUp } from './page.js';
import { relyingParty } from './rp.js';

let softkey: SoftkeyTesting;
beforeEach(async () => {
  softkey = await installSoftkey(); // the document's origin: https://example.com (vitest.config.ts)
});
afterEach(() => softkey.uninstall());

describe('passkeys with softkey/testing', () => {
  it('signs up and signs in; the server verifies both', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    const registration = await signUp(rp, 'ada');
    expect(registration.verified).toBe(true);
    expect(registration.registrationInfo?.fmt).toBe('packed');
    expect(await softkey.control.credentials()).toMatchObject([{ rpId: 'example.com', userName: 'ada' }]);
    const authentication = await signIn(rp);
    expect(authentication.verified).toBe(true);
    expect(authentication.authenticationInfo.newCounter).toBeGreaterThan(0);
  });

  it('signs in with a passkey registered before the test', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    const passkey = await softkey.addPasskey({ rpId: 'example.com', userName: 'grace' });
    rp.credentials.set(passkey.credentialId, {
      id: passkey.credentialId,
      publicKey: Buffer.from(passkey.publicKey, 'base64url'),
      counter: passkey.signCount,
    });
    const result = await signIn(rp);
    expect(result.verified).toBe(true);
    expect(softkey.calls.map((c) => c.type)).toEqual(['get']);
  });

  it('rejects the next call with the DOMException asked for', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    softkey.failNext('NotAllowedError');
    await expect(signUp(rp, 'ada')).rejects.toMatchObject({ name: 'NotAllowedError' });
    softkey.failNext('AbortError', { type: 'get' });
    expect((await signUp(rp, 'ada')).verified).toBe(true); // a create: not the one armed
    await expect(signIn(rp)).rejects.toMatchObject({ name: 'AbortError' });
    expect((await signIn(rp)).verified).toBe(true);
  });

  it('refuses a second registration of the same user (excludeCredentials → InvalidStateError)', async () => {
    const rp = relyingParty('example.com', 'https://example.com');
    await signUp(rp, 'ada');
    await expect(signUp(rp, 'ada')).rejects.toMatchObject({ name: 'InvalidStateError' });
  });

  it('gives the page real WebAuthn objects', async () => {
    const json = await relyingParty('example.com', 'https://example.com').registrationOptions('ada');
    const options = PublicKeyCredential.parseCreationOptionsFromJSON(json as PublicKeyCredentialCreationOptionsJSON);
    const publicKey = { ...options, extensions: { credProps: true } };
    const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
    expect(credential).toBeInstanceOf(PublicKeyCredential);
    expect(credential.response).toBeInstanceOf(AuthenticatorAttestationResponse);
    expect(credential.getClientExtensionResults()).toEqual({ credProps: { rk: true } });
    expect(credential.toJSON()).toMatchObject({ id: credential.id, type: 'public-key' });
    expect(JSON.parse(new TextDecoder().decode(credential.response.clientDataJSON)).origin).toBe('https://example.com');
    expect(await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()).toBe(false);
    expect(await PublicKeyCredential.getClientCapabilities()).toMatchObject({ 'extension:prf': true });
  });
});

describe('an origin of your choosing', () => {
  it('is the origin softkey reports and checks the rpId against', async () => {
    await softkey.uninstall();
    softkey = await installSoftkey({ origin: 'https://login.example.org' });
    const rp = relyingParty('example.org', 'https://login.example.org');
    expect((await signUp(rp, 'ada')).verified).toBe(true);
    await expect(signUp(relyingParty('example.com', 'https://example.com'), 'bob')).rejects.toMatchObject({
      name: 'SecurityError',
    });
  });
});
