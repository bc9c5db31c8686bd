/**
 * Every deliberately wrong answer of the catalog (src/control/wrongAnswers.ts), armed once through
 * key.control.override and told by an in-process softkey (key.client), is refused by
 * @simplewebauthn/server v14 with the reason the WebAuthn step gives. Where SimpleWebAuthn 14 leaves
 * the check to the RP (crossOrigin, topOrigin at registration, trailing CBOR, a key's curve, BE
 * changing), the test says so: SimpleWebAuthn verifies, and the test shows the value the RP's own
 * check reads (the demo RP does these checks: test/rp/rpCheck.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { WRONG_ANSWERS } from '../../src/control/wrongAnswers.js';
import { CLIENT_WRONG_ANSWERS } from '../../src/client/wrongAnswers.js';
import * as b64u from '../../src/encoding/base64url.js';
import { decode, decodeFirst, type CborMap } from '../../src/encoding/cbor.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { openSoftKey, type SoftKey } from '../../src/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ORIGIN = 'https://example.test';
const RP_ID = 'example.test';
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

type Outcome =
  | { rejects: RegExp }
  | { unverified: true }
  /** SimpleWebAuthn 14 verifies: the RP's own check reads what `reveal` returns. */
  | { gap: string; reveal: (r: Told) => boolean };

interface Told {
  response: { response: { clientDataJSON: string; attestationObject?: string; authenticatorData?: string } };
  info: { credentialDeviceType?: string };
}

const clientData = (t: Told) =>
  JSON.parse(utf8.decode(b64u.decode(t.response.response.clientDataJSON))) as Record<string, unknown>;

/** What SimpleWebAuthn 14 does with each wrong answer, by `${name} ${ceremony}`. */
const EXPECTED: Record<string, Outcome> = {
  'client-data-type registration': { rejects: /Unexpected registration response type/ },
  'client-data-type authentication': { rejects: /Unexpected authentication response type/ },
  'client-data-challenge registration': { rejects: /Unexpected registration response challenge/ },
  'client-data-challenge authentication': { rejects: /Unexpected authentication response challenge/ },
  'client-data-origin registration': {
    rejects: /Unexpected registration response origin "https:\/\/wrong-answer.invalid"/,
  },
  'client-data-origin authentication': {
    rejects: /Unexpected authentication response origin "https:\/\/wrong-answer.invalid"/,
  },
  'client-data-cross-origin registration': {
    gap: 'crossOrigin is not read',
    reveal: (t) => clientData(t).crossOrigin === true,
  },
  'client-data-cross-origin authentication': {
    gap: 'crossOrigin without topOrigin passes',
    reveal: (t) => clientData(t).crossOrigin === true,
  },
  'client-data-top-origin registration': {
    gap: 'topOrigin is not read at registration',
    reveal: (t) => clientData(t).topOrigin === 'https://wrong-answer.invalid',
  },
  'client-data-top-origin authentication': {
    rejects: /cross-origin authentication response from top origin of "https:\/\/wrong-answer.invalid"/,
  },
  'cbor-malformed registration': { rejects: /not supported or well formed/ },
  'cbor-trailing registration': {
    gap: 'the attestationObject is decoded with decodeFirst',
    reveal: (t) => {
      const bytes = b64u.decode(t.response.response.attestationObject!);
      return decodeFirst(bytes)[1] < bytes.length;
    },
  },
  'authdata-truncated registration': { rejects: /not supported or well formed/ },
  'authdata-truncated authentication': { rejects: /Authenticator data was 36 bytes, expected at least 37 bytes/ },
  'rp-id-hash registration': { rejects: /Unexpected RP ID hash/ },
  'rp-id-hash authentication': { rejects: /Unexpected RP ID hash/ },
  'up-cleared registration': { rejects: /User presence was required, but user was not present/ },
  'up-cleared authentication': { rejects: /User not present during authentication/ },
  'uv-cleared registration': { rejects: /User verification was required, but user could not be verified/ },
  'uv-cleared authentication': { rejects: /User verification required, but user could not be verified/ },
  'bs-without-be registration': { rejects: /Single-device credential indicated that it was backed up/ },
  'bs-without-be authentication': { rejects: /Single-device credential indicated that it was backed up/ },
  'be-flip authentication': {
    gap: "the stored BE is the RP's to compare",
    reveal: (t) => t.info.credentialDeviceType === 'singleDevice',
  },
  'counter-zero authentication': { rejects: /Response counter value 0 was lower than expected 2/ },
  'counter-fixed authentication': { rejects: /Response counter value 2 was lower than expected 2/ },
  'counter-backwards authentication': { rejects: /Response counter value 1 was lower than expected 2/ },
  'bad-signature authentication': { unverified: true },
  'cose-alg registration': { rejects: /Unexpected public key alg "-36", expected one of "-7"/ },
  'cose-curve registration': {
    gap: "a packed x5c statement is signed by the leaf, and the key's curve is not compared with its alg",
    reveal: (t) => {
      const ao = decode(b64u.decode(t.response.response.attestationObject!), 8) as CborMap;
      const key = decode(
        parseAuthenticatorData(ao.get('authData') as Uint8Array).attestedCredentialData!.credentialPublicKey,
      ) as CborMap;
      return key.get(3) === -7 && key.get(-1) !== 1; // WebAuthn L3 §5.8.5: ES256 keys name crv P-256 (1)
    },
  },
  'attestation-other-bytes registration': { unverified: true },
  'certificate-expired registration': { rejects: /Certificate not good after/ },
  'certificate-aaguid registration': { rejects: /id-fido-gen-ce-aaguid .* was present but not equal to attestation/ },
};

