/**
 * User verification through clientPIN (CTAP 2.1 §6.5, §6.1.1 / §6.2.1 platform steps, L3 §6.3):
 * the client sets the PIN, gets pinUvAuthTokens with PIN protocol one and two, and every output is
 * verified by @simplewebauthn/server with requireUserVerification.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { PinRequest } from '../../src/client/clientPin.js';
import { WebAuthnError, type WebAuthnErrorName } from '../../src/client/errors.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { decode, type CborMap } from '../../src/encoding/cbor.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import { makeDevice, ORIGIN, patchInfo, RP_ID, randomBytes } from './device.js';

const PIN = '1234';

const creation = (o: { alg?: number; rk?: boolean; attestation?: string; uv?: string; challenge: Uint8Array }) => ({
  rp: { name: 'WebAuthn Demo', id: RP_ID },
  user: { id: b64u.encode(randomBytes(16)), name: 'Fred Porlock', displayName: 'Fred Porlock' },
  challenge: b64u.encode(o.challenge),
  pubKeyCredParams: [{ type: 'public-key', alg: o.alg ?? -7 }],
  authenticatorSelection: { residentKey: o.rk ? 'required' : 'discouraged', userVerification: o.uv ?? 'required' },
  attestation: o.attestation ?? 'none',
});

async function rejectsWith(p: Promise<unknown>, name: WebAuthnErrorName, status?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WebAuthnError, String(e));
    assert.equal(e.name, name, e.message);
    if (status !== undefined) assert.equal(e.ctapStatus, status);
    return true;
  });
}

/** Decoded clientPIN requests (0x06) the client sent. */
const clientPinRequests = (requests: Uint8Array[]) =>
  requests.filter((r) => r[0] === 0x06).map((r) => decode(r.subarray(1)) as CborMap);
const uvFlag = (authData: string) => (parseAuthenticatorData(b64u.decode(authData)).flags & Flag.UV) !== 0;

/** A device with a PIN set through the client, whose getInfo lists only `protocol` (so the client must use it). */
async function pinnedDevice(protocol?: 1 | 2) {
  const device = await makeDevice();
  const transport = protocol ? patchInfo(device.transport, (info) => info.set(6, [protocol])) : device.transport;
  const client = new WebAuthnClient(transport);
  await client.setPin(PIN);
  return { ...device, client };
}

