/**
 * The public API: `key.client` on openSoftKey (in-process) and on connectSoftKey over CTAPHID/UDP to a
 * real `softkey start` process, each verified by @simplewebauthn/server.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { connectSoftKey, openSoftKey, WebAuthnError, type SoftKey, type SoftKeyConnection } from '../../src/index.js';
import type { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { startSoftkeyProcess, type SoftkeyProcess } from '../interop/startDevice.js';
import { ORIGIN, RP_ID, randomBytes } from './device.js';

const creationOptionsJSON = (challenge: Uint8Array, extensions: Record<string, unknown> = {}) => ({
  rp: { name: 'WebAuthn Demo', id: RP_ID },
  user: { id: b64u.encode(randomBytes(32)), name: 'Fred Porlock', displayName: 'Fred Porlock' },
  challenge: b64u.encode(challenge),
  pubKeyCredParams: [
    { type: 'public-key', alg: -7 },
    { type: 'public-key', alg: -8 },
    { type: 'public-key', alg: -257 },
  ],
  timeout: 60000,
  excludeCredentials: [],
  authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  attestation: 'direct',
  extensions,
});

const isError = (name: string) => (e: unknown) => e instanceof WebAuthnError && e.name === name;

/** Register, then log in twice with UV; returns the credential ID. */
async function registerAndLogIn(client: WebAuthnClient): Promise<string> {
  const challenge = randomBytes(32);
  const r = await client.create(
    creationOptionsJSON(challenge, {
      credProps: true,
      prf: { eval: { first: b64u.encode(utf8.encode('key')) } },
      largeBlob: { support: 'required' },
    }),
    { origin: ORIGIN },
  );
  const reg = await verifyRegistrationResponse({
    response: r as never,
    expectedChallenge: b64u.encode(challenge),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: true,
  });
  assert.equal(reg.verified, true);
  assert.equal(reg.registrationInfo.fmt, 'packed');
  assert.equal(r.clientExtensionResults.credProps?.rk, true);
  assert.equal(r.clientExtensionResults.largeBlob?.supported, true);
  const prfAtCreate = r.clientExtensionResults.prf?.results?.first;
  assert.ok(prfAtCreate);

  let counter = reg.registrationInfo.credential.counter;
  for (const extensions of [
    { largeBlob: { write: b64u.encode(utf8.encode('hello')) } },
    { largeBlob: { read: true }, prf: { eval: { first: b64u.encode(utf8.encode('key')) } } },
  ]) {
    const ch = randomBytes(32);
    // Discoverable: no allowCredentials for the read (largeBlob write needs exactly one).
    const allow = 'write' in extensions.largeBlob ? { allowCredentials: [{ type: 'public-key', id: r.id }] } : {};
    const a = await client.get(
      { challenge: b64u.encode(ch), rpId: RP_ID, userVerification: 'required', ...allow, extensions },
      { origin: ORIGIN },
    );
    const v = await verifyAuthenticationResponse({
      response: a as never,
      expectedChallenge: b64u.encode(ch),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { id: r.id, publicKey: reg.registrationInfo.credential.publicKey, counter },
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
    assert.ok(v.authenticationInfo.newCounter > counter);
    counter = v.authenticationInfo.newCounter;
    if ('write' in extensions.largeBlob) assert.deepEqual(a.clientExtensionResults.largeBlob, { written: true });
    else {
      assert.equal(utf8.decode(b64u.decode(a.clientExtensionResults.largeBlob!.blob!)), 'hello');
      assert.equal(
        a.clientExtensionResults.prf?.results?.first,
        prfAtCreate,
        'UV at create and at get: the same PRF value',
      );
    }
  }

  // Wrong origin for the RP ID, and an RP ID the origin may not claim: SecurityError.
  await assert.rejects(
    client.get({ challenge: b64u.encode(randomBytes(32)), rpId: RP_ID }, { origin: 'https://evil.example' }),
    isError('SecurityError'),
  );
  await assert.rejects(
    client.create(creationOptionsJSON(randomBytes(32)), { origin: 'https://example.com' }),
    isError('SecurityError'),
  );
  await assert.rejects(
    client.get({ challenge: b64u.encode(randomBytes(32)), rpId: 'example.com' }, { origin: ORIGIN }),
    isError('SecurityError'),
  );
  return r.id;
}

describe('key.client', () => {
  it('openSoftKey: setPin, then create/get with UV, prf, largeBlob; verified by SimpleWebAuthn', async () => {
    let key: SoftKey | undefined;
    try {
      key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
      await assert.rejects(
        key.client.create(creationOptionsJSON(randomBytes(32)), { origin: ORIGIN }),
        isError('NotAllowedError'),
        'required UV without a PIN set → NotAllowedError',
      );
      await key.client.setPin('1234');
      key.client.pin = async () => '1234';
      await registerAndLogIn(key.client);
    } finally {
      await key?.close();
    }
  });

  describe('connectSoftKey over UDP to a real `softkey start`', () => {
    let device: SoftkeyProcess;
    let connection: SoftKeyConnection;
    before(async () => {
      device = await startSoftkeyProcess({ args: ['--no-apdu'] });
      connection = await connectSoftKey({
        udp: `${device.host}:${device.udpPort}`,
        replyTo: `${device.host}:${device.replyPort}`,
      });
    });
    after(async () => {
      await connection?.close();
      await device?.stop();
    });

    it('sets the PIN over the wire, registers and logs in with UV', async () => {
      await connection.client.setPin('4321');
      assert.equal(await connection.client.pinRetries(), 8);
      await registerAndLogIn(connection.client);
    });
  });

  describe('connectSoftKey over WebSocket to a real `softkey start --ws`', () => {
    let device: SoftkeyProcess;
    let connection: SoftKeyConnection;
    before(async () => {
      device = await startSoftkeyProcess({
        args: ['--no-apdu', '--no-panel', '--ws', '127.0.0.1:0'],
        readyPattern: /CTAPHID over WebSocket on ws:/,
      });
      const url = /CTAPHID over WebSocket on (ws:\/\/\S+)/.exec(device.output())![1]!;
      assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/ctaphid\?token=[\w-]{32}$/);
      connection = await connectSoftKey({ ws: url });
    });
    after(async () => {
      await connection?.close();
      await device?.stop();
    });

    it('sets the PIN over the wire, registers and logs in with UV', async () => {
      await connection.client.setPin('4321');
      await registerAndLogIn(connection.client);
    });

    it('refuses a connection without the token', async () => {
      const url = /CTAPHID over WebSocket on (ws:\/\/\S+)/.exec(device.output())![1]!;
      await assert.rejects(connectSoftKey({ ws: url.replace(/token=.*/, 'token=wrong') }), /HTTP 403/);
    });
  });
});
