/**
 * Sealed credential IDs (store/credentialId.ts): version 0x04 carries no key (it is derived from the
 * ID: 33-byte IDs); version 0x03 seals only the private part of EC and EdDSA keys and carries the
 * hmac-secret and thirdPartyPayment flags and a credBlob; version 0x02 (129-byte ES256 IDs) and 0x01
 * IDs still open; anything else does not.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, it } from 'node:test';
import { aesGcmSeal } from '../../src/crypto/aead.js';
import { concat } from '../../src/encoding/bytes.js';
import {
  EC_GROUP_ORDERS,
  generateCredentialKey,
  signWithSecret,
  verifySignature,
} from '../../src/crypto/credentialKeys.js';
import { CoseAlg, type CredentialAlg } from '../../src/encoding/cose.js';
import {
  CREDENTIAL_ID_VERSION,
  derivationKeyOf,
  DERIVED_CREDENTIAL_ID_VERSION,
  openCredentialId,
  sealCredentialId,
  sealDerivedCredentialId,
  type CredentialIdPayload,
  type CredentialOptions,
} from '../../src/store/credentialId.js';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const wrapKey = bytes(32);
const seed = bytes(32);
const keys = { wrapKey, derivationKey: derivationKeyOf(seed) };
const rpIdHash = bytes(32);
const payload = (over: Partial<CredentialIdPayload> = {}): CredentialIdPayload => ({
  discoverable: false,
  u2f: false,
  alg: CoseAlg.ES256,
  credProtect: 1,
  secret: generateCredentialKey(CoseAlg.ES256).secret,
  ...over,
});

describe('credential ID versions', () => {
  it('writes version 0x03 and round-trips every field', () => {
    const p = payload({
      discoverable: true,
      credProtect: 3,
      credBlob: bytes(32),
      hmacSecret: true,
      thirdPartyPayment: true,
    });
    const id = sealCredentialId(wrapKey, rpIdHash, p, bytes(12));
    assert.equal(CREDENTIAL_ID_VERSION, 3);
    assert.equal(id[0], 3);
    assert.deepEqual(openCredentialId(keys, rpIdHash, id), p);
    const plain = sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12));
    const opened = openCredentialId(keys, rpIdHash, plain)!;
    assert.equal(opened.hmacSecret, undefined);
    assert.equal(opened.thirdPartyPayment, undefined);
  });

  it('version 0x03 seals only the private part: the public point comes back on open, for every algorithm', () => {
    const sizes: Array<[CredentialAlg, number, number]> = [
      [CoseAlg.ES256, 65, 129],
      [CoseAlg.ES384, 81, 177],
      [CoseAlg.ES512, 99, 231],
      [CoseAlg.EdDSA, 65, 97],
    ];
    for (const [alg, v3Length, v2Length] of sizes) {
      const p = payload({ alg, secret: generateCredentialKey(alg).secret });
      const v3 = sealCredentialId(wrapKey, rpIdHash, p, bytes(12));
      const v2 = sealCredentialId(wrapKey, rpIdHash, p, bytes(12), 2);
      assert.deepEqual([alg, v3.length, v2.length], [alg, v3Length, v2Length]);
      assert.deepEqual(openCredentialId(keys, rpIdHash, v3), p, `v3 ${alg}`);
      assert.deepEqual(openCredentialId(keys, rpIdHash, v2), p, `v2 ${alg}`);
    }
    const rsa = payload({ alg: CoseAlg.RS256, secret: generateCredentialKey(CoseAlg.RS256).secret });
    assert.deepEqual(openCredentialId(keys, rpIdHash, sealCredentialId(wrapKey, rpIdHash, rsa, bytes(12))), rsa);
  });

  it('a v3 ID whose sealed scalar is no P-256 key (zero, or the wrong length) does not open', () => {
    const seal = (secret: Uint8Array) => {
      const nonce = bytes(12);
      const header = new Uint8Array([3]);
      return concat(
        header,
        nonce,
        aesGcmSeal(wrapKey, nonce, concat(new Uint8Array([0, 1, 1, 0]), secret), concat(header, rpIdHash)),
      );
    };
    assert.ok(openCredentialId(keys, rpIdHash, seal(generateCredentialKey(CoseAlg.ES256).secret.slice(0, 32))));
    assert.equal(openCredentialId(keys, rpIdHash, seal(new Uint8Array(32))), undefined);
    assert.equal(openCredentialId(keys, rpIdHash, seal(bytes(96))), undefined);
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload({ secret: bytes(32) }), bytes(12)), RangeError);
  });

  it('opens version 0x01 IDs; refuses the new flags in them', () => {
    const p = payload({ credBlob: new Uint8Array([5]) });
    const v1 = sealCredentialId(wrapKey, rpIdHash, p, bytes(12), 1);
    assert.equal(v1[0], 1);
    assert.deepEqual(openCredentialId(keys, rpIdHash, v1), p);
    assert.throws(
      () => sealCredentialId(wrapKey, rpIdHash, payload({ thirdPartyPayment: true }), bytes(12), 1),
      RangeError,
    );
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12), 4), RangeError);
  });

  it('does not open another RP, a changed version byte, unknown versions or unknown flag bits', () => {
    const id = sealCredentialId(wrapKey, rpIdHash, payload({ hmacSecret: true }), bytes(12));
    assert.equal(openCredentialId(keys, bytes(32), id), undefined);
    const relabelled = id.slice();
    relabelled[0] = 2; // the version is authenticated data: a v3 ID cannot pass as v2
    assert.equal(openCredentialId(keys, rpIdHash, relabelled), undefined);
    // A well-sealed ID of an unknown version, and a v2 ID with an undefined flag bit.
    const seal = (version: number, flags: number) => {
      const nonce = bytes(12);
      const header = new Uint8Array([version]);
      const plaintext = concat(new Uint8Array([flags, 1, 1, 0]), bytes(32));
      return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
    };
    assert.ok(openCredentialId(keys, rpIdHash, seal(2, 0b1100)));
    assert.equal(openCredentialId(keys, rpIdHash, seal(5, 0)), undefined);
    // Version 0x04 carries no key: one with key bytes after the credBlob is not one this device made.
    assert.equal(openCredentialId(keys, rpIdHash, seal(4, 0)), undefined);
    assert.equal(openCredentialId(keys, rpIdHash, seal(2, 0b10000)), undefined);
    assert.equal(openCredentialId(keys, rpIdHash, seal(1, 0b100)), undefined);
  });
});

describe('credential ID version 0x04: the key is derived, not carried', () => {
  const options = (over: Partial<CredentialOptions> = {}): CredentialOptions => ({
    discoverable: false,
    u2f: false,
    alg: CoseAlg.ES256,
    credProtect: 1,
    ...over,
  });
  const derivable: Array<[CredentialAlg, string]> = [
    [CoseAlg.ES256, 'ES256'],
    [CoseAlg.ES384, 'ES384'],
    [CoseAlg.ES512, 'ES512'],
    [CoseAlg.EdDSA, 'EdDSA'],
  ];

  it('the curve orders written out are those of @noble/curves', () => {
    assert.deepEqual(
      [...EC_GROUP_ORDERS.values()],
      [p256, p384, p521].map((c) => c.Point.CURVE().n),
    );
  });

  for (const [alg, name] of derivable) {
    it(`${name}: 33 bytes (+ credBlob); opening gives back the options and the same working key`, () => {
      const o = options({ alg, credProtect: 2, hmacSecret: true });
      const { id, key } = sealDerivedCredentialId(keys, rpIdHash, o, bytes(12));
      assert.deepEqual([id[0], id.length], [DERIVED_CREDENTIAL_ID_VERSION, 33]);
      const opened = openCredentialId(keys, rpIdHash, id)!;
      assert.deepEqual(opened, { ...o, secret: key.secret });
      const data = bytes(40);
      assert.ok(verifySignature(key.publicKey, data, signWithSecret(alg, opened.secret, data)));
      // A device restarted from the same vault seed derives the same key for the same ID.
      const again = openCredentialId({ wrapKey, derivationKey: derivationKeyOf(seed.slice()) }, rpIdHash, id)!;
      assert.deepEqual(again.secret, key.secret);
      const blob = bytes(32);
      const withBlob = sealDerivedCredentialId(keys, rpIdHash, options({ alg, credBlob: blob }), bytes(12));
      assert.equal(withBlob.id.length, 33 + 32);
      assert.deepEqual(openCredentialId(keys, rpIdHash, withBlob.id)?.credBlob, blob);
    });
  }

  it('keys differ per nonce, per RP ID hash and per algorithm, and with another key seed', () => {
    const nonce = bytes(12);
    const secrets = [
      sealDerivedCredentialId(keys, rpIdHash, options(), nonce).key.secret,
      sealDerivedCredentialId(keys, rpIdHash, options(), bytes(12)).key.secret,
      sealDerivedCredentialId(keys, bytes(32), options(), nonce).key.secret,
      sealDerivedCredentialId(keys, rpIdHash, options({ alg: CoseAlg.EdDSA }), nonce).key.secret,
      sealDerivedCredentialId({ wrapKey, derivationKey: derivationKeyOf(bytes(32)) }, rpIdHash, options(), nonce).key
        .secret,
    ];
    const distinct = new Set(secrets.map((s) => Buffer.from(s.subarray(0, 32)).toString('hex')));
    assert.equal(distinct.size, secrets.length);
    // The derivation key is not the seed itself, nor the wrapping key.
    assert.notDeepEqual(keys.derivationKey, seed);
    assert.notDeepEqual(keys.derivationKey, wrapKey);
  });

  it('a changed byte anywhere, another RP ID hash or another version byte: the ID does not open', () => {
    const { id } = sealDerivedCredentialId(keys, rpIdHash, options({ discoverable: true }), bytes(12));
    for (let i = 0; i < id.length; i++) {
      const bad = id.slice();
      bad[i]! ^= 0x01;
      assert.equal(openCredentialId(keys, rpIdHash, bad), undefined, `byte ${i}`);
    }
    assert.equal(openCredentialId(keys, bytes(32), id), undefined);
    assert.equal(openCredentialId(keys, rpIdHash, id.subarray(0, 32)), undefined);
    assert.equal(openCredentialId({ wrapKey: bytes(32), derivationKey: keys.derivationKey }, rpIdHash, id), undefined);
  });

  it('RS256 keys are not derived, and version 0x04 is never sealed with a key in it', () => {
    assert.throws(
      () => sealDerivedCredentialId(keys, rpIdHash, options({ alg: CoseAlg.RS256 }), bytes(12)),
      RangeError,
    );
    assert.throws(() => sealDerivedCredentialId(keys, rpIdHash, options(), bytes(8)), RangeError);
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12), 4), RangeError);
  });
});