describe('UV with a PIN: SimpleWebAuthn verifies with requireUserVerification', () => {
  for (const protocol of [1, 2] as const) {
    for (const [name, alg] of [
      ['ES256', -7],
      ['EdDSA', -8],
      ['RS256', -257],
    ] as const) {
      for (const rk of [false, true]) {
        for (const attestation of ['none', 'direct']) {
          it(`PIN protocol ${protocol}, ${name}, rk=${rk}, attestation ${attestation}`, async () => {
            const { client, requests } = await pinnedDevice(protocol);
            assert.equal(client.pin, PIN, 'setPin makes the new PIN the client PIN');
            const challenge = randomBytes(32);
            const r = await client.create(creation({ alg, rk, attestation, challenge }), { origin: ORIGIN });
            const reg = await verifyRegistrationResponse({
              response: r as never,
              expectedChallenge: b64u.encode(challenge),
              expectedOrigin: ORIGIN,
              expectedRPID: RP_ID,
              requireUserVerification: true,
              supportedAlgorithmIDs: [alg],
            });
            assert.equal(reg.verified, true);
            assert.equal(reg.registrationInfo.fmt, attestation === 'none' ? 'none' : 'packed');
            assert.equal(reg.registrationInfo.userVerified, true);

            let counter = reg.registrationInfo.credential.counter;
            for (let round = 0; round < 2; round++) {
              const ch = randomBytes(32);
              const a = await client.get(
                {
                  challenge: b64u.encode(ch),
                  userVerification: 'required',
                  ...(rk ? {} : { allowCredentials: [{ type: 'public-key', id: r.id }] }),
                },
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
              assert.equal(v.authenticationInfo.userVerified, true);
              assert.ok(v.authenticationInfo.newCounter > counter, 'counter increases');
              counter = v.authenticationInfo.newCounter;
            }

            // Every token request used the listed protocol, with mc then ga and the RP ID.
            const tokenRequests = clientPinRequests(requests).filter((m) => m.get(2) === 0x09);
            assert.deepEqual(
              tokenRequests.map((m) => [m.get(1), m.get(9), m.get(0x0a)]),
              [
                [protocol, 0x01, RP_ID],
                [protocol, 0x02, RP_ID],
                [protocol, 0x02, RP_ID],
              ],
            );
            const mc = requests.filter((q) => q[0] === 0x01).map((q) => decode(q.subarray(1)) as CborMap)[0]!;
            assert.equal(mc.get(9), protocol);
            assert.equal((mc.get(8) as Uint8Array).length, protocol === 1 ? 16 : 32);
          });
        }
      }
    }
  }
});

describe('UV rules', () => {
  it('protocol 2 is preferred when the authenticator lists both', async () => {
    const { client, requests } = await pinnedDevice();
    await client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN });
    assert.ok(clientPinRequests(requests).every((m) => m.get(1) === 2));
  });

  it('required UV without a PIN set and without built-in UV → NotAllowedError; preferred goes on without UV', async () => {
    const { client, requests } = await makeDevice();
    await rejectsWith(client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN }), 'NotAllowedError');
    await rejectsWith(
      client.get({ challenge: b64u.encode(randomBytes(32)), userVerification: 'required' }, { origin: ORIGIN }),
      'NotAllowedError',
    );
    assert.equal(requests.filter((q) => q[0] === 0x01 || q[0] === 0x02).length, 0, 'nothing reached the authenticator');
    const r = await client.create(creation({ challenge: randomBytes(32), uv: 'preferred', rk: true }), {
      origin: ORIGIN,
    });
    assert.equal(uvFlag(r.response.authenticatorData), false);
  });

  it('a PIN set but none given: required → NotAllowedError; preferred → assertion without UV', async () => {
    const { client } = await pinnedDevice();
    const r = await client.create(creation({ challenge: randomBytes(32), rk: true }), { origin: ORIGIN });
    client.pin = undefined;
    await rejectsWith(
      client.get({ challenge: b64u.encode(randomBytes(32)), userVerification: 'required' }, { origin: ORIGIN }),
      'NotAllowedError',
    );
    const a = await client.get(
      { challenge: b64u.encode(randomBytes(32)), userVerification: 'preferred' },
      { origin: ORIGIN },
    );
    assert.equal(a.id, r.id);
    assert.equal(uvFlag(a.response.authenticatorData), false);
    // A discoverable credential on a PIN-protected device needs UV even when discouraged (CTAP 2.1 §6.1.2 step 10).
    await rejectsWith(
      client.create(creation({ challenge: randomBytes(32), rk: true, uv: 'discouraged' }), { origin: ORIGIN }),
      'NotAllowedError',
    );
  });

  it('discouraged: a non-discoverable credential needs no PIN (makeCredUvNotRqd), a discoverable one does', async () => {
    const asked: PinRequest[] = [];
    const { client } = await pinnedDevice();
    client.pin = (req) => {
      asked.push(req);
      return PIN;
    };
    const plain = await client.create(creation({ challenge: randomBytes(32), uv: 'discouraged' }), { origin: ORIGIN });
    assert.equal(asked.length, 0);
    assert.equal(uvFlag(plain.response.authenticatorData), false);
    const rk = await client.create(creation({ challenge: randomBytes(32), uv: 'discouraged', rk: true }), {
      origin: ORIGIN,
    });
    assert.equal(uvFlag(rk.response.authenticatorData), true);
    assert.deepEqual(asked, [{ purpose: 'verify', rpId: RP_ID, retries: 8 }]);
  });

  it('a wrong PIN → NotAllowedError (PIN_INVALID) and one retry fewer; an async callback works', async () => {
    const { client } = await pinnedDevice();
    client.pin = async () => '9999';
    await rejectsWith(
      client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_PIN_INVALID,
    );
    assert.equal(await client.pinRetries(), 7);
    client.pin = async () => PIN;
    const r = await client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN });
    assert.equal(uvFlag(r.response.authenticatorData), true);
    assert.equal(await client.pinRetries(), 8, 'a correct PIN resets the retries');
  });

  it('setPin on a device with a PIN changes it (changePIN); the old PIN stops working', async () => {
    const { client } = await pinnedDevice();
    await client.setPin('56789');
    assert.equal(client.pin, '56789');
    await client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN });
    client.pin = PIN;
    await rejectsWith(
      client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN }),
      'NotAllowedError',
      Status.CTAP2_ERR_PIN_INVALID,
    );
    await rejectsWith(client.setPin('12'), 'NotAllowedError', Status.CTAP2_ERR_PIN_POLICY_VIOLATION);
  });

  it('a CTAP 2.0 authenticator (no pinUvAuthToken option) gets getPinToken', async () => {
    const device = await makeDevice();
    await new WebAuthnClient(device.transport).setPin(PIN);
    const legacy = patchInfo(device.transport, (info) => {
      info.set(1, ['FIDO_2_0']);
      (info.get(4) as CborMap).delete('pinUvAuthToken');
      info.set(6, [1]);
    });
    const client = new WebAuthnClient(legacy, { pin: PIN });
    const challenge = randomBytes(32);
    const r = await client.create(creation({ challenge }), { origin: ORIGIN });
    const v = await verifyRegistrationResponse({
      response: r as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
    const subCommands = clientPinRequests(device.requests).map((m) => m.get(2));
    assert.ok(subCommands.includes(0x05), 'getPinToken');
    assert.ok(!subCommands.includes(0x09));
  });

  it('built-in UV that fails falls back to the PIN when one is set', async () => {
    let attempts = 0;
    const uv = { available: true, verify: async () => (attempts++, 'failed' as const) };
    const { client, requests } = await makeDevice({}, {}, { uv });
    await client.setPin(PIN);
    const r = await client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN });
    assert.equal(uvFlag(r.response.authenticatorData), true);
    assert.ok(attempts > 0, 'built-in UV was tried first');
    const subCommands = clientPinRequests(requests).map((m) => m.get(2));
    assert.ok(
      subCommands.indexOf(0x06) < subCommands.lastIndexOf(0x09),
      'UV token request, then the PIN token request',
    );
    // Without a PIN to fall back to, the UV failure is the answer.
    client.pin = undefined;
    await rejectsWith(client.create(creation({ challenge: randomBytes(32) }), { origin: ORIGIN }), 'NotAllowedError');
  });

  it('built-in UV with pinUvAuthToken: getPinUvAuthTokenUsingUvWithPermissions, no PIN asked', async () => {
    const uv = { available: true, verify: async () => 'verified' as const };
    const { client, requests } = await makeDevice({}, { pin: () => assert.fail('no PIN for built-in UV') }, { uv });
    const challenge = randomBytes(32);
    const r = await client.create(creation({ challenge }), { origin: ORIGIN });
    const v = await verifyRegistrationResponse({
      response: r as never,
      expectedChallenge: b64u.encode(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    assert.equal(v.verified, true);
    assert.deepEqual(
      clientPinRequests(requests)
        .filter((m) => m.get(2) === 0x06)
        .map((m) => [m.get(9), m.get(0x0a)]),
      [[0x01, RP_ID]],
    );
  });
});
