/** r ‖ s ↔ DER for the seed's 64-byte "Attest signature", against node:crypto's two encodings. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { it } from 'node:test';
import fc from 'fast-check';
import { derToRawSignature, rawToDerSignature } from '../../src/securecore/ecdsaSignature.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

it('DER from node:crypto → r ‖ s verifies as IEEE P1363, and converts back to the same DER', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
      const der = new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
      const raw = derToRawSignature(der);
      assert.equal(raw.length, 64);
      assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw));
      assert.deepEqual(rawToDerSignature(raw), der);
    }),
    { numRuns: 200 },
  );
});

it('small and high-bit integers get minimal DER INTEGERs', () => {
  const raw = new Uint8Array(64);
  raw[31] = 1; // r = 1
  raw[32] = 0x80; // s with its high bit set: a 0x00 pad byte
  assert.deepEqual(
    rawToDerSignature(raw),
    new Uint8Array([0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00, 0x80, ...new Array(31).fill(0)]),
  );
  assert.deepEqual(derToRawSignature(rawToDerSignature(raw)), raw);
  assert.throws(() => derToRawSignature(new Uint8Array([0x30, 0x00])), RangeError);
  assert.throws(() => rawToDerSignature(new Uint8Array(63)), RangeError);
});
