/**
 * Parity with Playwright's context.credentials and DevTools' WebAuthn domain, and beyond: seeding
 * credentials (read back with private keys and counters, re-seeded under their own IDs in another
 * key), the whole key as one JSON document (plain or sealed), per-credential events and the
 * backup-flag defaults. Every sign-in is verified by @simplewebauthn/server with the public key the
 * relying party stored at registration, so a restored or seeded key is the same key to the RP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { openSoftKey, WebAuthnError, type SoftKey } from '../../src/index.js';
import type { CredentialEventJson } from '../../src/main/control.js';
import * as b64u from '../../src/encoding/base64url.js';
import { KeyStateError, PLAIN_WARNING, type KeyState, type SealedKeyState } from '../../src/store/snapshot.js';
import { ORIGIN, RP_ID, randomBytes } from '../client/device.js';

const PIN = '4821';

interface Registered {
  id: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  userHandle: string;
}

async function register(
  key: SoftKey,
  opts: { resident: boolean; uv?: 'required' | 'discouraged'; name?: string },
): Promise<Registered & { backedUp: boolean; deviceType: string }> {
  const challenge = b64u.encode(randomBytes(32));
  const userHandle = b64u.encode(randomBytes(16));
  const uv = opts.uv ?? 'discouraged';
  const r = await key.client.create(
    {
      rp: { name: 'Key state test', id: RP_ID },
      user: { id: userHandle, name: opts.name ?? 'ada', displayName: 'Ada' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: opts.resident ? 'required' : 'discouraged', userVerification: uv },
    },
    { origin: ORIGIN },
  );
  const v = await verifyRegistrationResponse({
    response: r as never,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: uv === 'required',
  });
  assert.equal(v.verified, true);
  const info = v.registrationInfo;
  return {
    id: r.id,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    userHandle,
    backedUp: info.credentialBackedUp,
    deviceType: info.credentialDeviceType,
  };
}

/** Signs in (allowCredentials when `allow`, else discoverable) and verifies; returns the new counter and flags. */
async function signIn(key: SoftKey, cred: Registered, opts: { allow: boolean; uv?: 'required' | 'discouraged' }) {
  const challenge = b64u.encode(randomBytes(32));
  const uv = opts.uv ?? 'discouraged';
  const a = await key.client.get(
    {
      challenge,
      rpId: RP_ID,
      userVerification: uv,
      ...(opts.allow && { allowCredentials: [{ type: 'public-key', id: cred.id }] }),
    },
    { origin: ORIGIN },
  );
  assert.equal(a.id, cred.id);
  const v = await verifyAuthenticationResponse({
    response: a as never,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: { id: cred.id, publicKey: cred.publicKey, counter: cred.counter },
    requireUserVerification: uv === 'required',
  });
  assert.equal(v.verified, true, 'SimpleWebAuthn verifies the assertion with the public key stored at registration');
  assert.ok(v.authenticationInfo.newCounter > cred.counter, 'the counter never goes backwards');
  cred.counter = v.authenticationInfo.newCounter;
  return {
    counter: v.authenticationInfo.newCounter,
    backedUp: v.authenticationInfo.credentialBackedUp,
    userHandle: a.response.userHandle,
  };
}

const keys: SoftKey[] = [];
async function open(options: Parameters<typeof openSoftKey>[0]): Promise<SoftKey> {
  const key = await openSoftKey({ presence: 'auto', ...options });
  keys.push(key);
  return key;
}
after(async () => {
  for (const k of keys) await k.close();
});

