/**
 * Sealed credential IDs (store/credentialId.ts): version 0x02 carries the hmac-secret and
 * thirdPartyPayment flags and a credBlob; version 0x01 IDs still open; anything else does not.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { aesGcmSeal } from '../../src/crypto/aead.js';
import { concat } from '../../src/encoding/bytes.js';
import { CoseAlg } from '../../src/encoding/cose.js';
import { CREDENTIAL_ID_VERSION, openCredentialId, sealCredentialId, type CredentialIdPayload } from '../../src/store/credentialId.js';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const wrapKey = bytes(32);
const rpIdHash = bytes(32);
const payload = (over: Partial<CredentialIdPayload> = {}): CredentialIdPayload => ({
  discoverable: false,
  u2f: false,
  alg: CoseAlg.ES256,
  credProtect: 1,
  secret: bytes(32),
  ...over,
});

describe('credential ID versions', () => {
  it('writes version 0x02 and round-trips every field', () => {
    const p = payload({ discoverable: true, credProtect: 3, credBlob: bytes(32), hmacSecret: true, thirdPartyPayment: true });
    const id = sealCredentialId(wrapKey, rpIdHash, p, bytes(12));
    assert.equal(CREDENTIAL_ID_VERSION, 2);
    assert.equal(id[0], 2);
    assert.deepEqual(openCredentialId(wrapKey, rpIdHash, id), p);
    const plain = sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12));
    const opened = openCredentialId(wrapKey, rpIdHash, plain)!;
    assert.equal(opened.hmacSecret, undefined);
    assert.equal(opened.thirdPartyPayment, undefined);
  });

  it('opens version 0x01 IDs; refuses the new flags in them', () => {
    const p = payload({ credBlob: new Uint8Array([5]) });
    const v1 = sealCredentialId(wrapKey, rpIdHash, p, bytes(12), 1);
    assert.equal(v1[0], 1);
    assert.deepEqual(openCredentialId(wrapKey, rpIdHash, v1), p);
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload({ thirdPartyPayment: true }), bytes(12), 1), RangeError);
    assert.throws(() => sealCredentialId(wrapKey, rpIdHash, payload(), bytes(12), 3), RangeError);
  });

  it('does not open another RP, a changed version byte, unknown versions or unknown flag bits', () => {
    const id = sealCredentialId(wrapKey, rpIdHash, payload({ hmacSecret: true }), bytes(12));
    assert.equal(openCredentialId(wrapKey, bytes(32), id), undefined);
    const relabelled = id.slice();
    relabelled[0] = 1; // the version is authenticated data: a v2 ID cannot pass as v1
    assert.equal(openCredentialId(wrapKey, rpIdHash, relabelled), undefined);
    // A well-sealed ID of an unknown version, and a v2 ID with an undefined flag bit.
    const seal = (version: number, flags: number) => {
      const nonce = bytes(12);
      const header = new Uint8Array([version]);
      const plaintext = concat(new Uint8Array([flags, 1, 1, 0]), bytes(32));
      return concat(header, nonce, aesGcmSeal(wrapKey, nonce, plaintext, concat(header, rpIdHash)));
    };
    assert.ok(openCredentialId(wrapKey, rpIdHash, seal(2, 0b1100)));
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(3, 0)), undefined);
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(2, 0b10000)), undefined);
    assert.equal(openCredentialId(wrapKey, rpIdHash, seal(1, 0b100)), undefined);
  });
});