describe('deliberately wrong answers, refused by @simplewebauthn/server', () => {
  let key: SoftKey;
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', attestation: 'packed-chain', backupEligible: true });
    key.control.setUv({ available: true });
    SettingsService.setRootCertificates({
      identifier: 'packed',
      certificates: (await key.control.attestationRoots()).roots,
    });
  });
  after(async () => {
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [] });
    await key.close();
  });

  async function register(): Promise<{ told: Told; verify: () => ReturnType<typeof verifyRegistrationResponse> }> {
    const challenge = b64u.encode(random(32));
    const options = {
      rp: { name: 'Example', id: RP_ID },
      user: { id: b64u.encode(random(16)), name: 'alice', displayName: 'Alice' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { userVerification: 'required' },
      attestation: 'direct',
    };
    const response = await key.client.create(options as never, { origin: ORIGIN });
    const verify = () =>
      verifyRegistrationResponse({
        response: response as never,
        expectedChallenge: challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: true,
        supportedAlgorithmIDs: [-7],
      });
    return { told: { response, info: {} }, verify };
  }

  async function signIn(credential: WebAuthnCredential) {
    const challenge = b64u.encode(random(32));
    const options = {
      challenge,
      rpId: RP_ID,
      allowCredentials: [{ type: 'public-key', id: credential.id }],
      userVerification: 'required',
    };
    const response = await key.client.get(options as never, { origin: ORIGIN });
    const verify = () =>
      verifyAuthenticationResponse({
        response: response as never,
        expectedChallenge: challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
        requireUserVerification: true,
      });
    return { response, verify };
  }

  it('the catalog names every wrong answer the client and the authenticator tell, and the table here covers each', () => {
    const client = WRONG_ANSWERS.filter((w) => w.layer === 'client').map((w) => w.name);
    assert.deepEqual([...client].sort(), [...CLIENT_WRONG_ANSWERS].sort());
    const cases = WRONG_ANSWERS.flatMap((w) => w.ceremonies.map((c) => `${w.name} ${c}`));
    assert.deepEqual(cases.sort(), Object.keys(EXPECTED).sort());
    assert.equal(WRONG_ANSWERS.length, 22);
  });

  for (const w of WRONG_ANSWERS) {
    for (const ceremony of w.ceremonies) {
      const expected = EXPECTED[`${w.name} ${ceremony}`]!;
      const how =
        'rejects' in expected
          ? `refused: ${expected.rejects.source}`
          : 'unverified' in expected
            ? 'not verified'
            : `RP's own check (${expected.gap})`;
      it(`${w.name} in ${ceremony}: ${how}`, async () => {
        let told: Told;
        let result: Promise<{ verified: boolean; authenticationInfo?: { credentialDeviceType: string } }>;
        if (ceremony === 'registration') {
          key.control.override({ answer: w.name, once: true, ceremony });
          const r = await register();
          told = r.told;
          result = r.verify();
        } else {
          const registered = await (await register()).verify();
          assert.ok(registered.verified);
          const credential = { ...registered.registrationInfo!.credential };
          for (let i = 0; i < 2; i++) {
            const honest = await (await signIn(credential)).verify();
            assert.ok(honest.verified, 'an honest sign-in verifies');
            credential.counter = honest.authenticationInfo.newCounter;
          }
          key.control.override({ answer: w.name, once: true, ceremony });
          const s = await signIn(credential);
          told = { response: s.response, info: {} };
          result = s.verify();
        }
        assert.deepEqual(key.control.overrides().armed, [], 'a one-time wrong answer is used up');
        if ('rejects' in expected) return void (await assert.rejects(result, expected.rejects));
        const verified = await result;
        if ('unverified' in expected) return void assert.equal(verified.verified, false);
        assert.equal(verified.verified, true, `SimpleWebAuthn 14 verifies it (${expected.gap})`);
        told.info = {
          ...(verified.authenticationInfo && {
            credentialDeviceType: verified.authenticationInfo.credentialDeviceType,
          }),
        };
        assert.ok(expected.reveal(told), 'the response shows the lie the RP must refuse');
      });
    }
  }

  it('the README table has a row per wrong answer, with its check and what softkey emits', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const w of WRONG_ANSWERS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${w.name}\` |`));
      assert.ok(row, `README row for ${w.name}`);
      assert.ok(
        row.includes(w.check.replace(/\|/g, '\\|')) && row.includes(w.emits.replace(/\|/g, '\\|')),
        `README row for ${w.name} is current`,
      );
    }
  });

  it('an override stays armed until cleared, per ceremony, and bad input names the cause', async () => {
    key.control.override({ answer: ['up-cleared', 'client-data-origin'], ceremony: 'registration' });
    for (let i = 0; i < 2; i++)
      await assert.rejects((await register()).verify(), /origin "https:\/\/wrong-answer.invalid"/);
    assert.deepEqual(
      key.control.overrides().armed.map((a) => [a.answer, a.ceremonies, a.once]),
      [
        ['up-cleared', ['registration'], false],
        ['client-data-origin', ['registration'], false],
      ],
    );
    key.control.clearOverrides();
    assert.ok((await (await register()).verify()).verified);
    assert.throws(
      () => key.control.override({ answer: 'nope' }),
      /unknown wrong answer "nope" \(known: client-data-type/,
    );
    assert.throws(
      () => key.control.override({ answer: 'bad-signature', ceremony: 'registration' }),
      /bad-signature is a wrong answer of authentication only/,
    );
    assert.throws(() => key.control.override({ answer: 'up-cleared', once: 'yes' }), /once must be true or false/);
  });
});
