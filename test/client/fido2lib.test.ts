/**
 * A second, independent relying-party verifier beside @simplewebauthn/server: fido2-lib (npm) checks
 * what platform authenticators (passkey-provider profiles) make through key.client, with attestation
 * none and direct, UV required and preferred, and through the L3 paths (passkey autofill,
 * conditional create). fido2-lib has no EdDSA: the options offer ES256 and RS256 only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fido2Lib } from 'fido2-lib';
import { openSoftKey, type SoftKey } from '../../src/index.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../src/client/json.js';
import * as b64u from '../../src/encoding/base64url.js';
import { ORIGIN, RP_ID, randomBytes } from './device.js';

const buffer = (text: string): ArrayBuffer => {
  const b = b64u.decode(text);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

function relyingParty(userVerification: 'required' | 'preferred', attestation: 'none' | 'direct') {
  return new Fido2Lib({
    rpId: RP_ID,
    rpName: 'fido2-lib RP',
    challengeSize: 32,
    attestation,
    cryptoParams: [-7, -257],
    authenticatorRequireResidentKey: true,
    authenticatorUserVerification: userVerification,
  });
}

/** fido2-lib's creation options → softkey's client (JSON), and the response → fido2-lib. */
async function registerWith(rp: Fido2Lib, key: SoftKey, factor: 'first' | 'either', mediation?: 'conditional') {
  const o = await rp.attestationOptions();
  const challenge = b64u.encode(new Uint8Array(o.challenge));
  const r: RegistrationResponseJSON = await key.client.create(
    {
      rp: { id: o.rp.id, name: o.rp.name },
      user: { id: b64u.encode(randomBytes(16)), name: 'fido2-lib user', displayName: 'Fido2 Lib' },
      challenge,
      pubKeyCredParams: o.pubKeyCredParams,
      ...(o.attestation && { attestation: o.attestation }),
      authenticatorSelection: {
        residentKey: 'required',
        userVerification: o.authenticatorSelection!.userVerification!,
      },
    },
    { origin: ORIGIN, ...(mediation && { mediation }) },
  );
  const result = await rp.attestationResult(
    {
      rawId: buffer(r.rawId),
      id: buffer(r.id),
      response: { clientDataJSON: r.response.clientDataJSON, attestationObject: r.response.attestationObject },
    },
    { challenge, origin: ORIGIN, factor, rpId: RP_ID },
  );
  assert.equal(result.audit.complete, true);
  return {
    r,
    publicKey: result.authnrData.get('credentialPublicKeyPem') as string,
    counter: result.authnrData.get('counter') as number,
    result,
  };
}

async function assertWith(
  rp: Fido2Lib,
  a: AuthenticationResponseJSON,
  challenge: string,
  reg: { publicKey: string; counter: number },
  factor: 'first' | 'either',
  userHandle: string,
) {
  const result = await rp.assertionResult(
    {
      rawId: buffer(a.rawId),
      id: buffer(a.id),
      response: {
        clientDataJSON: a.response.clientDataJSON,
        authenticatorData: buffer(a.response.authenticatorData),
        signature: a.response.signature,
        ...(a.response.userHandle !== undefined && { userHandle: a.response.userHandle }),
      },
    },
    { challenge, origin: ORIGIN, factor, publicKey: reg.publicKey, prevCounter: reg.counter, userHandle, rpId: RP_ID },
  );
  assert.equal(result.audit.complete, true);
  return result;
}

describe('fido2-lib verifies passkey-provider output', () => {
  for (const profile of ['windows-hello', 'icloud-keychain', 'google-password-manager']) {
    it(`${profile}: attestation none and direct, UV required and preferred`, async () => {
      const key = await openSoftKey({ dataDir: ':memory:', profile });
      try {
        for (const attestation of ['none', 'direct'] as const) {
          for (const userVerification of ['required', 'preferred'] as const) {
            const rp = relyingParty(userVerification, attestation);
            const factor = userVerification === 'required' ? 'first' : 'either';
            const reg = await registerWith(rp, key, factor);
            assert.equal(reg.result.authnrData.get('fmt'), 'none');
            // Built-in UV on every ceremony: the UV flag is set even under "preferred".
            assert.ok((reg.result.authnrData.get('flags') as Set<string>).has('UV'));
            const o = await rp.assertionOptions();
            const challenge = b64u.encode(new Uint8Array(o.challenge));
            const a = await key.client.get({ challenge, rpId: RP_ID, userVerification }, { origin: ORIGIN });
            const result = await assertWith(rp, a, challenge, reg, factor, a.response.userHandle!);
            assert.ok((result.authnrData.get('flags') as Set<string>).has('UP'));
            key.control.clearCredentials();
          }
        }
      } finally {
        await key.close();
      }
    });
  }

  it('passkey autofill and conditional create (icloud-keychain)', async () => {
    const key = await openSoftKey({ dataDir: ':memory:', profile: 'icloud-keychain' });
    try {
      const rp = relyingParty('preferred', 'none');
      const reg = await registerWith(rp, key, 'either');
      const o = await rp.assertionOptions();
      const challenge = b64u.encode(new Uint8Array(o.challenge));
      const pending = key.client.get({ challenge, rpId: RP_ID }, { origin: ORIGIN, mediation: 'conditional' });
      key.client.autofill.choose((await key.client.autofill.whenOffered()).accounts[0]!.credentialId);
      const a = await pending;
      await assertWith(rp, a, challenge, reg, 'either', a.response.userHandle!);
      // The sign-in just made allows a conditional create on the same origin.
      const upgraded = await registerWith(rp, key, 'either', 'conditional');
      assert.notEqual(upgraded.r.id, reg.r.id);
    } finally {
      await key.close();
    }
  });
});