describe('seeding: read credentials back with their private keys, re-seed them in another key', () => {
  it('a resident and a non-resident credential move to a fresh key under the same IDs, counters and flags', async () => {
    const a = await open({ dataDir: ':memory:' });
    const resident = await register(a, { resident: true });
    const nonResident = await register(a, { resident: false });
    await signIn(a, resident, { allow: false });
    await signIn(a, nonResident, { allow: true });
    a.control.setCredential(resident.id, { backupEligible: true, backupState: true });

    const listed = a.control.credentials({ privateKeys: true });
    assert.equal(listed.length, 1, 'one discoverable credential is stored');
    const r = listed[0]!;
    assert.equal(r.credentialId, resident.id);
    assert.equal(r.userId, resident.userHandle);
    assert.equal(r.signCount, resident.counter);
    assert.equal(r.resident, true);
    assert.deepEqual([r.backupEligible, r.backupState], [true, true]);
    assert.ok(r.privateKey && r.privateKey.pkcs8.length > 100);
    assert.equal(a.control.credentials()[0]!.privateKey, undefined, 'no private key unless asked');
    assert.throws(() => a.control.credential(nonResident.id), /give rpId/);
    const nr = a.control.credential(nonResident.id, RP_ID);
    assert.equal(nr.resident, false);
    assert.equal(nr.signCount, nonResident.counter);
    assert.ok(nr.privateKey);
    assert.throws(() => a.control.credential(nonResident.id, 'other.example'), /no credential of this key/);

    // "A later test": a new key seeded from the JSON read back (through a JSON round trip, as a file would).
    const seed = JSON.parse(JSON.stringify([r, nr])) as typeof listed;
    const b = await open({ dataDir: ':memory:' });
    for (const c of seed) {
      const added = b.control.addCredential(c);
      assert.equal(added.credentialId, c.credentialId, 'the credential keeps its ID');
    }
    assert.throws(() => b.control.addCredential(seed[0]!), /already has a credential with that ID/);
    const rIn = await signIn(b, resident, { allow: false });
    assert.equal(
      rIn.userHandle,
      resident.userHandle,
      'discoverable: found without allowCredentials, with its user handle',
    );
    assert.equal(rIn.backedUp, true, 'BS travels with the credential');
    const nrIn = await signIn(b, nonResident, { allow: true });
    assert.equal(nrIn.backedUp, false);
    assert.equal(b.control.credential(nonResident.id, RP_ID).signCount, nonResident.counter);
  });

  it('a generated key imported with a chosen ID, user handle and sign count signs in', async () => {
    const key = await open({ dataDir: ':memory:' });
    const { generateKeyPairSync } = await import('node:crypto');
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkcs8 = b64u.encode(new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' })));
    const id = b64u.encode(randomBytes(32));
    const userHandle = b64u.encode(randomBytes(8));
    assert.throws(
      () =>
        key.control.addCredential({
          rpId: RP_ID,
          userId: userHandle,
          privateKey: { pkcs8 },
          credentialId: b64u.encode(randomBytes(8)),
        }),
      /16–1023 bytes/,
    );
    key.control.addCredential({
      rpId: RP_ID,
      userId: userHandle,
      privateKey: { pkcs8 },
      credentialId: id,
      signCount: 41,
    });
    const listed = key.control.credentials({ privateKeys: true })[0]!;
    assert.equal(listed.credentialId, id);
    assert.equal(listed.signCount, 41);
    const publicKey = await coseOf(key, id);
    const cred = { id, publicKey, counter: 41, userHandle };
    const s = await signIn(key, cred, { allow: false });
    assert.equal(s.counter, 42);
    assert.equal(s.userHandle, userHandle);
  });
});

/** The COSE public key of a stored credential, as the RP would have stored it (from the key's credential management view). */
async function coseOf(key: SoftKey, id: string): Promise<Uint8Array<ArrayBuffer>> {
  const state = key.exportState() as KeyState;
  const r = state.residentCredentials.find((c) => c.credentialId === id);
  assert.ok(r);
  return new Uint8Array(b64u.decode(r.publicKey));
}

describe('the whole key as one JSON document', () => {
  it('export (sealed), open a fresh key from it: both credentials sign in, counters continue, the PIN still works', async () => {
    const a = await open({ dataDir: ':memory:' });
    await a.client.setPin(PIN);
    a.client.pin = PIN;
    const resident = await register(a, { resident: true, uv: 'required' });
    const nonResident = await register(a, { resident: false, uv: 'required' });
    await signIn(a, resident, { allow: false, uv: 'required' });
    await signIn(a, nonResident, { allow: true, uv: 'required' });
    const before = { resident: resident.counter, nonResident: nonResident.counter, pin: a.control.pin() };

    const plain = a.exportState() as KeyState;
    assert.equal(plain.warning, PLAIN_WARNING);
    assert.match(plain.warning, /private key/);
    assert.equal(plain.residentCredentials.length, 1);
    assert.ok(
      Object.keys(plain.secrets).includes('credential-wrap-key'),
      'the wrapping key, so non-resident IDs still open',
    );
    assert.ok(
      Object.keys(plain.state).some((k) => /pin/i.test(k)),
      'the PIN state',
    );

    const sealed = a.control.exportState({
      passphrase: 'correct horse',
      scrypt: { N: 2 ** 14, r: 8, p: 1 },
    }) as SealedKeyState;
    const text = JSON.stringify(sealed);
    assert.ok(!text.includes(plain.secrets['credential-wrap-key']!), 'sealed: no secret in the clear');
    assert.ok(!text.includes(resident.id), 'sealed: not even the credential IDs');
    assert.match(sealed.warning, /sealed with a passphrase/);
    await assert.rejects(
      openSoftKey({ state: text }),
      (e: unknown) => e instanceof KeyStateError && /sealed with a passphrase/.test(e.message),
    );
    await assert.rejects(
      openSoftKey({ state: text, statePassphrase: 'wrong' }),
      (e: unknown) => e instanceof KeyStateError && /wrong passphrase/.test(e.message),
    );
    const tampered = { ...sealed, kdf: { ...sealed.kdf, N: 2 ** 10 } };
    await assert.rejects(
      openSoftKey({ state: tampered, statePassphrase: 'correct horse' }),
      KeyStateError,
      'weakened parameters do not open',
    );

    const b = await open({ state: text, statePassphrase: 'correct horse' });
    assert.deepEqual(b.control.pin(), before.pin, 'same PIN state (set, retries)');
    b.client.pin = PIN;
    const r = await signIn(b, resident, { allow: false, uv: 'required' });
    const n = await signIn(b, nonResident, { allow: true, uv: 'required' });
    assert.ok(r.counter > before.resident && n.counter > before.nonResident);
    // A wrong PIN is refused and counts against the same retries.
    b.client.pin = '0000';
    await assert.rejects(
      signIn(b, resident, { allow: false, uv: 'required' }),
      (e: unknown) => e instanceof WebAuthnError && e.name === 'NotAllowedError',
    );
    assert.equal(b.control.pin().retries, before.pin.retries - 1);
  });

  it('a data directory that already holds a key is never overwritten by openSoftKey({ state })', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softkey-state-'));
    try {
      const a = await openSoftKey({ dataDir: dir, presence: 'auto' });
      await register(a, { resident: true });
      const state = a.exportState();
      await a.close();
      await assert.rejects(openSoftKey({ dataDir: dir, state }), /not empty/);
      const fresh = join(dir, 'fresh');
      const b = await openSoftKey({ dataDir: fresh, state, presence: 'auto' });
      assert.equal(b.control.credentials().length, 1);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged document is refused with the member at fault', async () => {
    const a = await open({ dataDir: ':memory:' });
    await register(a, { resident: true });
    const state = a.exportState() as KeyState;
    await assert.rejects(openSoftKey({ state: '{' }), /not JSON/);
    await assert.rejects(openSoftKey({ state: { ...state, version: 9 as 1 } }), /version 9/);
    const bad = JSON.parse(JSON.stringify(state)) as KeyState;
    bad.residentCredentials[0]!.credProtect = 7 as 1;
    await assert.rejects(openSoftKey({ state: bad }), /residentCredentials\[0\]\.credProtect must be 1, 2 or 3/);
  });
});

describe('per-credential events', () => {
  it('credentialAdded, credentialAsserted, credentialUpdated, credentialDeleted with id, rpId, user handle, counter, flags', async () => {
    const key = await open({ dataDir: ':memory:' });
    const seen: CredentialEventJson[] = [];
    const asserted: CredentialEventJson[] = [];
    const all = (e: CredentialEventJson) => seen.push(e);
    const onAsserted = (e: CredentialEventJson) => asserted.push(e);
    key.control.on('*', all).on('credentialAsserted', onAsserted);
    const iterator = key.control.events({ types: ['credentialDeleted'] });

    const cred = await register(key, { resident: true });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], {
      type: 'credentialAdded',
      credentialId: cred.id,
      rpId: RP_ID,
      userHandle: cred.userHandle,
      resident: true,
      signCount: 0,
      flags: { up: true, uv: false, be: false, bs: false },
    });
    await signIn(key, cred, { allow: false });
    assert.equal(asserted.length, 1);
    assert.equal(asserted[0]!.credentialId, cred.id);
    assert.equal(asserted[0]!.signCount, cred.counter, 'the event carries the counter the assertion signed');
    assert.equal(asserted[0]!.userHandle, cred.userHandle);

    key.control.setCredential(cred.id, { backupEligible: true });
    assert.equal(seen.at(-1)!.type, 'credentialUpdated');
    assert.deepEqual(seen.at(-1)!.flags, { up: false, uv: false, be: true, bs: false });

    key.control.off('credentialAsserted', onAsserted);
    await signIn(key, cred, { allow: false });
    assert.equal(asserted.length, 1, 'off() stops the listener');
    assert.equal(seen.at(-1)!.type, 'credentialAsserted');

    key.control.removeCredential(cred.id);
    const next = await iterator.next();
    assert.equal(next.done, false);
    assert.equal(next.value.type, 'credentialDeleted');
    assert.equal(next.value.credentialId, cred.id);
    assert.equal(next.value.signCount, cred.counter);
    await iterator.return!();
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    assert.throws(() => key.control.on('nope' as never, all), /unknown event/);
  });
});

