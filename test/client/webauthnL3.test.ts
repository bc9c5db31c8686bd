/**
 * WebAuthn L3 client features beyond create/get: conditional mediation (passkey autofill) and
 * conditional create (conditionalMediation.ts), the three signal methods (signals.ts),
 * getClientCapabilities (clientCapabilities.ts) and related origin requests (relatedOrigins.ts).
 * Ceremonies are verified by @simplewebauthn/server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { openSoftKey, WebAuthnError, type SoftKey } from '../../src/index.js';
import { CLIENT_CAPABILITY_KEYS } from '../../src/client/clientCapabilities.js';
import { originListed, registrableOriginLabel, type RelatedOriginsFetch } from '../../src/client/relatedOrigins.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import * as b64u from '../../src/encoding/base64url.js';
import { ORIGIN, RP_ID, randomBytes } from './device.js';

const isError = (name: string) => (e: unknown) => e instanceof WebAuthnError && e.name === name;
const challenge = () => b64u.encode(randomBytes(32));

function creation(user: string, patch: Record<string, unknown> = {}) {
  return {
    rp: { id: RP_ID, name: 'L3' },
    user: { id: b64u.encode(randomBytes(16)), name: user, displayName: user.toUpperCase() },
    challenge: challenge(),
    pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    ...patch,
  };
}

async function register(key: SoftKey | WebAuthnClient, user: string, patch: Record<string, unknown> = {}) {
  const client = key instanceof WebAuthnClient ? key : key.client;
  const options = creation(user, patch);
  const r = await client.create(options, { origin: ORIGIN });
  const v = await verifyRegistrationResponse({
    response: r as never,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: false,
  });
  assert.equal(v.verified, true);
  return { response: r, options, credential: v.registrationInfo!.credential };
}

describe('conditional mediation: passkey autofill (L3 §5.1.4, mediation "conditional")', () => {
  let key: SoftKey;
  let alice: Awaited<ReturnType<typeof register>>;
  let bob: Awaited<ReturnType<typeof register>>;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', profile: 'google-password-manager' });
    alice = await register(key, 'alice');
    bob = await register(key, 'bob');
  });
  after(() => key.close());

  it("is available, offers the RP's discoverable credentials, and signs in with the one the user picks", async () => {
    assert.equal(await key.client.isConditionalMediationAvailable(), true);
    const c = challenge();
    const pending = key.client.get(
      { challenge: c, rpId: RP_ID, userVerification: 'preferred' },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    const offer = await key.client.autofill.whenOffered();
    assert.equal(offer.rpId, RP_ID);
    assert.equal(offer.origin, ORIGIN);
    assert.deepEqual(offer.accounts.map((a) => a.credentialId).sort(), [alice.response.id, bob.response.id].sort());
    assert.deepEqual(
      offer.accounts.map((a) => a.userHandle).sort(),
      [alice.options.user.id, bob.options.user.id].sort(),
    );
    assert.ok(offer.accounts.every((a) => a.attachment === 'platform' && a.authenticator === 0));
    key.client.autofill.choose(bob.response.id);
    const a = await pending;
    assert.equal(a.id, bob.response.id);
    assert.equal(a.response.userHandle, bob.options.user.id);
    assert.equal(a.authenticatorAttachment, 'platform');
    const v = await verifyAuthenticationResponse({
      response: a as never,
      expectedChallenge: c,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { id: bob.credential.id, publicKey: bob.credential.publicKey, counter: bob.credential.counter },
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
    assert.deepEqual(key.client.autofill.offered(), []);
  });

  it('allowCredentials narrows the offer', async () => {
    const pending = key.client.get(
      { challenge: challenge(), rpId: RP_ID, allowCredentials: [{ type: 'public-key', id: alice.response.id }] },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    const offer = await key.client.autofill.whenOffered();
    assert.deepEqual(
      offer.accounts.map((a) => a.credentialId),
      [alice.response.id],
    );
    key.client.autofill.choose(alice.response.id);
    assert.equal((await pending).id, alice.response.id);
  });

  it('ignores the RP timeout and waits for the user (L3 §5.1.4: no lifetimeTimer)', async () => {
    const pending = key.client.get(
      { challenge: challenge(), rpId: RP_ID, timeout: 20 },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    await key.client.autofill.whenOffered();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(key.client.autofill.offered().length, 2, 'still offered after the RP timeout');
    key.client.autofill.choose(alice.response.id);
    assert.equal((await pending).id, alice.response.id);
  });

  it("the page's AbortSignal withdraws the offer (AbortError), dismiss() is NotAllowedError", async () => {
    const controller = new AbortController();
    const aborted = key.client.get(
      { challenge: challenge(), rpId: RP_ID },
      { origin: ORIGIN, mediation: 'conditional', signal: controller.signal },
    );
    await key.client.autofill.whenOffered();
    controller.abort(new Error('page aborted'));
    await assert.rejects(aborted, isError('AbortError'));
    assert.deepEqual(key.client.autofill.offered(), []);

    const dismissed = key.client.get(
      { challenge: challenge(), rpId: RP_ID },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    await key.client.autofill.whenOffered();
    key.client.autofill.dismiss();
    await assert.rejects(dismissed, isError('NotAllowedError'));
    assert.throws(() => key.client.autofill.choose(alice.response.id), RangeError);
  });

  it('coexists with a modal request: the modal one completes while the autofill waits', async () => {
    const pending = key.client.get(
      { challenge: challenge(), rpId: RP_ID },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    await key.client.autofill.whenOffered();
    const modal = await key.client.get(
      { challenge: challenge(), rpId: RP_ID, allowCredentials: [{ type: 'public-key', id: alice.response.id }] },
      { origin: ORIGIN },
    );
    assert.equal(modal.id, alice.response.id);
    assert.equal(key.client.autofill.offered().length, 2);
    key.client.autofill.choose(bob.response.id);
    assert.equal((await pending).id, bob.response.id);
  });

  it('the control API answers it too: key.control.autofill(), chooseAccount(), dismiss()', async () => {
    const pending = key.client.get(
      { challenge: challenge(), rpId: RP_ID },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    await key.client.autofill.whenOffered();
    assert.deepEqual(
      key.control
        .autofill()
        .map((a) => a.credentialId)
        .sort(),
      [alice.response.id, bob.response.id].sort(),
    );
    key.control.chooseAccount(alice.response.id);
    assert.equal((await pending).id, alice.response.id);
    const dismissed = key.client.get(
      { challenge: challenge(), rpId: RP_ID },
      { origin: ORIGIN, mediation: 'conditional' },
    );
    await key.client.autofill.whenOffered();
    key.control.dismiss();
    await assert.rejects(dismissed, isError('NotAllowedError'));
  });

  it('an RP with no passkey here: the offer is empty and the request keeps waiting', async () => {
    const controller = new AbortController();
    const pending = key.client.get(
      { challenge: challenge(), rpId: 'other.localhost' },
      { origin: 'http://other.localhost:5173', mediation: 'conditional', signal: controller.signal },
    );
    const offer = await key.client.autofill.whenOffered();
    assert.deepEqual(offer.accounts, []);
    controller.abort();
    await assert.rejects(pending, isError('AbortError'));
  });
});

describe('conditional create: passkey upgrade (L3 §5.1.3, mediation "conditional")', () => {
  it("needs a recent sign-in on the same origin mediated by the client, and the user's consent", async () => {
    const key = await openSoftKey({ dataDir: ':memory:', profile: 'icloud-keychain' });
    try {
      await assert.rejects(
        key.client.create(creation('carol'), { origin: ORIGIN, mediation: 'conditional' }),
        isError('NotAllowedError'),
      );
      // A password the password manager filled counts as a mediated authentication.
      key.client.autofill.recordPasswordSignIn(ORIGIN);
      await assert.rejects(
        key.client.create(creation('carol'), { origin: 'http://other.localhost:5173', mediation: 'conditional' }),
        isError('NotAllowedError'),
      );
      key.client.autofill.consentToConditionalCreate = false;
      await assert.rejects(
        key.client.create(creation('carol'), { origin: ORIGIN, mediation: 'conditional' }),
        isError('NotAllowedError'),
      );
      key.client.autofill.consentToConditionalCreate = true;
      const options = creation('carol', {
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      const r = await key.client.create(options, { origin: ORIGIN, mediation: 'conditional' });
      const v = await verifyRegistrationResponse({
        response: r as never,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: false,
      });
      assert.equal(v.verified, true);
      assert.equal(r.authenticatorAttachment, 'platform');
    } finally {
      await key.close();
    }
  });

  it('a passkey sign-in through the client enables it too', async () => {
    const key = await openSoftKey({ dataDir: ':memory:', profile: 'bitwarden' });
    try {
      await register(key, 'dave');
      await key.client.get({ challenge: challenge(), rpId: RP_ID }, { origin: ORIGIN });
      const r = await key.client.create(creation('dave-2'), { origin: ORIGIN, mediation: 'conditional' });
      assert.equal(key.control.credentials().length, 2);
      assert.equal(r.type, 'public-key');
    } finally {
      await key.close();
    }
  });
});

describe('signal methods (L3 §5.1.10) through credential management', () => {
  let key: SoftKey;
  const deleted: string[] = [];
  const updated: string[] = [];
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', profile: 'windows-hello' });
    key.control.on('credentialDeleted', (e) => deleted.push(e.credentialId));
    key.control.on('credentialUpdated', (e) => updated.push(e.credentialId));
  });
  after(() => key.close());

  it('refuses bad base64url with TypeError and a foreign RP ID with SecurityError', async () => {
    await assert.rejects(
      key.client.signalUnknownCredential({ rpId: RP_ID, credentialId: 'not base64url!' }, { origin: ORIGIN }),
      isError('TypeError'),
    );
    await assert.rejects(
      key.client.signalAllAcceptedCredentials(
        { rpId: RP_ID, userId: 'AAA', allAcceptedCredentialIds: ['@'] },
        { origin: ORIGIN },
      ),
      isError('TypeError'),
    );
    await assert.rejects(
      key.client.signalCurrentUserDetails(
        { rpId: RP_ID, userId: '***', name: 'n', displayName: 'd' },
        { origin: ORIGIN },
      ),
      isError('TypeError'),
    );
    await assert.rejects(
      key.client.signalUnknownCredential({ rpId: 'example.com', credentialId: 'AAAA' }, { origin: ORIGIN }),
      isError('SecurityError'),
    );
  });

  it('signalUnknownCredential deletes that credential only', async () => {
    const a = await register(key, 'erin');
    const b = await register(key, 'frank');
    const effects = await key.client.signalUnknownCredential(
      { rpId: RP_ID, credentialId: a.response.id },
      { origin: ORIGIN },
    );
    assert.deepEqual(
      effects.map((e) => e.deleted),
      [[a.response.id]],
    );
    const left = key.control.credentials().map((c) => c.credentialId);
    assert.ok(!left.includes(a.response.id));
    assert.ok(left.includes(b.response.id));
    assert.ok(deleted.includes(a.response.id), 'a credentialDeleted event');
    // Unknown to the key: nothing happens, and the RP learns nothing.
    assert.deepEqual(
      (await key.client.signalUnknownCredential({ rpId: RP_ID, credentialId: a.response.id }, { origin: ORIGIN }))[0]!
        .deleted,
      [],
    );
    key.control.clearCredentials();
  });

  it("signalAllAcceptedCredentials prunes the user's credentials the RP no longer accepts, not other users'", async () => {
    // One discoverable credential per (RP, user handle) on an authenticator: a second one replaces it.
    const userId = b64u.encode(randomBytes(16));
    const g = await register(key, 'grace', { user: { id: userId, name: 'grace', displayName: 'Grace' } });
    const h = await register(key, 'heidi');
    let effects = await key.client.signalAllAcceptedCredentials(
      { rpId: RP_ID, userId, allAcceptedCredentialIds: [g.response.id] },
      { origin: ORIGIN },
    );
    assert.deepEqual(effects[0]!.deleted, []);
    // heidi's credential is not grace's: listed or not, it stays.
    effects = await key.client.signalAllAcceptedCredentials(
      { rpId: RP_ID, userId, allAcceptedCredentialIds: [h.response.id] },
      { origin: ORIGIN },
    );
    assert.deepEqual(effects[0]!.deleted, [g.response.id]);
    assert.deepEqual(
      key.control.credentials().map((c) => c.credentialId),
      [h.response.id],
    );
    key.control.clearCredentials();
  });

  it("signalCurrentUserDetails renames the user's credentials (updateUserInformation)", async () => {
    const userId = b64u.encode(randomBytes(16));
    const ivan = await register(key, 'ivan', { user: { id: userId, name: 'ivan', displayName: 'Ivan' } });
    const judy = await register(key, 'judy');
    const effects = await key.client.signalCurrentUserDetails(
      { rpId: RP_ID, userId, name: 'ivan@example.com', displayName: 'Ivan Ivanov' },
      { origin: ORIGIN },
    );
    assert.deepEqual(effects[0]!.updated, [ivan.response.id]);
    const stored = key.control.credential(ivan.response.id);
    assert.equal(stored.userName, 'ivan@example.com');
    assert.equal(stored.userDisplayName, 'Ivan Ivanov');
    assert.equal(key.control.credential(judy.response.id).userName, 'judy');
    assert.ok(updated.includes(ivan.response.id), 'a credentialUpdated event');
  });

  it('a security key without a PIN the client holds is left alone', async () => {
    const plain = await openSoftKey({ dataDir: ':memory:' });
    try {
      const r = await register(plain, 'kim', {
        authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
      });
      const effects = await plain.client.signalUnknownCredential(
        { rpId: RP_ID, credentialId: r.response.id },
        { origin: ORIGIN },
      );
      assert.equal(effects[0]!.skipped, 'no silent user verification');
      assert.equal(plain.control.credentials().length, 1);
      // With its PIN in the client, the same signal deletes.
      await plain.client.setPin('123456');
      const after = await plain.client.signalUnknownCredential(
        { rpId: RP_ID, credentialId: r.response.id },
        { origin: ORIGIN },
      );
      assert.deepEqual(after[0]!.deleted, [r.response.id]);
      assert.equal(plain.control.credentials().length, 0);
    } finally {
      await plain.close();
    }
  });
});

describe('getClientCapabilities (L3 §5.1.11)', () => {
  it('lists every ClientCapability and the client extensions, with values per authenticator', async () => {
    const keys = await Promise.all(
      ['default', 'google-password-manager', 'windows-hello'].map((profile) =>
        openSoftKey({ dataDir: ':memory:', profile }),
      ),
    );
    try {
      const [plain, gpm, hello] = await Promise.all(keys.map((k) => k.client.getClientCapabilities()));
      for (const caps of [plain!, gpm!, hello!]) {
        for (const k of CLIENT_CAPABILITY_KEYS) assert.equal(typeof caps[k], 'boolean', k);
        for (const x of ['credProps', 'credProtect', 'credBlob', 'largeBlob', 'minPinLength', 'prf'])
          assert.equal(typeof caps[`extension:${x}`], 'boolean', x);
        assert.equal(caps.conditionalGet, true);
        assert.equal(caps.conditionalCreate, true);
        assert.equal(caps.relatedOrigins, true);
        assert.equal(caps['extension:credProps'], true);
      }
      assert.equal(plain!.userVerifyingPlatformAuthenticator, false);
      assert.equal(plain!.passkeyPlatformAuthenticator, false);
      assert.equal(plain!.hybridTransport, false);
      assert.equal(plain!['extension:largeBlob'], true);
      assert.equal(gpm!.userVerifyingPlatformAuthenticator, true);
      assert.equal(gpm!.hybridTransport, true);
      assert.equal(gpm!.passkeyPlatformAuthenticator, true);
      assert.equal(gpm!.signalUnknownCredential, true);
      assert.equal(gpm!['extension:largeBlob'], false);
      assert.equal(gpm!['extension:prf'], true);
      assert.equal(hello!.hybridTransport, false);
      assert.equal(hello!.userVerifyingPlatformAuthenticator, true);
      const off = new WebAuthnClient(keys[0]!, { relatedOrigins: false });
      assert.equal((await off.getClientCapabilities()).relatedOrigins, false);
    } finally {
      await Promise.all(keys.map((k) => k.close()));
    }
  });
});

describe('related origins (L3 §5.11)', () => {
  let server: Server;
  let base = '';
  let document: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
  const fetched: string[] = [];
  // https://RP-ID/.well-known/webauthn is answered by the local server.
  const fetcher: RelatedOriginsFetch = (url, init) => {
    fetched.push(url);
    return fetch(`${base}${new URL(url).pathname}`, init) as never;
  };
  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/.well-known/webauthn') return void res.writeHead(404).end();
      res.writeHead(document.status, { 'content-type': document.type }).end(document.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('registrable origin labels come from the Public Suffix List', () => {
    assert.equal(registrableOriginLabel('www.example.co.uk'), 'example');
    assert.equal(registrableOriginLabel('login.example.com'), 'example');
    assert.equal(registrableOriginLabel('shop-uk.localhost'), 'shop-uk');
    assert.equal(registrableOriginLabel('co.uk'), undefined);
    assert.equal(registrableOriginLabel('127.0.0.1'), undefined);
  });

  it('counts labels in order: an origin beyond maxLabels distinct labels is not honoured', () => {
    const others = ['https://a.com', 'https://b.com', 'https://c.com', 'https://d.com', 'https://e.com'];
    assert.equal(originListed('https://shop.example.co.uk', [...others, 'https://shop.example.co.uk']), false);
    assert.equal(originListed('https://shop.example.co.uk', [...others, 'https://shop.example.co.uk'], 6), true);
    // Repeats of a label already seen do not use up the budget; unparsable entries are skipped.
    assert.equal(
      originListed('https://example.co.uk', [
        'not a url',
        'https://a.com',
        'https://www.a.com',
        'https://x.a.com',
        'https://b.com',
        'https://c.com',
        'https://d.com',
        'https://example.co.uk',
      ]),
      true,
    );
  });

  it('an RP ID served for another origin works only where the RP lists that origin', async () => {
    const key = await openSoftKey({ dataDir: ':memory:', client: { relatedOrigins: { fetch: fetcher } } });
    try {
      const caller = 'https://example.co.uk';
      const options = { ...creation('uk'), rp: { id: 'example.com', name: 'Example' } };
      document = {
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ origins: ['https://example.de', caller] }),
      };
      const r = await key.client.create(options, { origin: caller });
      assert.equal(fetched.at(-1), 'https://example.com/.well-known/webauthn');
      const v = await verifyRegistrationResponse({
        response: r as never,
        expectedChallenge: options.challenge,
        expectedOrigin: caller,
        expectedRPID: 'example.com',
        requireUserVerification: false,
      });
      assert.equal(v.verified, true);
      const authData = parseAuthenticatorData(b64u.decode(r.response.authenticatorData));
      assert.ok(authData.attestedCredentialData);
      const c = challenge();
      const a = await key.client.get({ challenge: c, rpId: 'example.com' }, { origin: caller });
      assert.equal(a.id, r.id);

      const refused = async (doc: typeof document, why: RegExp) => {
        document = doc;
        await assert.rejects(
          key.client.get({ challenge: challenge(), rpId: 'example.com' }, { origin: caller }),
          (e) => isError('SecurityError')(e) && why.test((e as Error).message),
        );
      };
      await refused(
        { status: 200, type: 'application/json', body: JSON.stringify({ origins: ['https://example.de'] }) },
        /not among the related origins/,
      );
      await refused({ status: 404, type: 'application/json', body: '{}' }, /answered 404/);
      await refused(
        { status: 200, type: 'text/plain', body: JSON.stringify({ origins: [caller] }) },
        /not application\/json/,
      );
      await refused({ status: 200, type: 'application/json', body: '{"origins": "x"' }, /not valid JSON/);
      await refused(
        { status: 200, type: 'application/json', body: JSON.stringify({ origins: [caller, 5] }) },
        /array of strings/,
      );
      await refused({ status: 200, type: 'application/json', body: JSON.stringify([caller]) }, /not a JSON object/);
    } finally {
      await key.close();
    }
  });

  it('turned off, a foreign RP ID is a SecurityError without any fetch', async () => {
    const key = await openSoftKey({ dataDir: ':memory:', client: { relatedOrigins: false } });
    try {
      const before = fetched.length;
      await assert.rejects(
        key.client.get({ challenge: challenge(), rpId: 'example.com' }, { origin: 'https://example.co.uk' }),
        isError('SecurityError'),
      );
      assert.equal(fetched.length, before);
    } finally {
      await key.close();
    }
  });
});
