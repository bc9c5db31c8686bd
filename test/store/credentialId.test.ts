/**
 * Sealed credential IDs (store/credentialId.ts): version 0x03 seals only the private part of EC and
 * EdDSA keys and carries the hmac-secret and thirdPartyPayment flags and a credBlob; version 0x02
 * (129-byte ES256 IDs) and 0x01 IDs still open; anything else does not.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { aesGcmSeal } from '../../src/crypto/aead.js';
import { concat } from '../../src/encoding/bytes.js';
import { generateCredentialKey } from '../../src/crypto/credentialKeys.js';
import { CoseAlg, type CredentialAlg } from '../../src/encoding/cose.js';
import {
  CREDENTIAL_ID_VERSION,
  openCredentialId,
  sealCredentialId,
  type CredentialIdPayload,
} from '../../src/store/credentialId.js';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const wrapKey = bytes(32);
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
    assert.deepEqual(openCredentialId(wrapKey, rpIdHash, id), p);
    const plain = sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12));
    const opened = openCredentialId(wrapKey, rpIdHash, plain)!;
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
      assert.deepEqual(openCredentialId(wrapKey, rpIdHash, v3), p, `v3 ${alg}`);
      assert.deepEqual(openCredentialId(wrapKey, rpIdHash, v2), p, `v2 ${alg}`);
    }
    const rsa = payload({ alg: CoseAlg.RS256, secret: generateCredentialKey(CoseAlg.RS256).secret });
    assert.deepEqual(openCredentialId(wrapKey, rpIdHash, sealCredentialId(wrapKey, rpIdHash, rsa, bytes(12))), rsa);
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
    assert.ok(openCredentialId(wrapKey, rpIdHash, seal(generateCredentialKey(CoseAlg.ES256).secret.slice(0, 32))));
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(new Uint8Array(32))), undefined);
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(bytes(96))), undefined);
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload({ secret: bytes(32) }), bytes(12)), RangeError);
  });

  it('opens version 0x01 IDs; refuses the new flags in them', () => {
    const p = payload({ credBlob: new Uint8Array([5]) });
    const v1 = sealCredentialId(wrapKey, rpIdHash, p, bytes(12), 1);
    assert.equal(v1[0], 1);
    assert.deepEqual(openCredentialId(wrapKey, rpIdHash, v1), p);
    assert.throws(
      () => sealCredentialId(wrapKey, rpIdHash, payload({ thirdPartyPayment: true }), bytes(12), 1),
      RangeError,
    );
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12), 4), RangeError);
  });

  it('does not open another RP, a changed version byte, unknown versions or unknown flag bits', () => {
    const id = sealCredentialId(wrapKey, rpIdHash, payload({ hmacSecret: true }), bytes(12));
    assert.equal(openCredentialId(wrapKey, bytes(32), id), undefined);
    const relabelled = id.slice();
    relabelled[0] = 2; // the version is authenticated data: a v3 ID cannot pass as v2
    assert.equal(openCredentialId(wrapKey, rpIdHash, relabelled), undefined);
    // A well-sealed ID of an unknown version, and a v2 ID with an undefined flag bit.
    const seal = (version: number, flags: number) => {
      const nonce = bytes(12);
      const header = new Uint8Array([version]);
      const plaintext = concat(new Uint8Array([flags, 1, 1, 0]), bytes(32));
      return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
    };
    assert.ok(openCredentialId(wrapKey, rpIdHash, seal(2, 0b1100)));
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(4, 0)), undefined);
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(2, 0b10000)), undefined);
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(1, 0b100)), undefined);
  });
});