describe('backup eligibility and state', () => {
  it('authenticator-wide defaults (openSoftKey, then control) and per credential', async () => {
    const key = await open({ dataDir: ':memory:', backupEligible: true });
    assert.deepEqual(key.control.backupDefaults(), { backupEligible: true, backupState: false });
    const eligible = await register(key, { resident: true });
    assert.equal(
      eligible.deviceType,
      'multiDevice',
      'BE at registration: SimpleWebAuthn sees a multi-device credential',
    );
    assert.equal(eligible.backedUp, false);
    assert.equal((await signIn(key, eligible, { allow: false })).backedUp, false);

    assert.deepEqual(key.control.setBackupDefaults({ backupState: true }), { backupEligible: true, backupState: true });
    const backedUp = await register(key, { resident: false });
    assert.equal(backedUp.backedUp, true);
    assert.equal((await signIn(key, backedUp, { allow: true })).backedUp, true);
    assert.equal(
      (await signIn(key, eligible, { allow: false })).backedUp,
      false,
      'a default changes new credentials only',
    );

    key.control.setCredential(eligible.id, { backupState: true });
    assert.equal((await signIn(key, eligible, { allow: false })).backedUp, true, 'per credential');
    assert.throws(
      () => key.control.setBackupDefaults({ backupEligible: false, backupState: true }),
      /requires backup eligibility/,
    );
    assert.deepEqual(key.control.setBackupDefaults({ backupEligible: false }), {
      backupEligible: false,
      backupState: false,
    });
    const plain = await register(key, { resident: false });
    assert.equal(plain.deviceType, 'singleDevice');
  });
});
