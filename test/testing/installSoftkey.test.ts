/**
 * softkey/testing's installSoftkey() in a window of its own (a JSDOM made here, runScripts
 * 'outside-only'): the page shim's objects in that window's realm, failures on demand, the origin,
 * pre-registered passkeys, uninstall, and the clear errors for what it cannot do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { installSoftkey, type SoftkeyTesting } from '../../src/testing/index.js';

const b64u = (b: ArrayBuffer) => Buffer.from(b).toString('base64url');
/** Polls `check` until it holds (at most 200 looks); the caller asserts the final state. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
}
const challenge = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

describe('installSoftkey', () => {
  let dom: JSDOM;
  let w: any; // the JSDOM window, with the shim's WebAuthn interfaces
  let softkey: SoftkeyTesting;
  before(async () => {
    dom = new JSDOM('<!doctype html>', { url: 'https://app.example.com/', runScripts: 'outside-only' });
    w = dom.window;
    softkey = await installSoftkey({ window: w, passkeys: [{ rpId: 'example.com', userName: 'ada' }] });
  });
  after(async () => {
    await softkey?.uninstall();
    dom?.window.close();
  });

  function create(options: object) {
    return w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(options) });
  }

  it('registers from the document origin; @simplewebauthn/server verifies the attestation', async () => {
    const c = challenge();
    const credential = await create({
      challenge: c,
      rp: { id: 'example.com', name: 'Example' },
      user: { id: 'dXNlcg', name: 'grace', displayName: 'Grace' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      attestation: 'direct',
    });
    assert.ok(credential instanceof w.PublicKeyCredential);
    assert.ok(credential.response instanceof w.AuthenticatorAttestationResponse);
    assert.ok(credential.rawId instanceof w.ArrayBuffer, 'buffers belong to the window realm');
    assert.equal(softkey.origin, 'https://app.example.com');
    const result = await verifyRegistrationResponse({
      response: credential.toJSON(),
      expectedChallenge: c,
      expectedOrigin: 'https://app.example.com',
      expectedRPID: 'example.com',
      requireUserVerification: false,
    });
    assert.equal(result.verified, true);
    assert.equal(result.registrationInfo.fmt, 'packed');
    assert.deepEqual(
      softkey.calls.map((x) => [x.type, x.origin]),
      [['create', 'https://app.example.com']],
    );
  });

  it('signs in with the passkey given at install time', async () => {
    const [ada] = softkey.preRegistered;
    const c = challenge();
    const allowCredentials = [{ type: 'public-key', id: ada!.credentialId }];
    const assertion = await w.navigator.credentials.get({
      publicKey: w.PublicKeyCredential.parseRequestOptionsFromJSON({
        challenge: c,
        rpId: 'example.com',
        allowCredentials,
      }),
    });
    assert.equal(assertion.id, ada!.credentialId);
    assert.equal(b64u(assertion.response.userHandle), ada!.userId);
    const result = await verifyAuthenticationResponse({
      response: assertion.toJSON(),
      expectedChallenge: c,
      expectedOrigin: 'https://app.example.com',
      expectedRPID: 'example.com',
      credential: {
        id: ada!.credentialId,
        publicKey: Buffer.from(ada!.publicKey, 'base64url'),
        counter: ada!.signCount,
      },
      requireUserVerification: false,
    });
    assert.equal(result.verified, true);
  });

  it('fails the next call of the type asked, with a DOMException of the window', async () => {
    softkey.failNext('InvalidStateError', { type: 'get', message: 'armed' });
    const get = w.navigator.credentials.get({ publicKey: { challenge: new w.Uint8Array(16), rpId: 'example.com' } });
    await assert.rejects(
      get,
      (e: any) => e instanceof w.DOMException && e.name === 'InvalidStateError' && e.message === 'armed',
    );
    assert.throws(() => softkey.failNext('NopeError' as never), /not one of NotAllowedError/);
  });

  it('answers through the control API (presence denied → NotAllowedError)', async () => {
    await softkey.control.setPresence({ mode: 'deny' });
    const get = w.navigator.credentials.get({ publicKey: { challenge: new w.Uint8Array(16), rpId: 'example.com' } });
    await assert.rejects(get, (e: any) => e.name === 'NotAllowedError');
    assert.equal((await softkey.control.presence()).mode, 'deny');
    await softkey.control.setPresence({ mode: 'auto' });
    await assert.rejects(softkey.control.setPresence({ mode: 'sometimes' } as never), /mode/);
  });

  it('carries an AbortSignal to the key: the waiting prompt goes away, the page gets the reason', async () => {
    await softkey.control.setPresence({ mode: 'panel' });
    const controller = new w.AbortController();
    const publicKey = { challenge: new w.Uint8Array(16), rpId: 'example.com' };
    const settled = w.navigator.credentials.get({ publicKey, signal: controller.signal }).then(
      () => 'resolved',
      (e: any) => e,
    );
    await until(async () => (await softkey.control.prompts()).length > 0);
    assert.equal((await softkey.control.prompts()).length, 1, 'the key asks for a touch');
    controller.abort(new w.DOMException('the user left', 'AbortError'));
    const reason = await settled;
    assert.equal(reason.name, 'AbortError');
    assert.equal(reason.message, 'the user left');
    await until(async () => (await softkey.control.prompts()).length === 0);
    assert.deepEqual(await softkey.control.prompts(), [], 'the prompt was withdrawn');
    await softkey.control.setPresence({ mode: 'auto' });
  });

  it('refuses a second installation, then detaches on uninstall', async () => {
    await assert.rejects(installSoftkey({ window: w }), /already installed/);
    await softkey.uninstall();
    const get = w.navigator.credentials.get({ publicKey: { challenge: new w.Uint8Array(16), rpId: 'example.com' } });
    await assert.rejects(get, (e: any) => e.name === 'NotAllowedError' && /uninstalled/.test(e.message));
    softkey = await installSoftkey({ window: w, origin: 'https://example.com:8443' });
    assert.equal(softkey.origin, 'https://example.com:8443');
    assert.deepEqual(await softkey.control.credentials(), [], 'a new key');
  });
});

describe('installSoftkey refuses what it cannot do', () => {
  it('without a DOM, with a bad origin, or in a window it cannot run a script in', async () => {
    await assert.rejects(installSoftkey(), /needs a DOM environment/);
    const dom = new JSDOM('<!doctype html>', { url: 'https://example.com/' });
    await assert.rejects(installSoftkey({ window: dom.window, origin: 'ftp://example.com' }), /http\(s\) origin/);
    await assert.rejects(installSoftkey({ window: dom.window }), /runScripts: "outside-only"/);
    const insecure = new JSDOM('<!doctype html>', { url: 'http://example.com/', runScripts: 'outside-only' });
    await assert.rejects(installSoftkey({ window: insecure.window }), /secure context/);
  });
});
