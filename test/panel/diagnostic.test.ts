/**
 * The trace's CBOR printer (src/encoding/cborDiagnostic.ts) against cbor2's diagnose (RFC 8949 §8
 * diagnostic notation) as an independent oracle, on generated CTAP-shaped values.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { diagnose } from 'cbor2';
import fc from 'fast-check';
import { decode, encode, type Encodable } from '../../src/encoding/cbor.js';
import { diagnoseBytes, diagnostic } from '../../src/encoding/cborDiagnostic.js';

const leaf = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<Encodable> = fc.letrec<{ v: Encodable }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -20, max: 20 }), tie('v')), { maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
  ),
})).v;

it('prints what cbor2 diagnose prints', () => {
  fc.assert(
    fc.property(value, (v) => {
      const bytes = encode(v);
      assert.equal(diagnostic(decode(bytes), { maxBytes: Infinity }), diagnose(bytes));
    }),
    { numRuns: 500 },
  );
});

it('shortens long byte strings and refuses what is not strict CBOR', () => {
  assert.equal(diagnostic(new Uint8Array(70).fill(0xab), { maxBytes: 2 }), "h'abab…' /70 bytes/");
  assert.equal(diagnoseBytes(new Uint8Array([0xa2, 0x02, 0x00, 0x01, 0x00])), undefined, 'unsorted keys');
  assert.equal(diagnoseBytes(new Uint8Array([0x18, 0x01])), undefined, 'non-minimal integer');
});
