/**
 * The strict CTAP2 CBOR codec: RFC 8949 Appendix A vectors (the subset CTAP uses; floats, tags,
 * undefined and indefinite lengths are rejected by design), strictness, and cbor2 as an
 * independent oracle in a fast-check round trip.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decode as oracleDecode, encode as oracleEncode } from 'cbor2';
import { sortLengthFirstDeterministic } from 'cbor2/sorts';
import { fromHex, toHex } from '../../src/encoding/bytes.js';
import { CborError, decode, encode, type CborValue, type Encodable } from '../../src/encoding/cbor.js';

// RFC 8949 Appendix A: [diagnostic value, hex]
const VECTORS: Array<[Encodable, string]> = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [18446744073709551615n, '1bffffffffffffffff'],
  [-18446744073709551616n, '3bffffffffffffffff'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [new Uint8Array([]), '40'],
  [new Uint8Array([1, 2, 3, 4]), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\ud800\udd51', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [new Map(), 'a0'],
  [
    new Map([
      [1, 2],
      [3, 4],
    ]),
    'a201020304',
  ],
  [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
  [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
];
// Not supported on purpose (CTAP2 §8 forbids or never uses them): floats (f9…, fa…, fb…),
// tags (c0…, c1…, d7…, d8…), undefined (f7), other simple values (f0, f8ff), indefinite lengths (5f…, 7f…, 9f…, bf…).
const REJECTED = [
  'f90000',
  'fa47c35000',
  'fb3ff199999999999a',
  'c074323031332d30332d32315432303a30343a30305a',
  'f7',
  'f0',
  'f8ff',
  '5f42010243030405ff',
  '7f657374726561646d696e67ff',
  '9fff',
  'bf61610161629f0203ffff',
];

describe('CBOR (RFC 8949 Appendix A subset)', () => {
  for (const [value, hex] of VECTORS) {
    it(`encodes and decodes ${hex}`, () => {
      assert.equal(toHex(encode(value)), hex);
      const decoded = decode(fromHex(hex));
      assert.equal(toHex(encode(decoded as Encodable)), hex);
    });
  }
  for (const hex of REJECTED) {
    it(`rejects ${hex}`, () => assert.throws(() => decode(fromHex(hex)), CborError));
  }
});

describe('CBOR strictness (CTAP2 canonical)', () => {
  const rejects = (hex: string, why: RegExp) => assert.throws(() => decode(fromHex(hex)), why);
  it('rejects non-minimal integers and lengths', () => {
    rejects('1817', /non-minimal/);
    rejects('190017', /non-minimal/);
    rejects('1a0000ffff', /non-minimal/);
    rejects('1b00000000ffffffff', /non-minimal/);
    rejects('5801ff', /non-minimal/);
  });
  it('rejects unsorted and duplicate keys, in CTAP2 length-first order', () => {
    rejects('a202000100', /canonical order/);
    rejects('a201000100', /canonical order/);
    rejects('a2626161006162 00'.replace(' ', ''), /canonical order/); // "aa" before "b"
    assert.deepEqual(
      decode(fromHex('a2616200626161 00'.replace(' ', ''))),
      new Map([
        ['b', 0],
        ['aa', 0],
      ]),
    );
    assert.equal(
      toHex(
        encode(
          new Map<string | number, Encodable>([
            ['aa', 0],
            ['b', 0],
            [-1, 0],
            [10, 0],
          ]),
        ),
      ),
      'a40a0020006162006261610' + '0',
    );
  });
  it('rejects trailing bytes, truncation, invalid UTF-8 and deep nesting', () => {
    rejects('0000', /trailing/);
    rejects('62c3', /end of input|exceeds/);
    rejects('61ff', /UTF-8/);
    assert.doesNotThrow(() => decode(fromHex('81818180')));
    rejects('8181818180', /nesting/);
    rejects('a1 01 a1 01 a1 01 a1 01 a0'.replace(/ /g, ''), /nesting/);
  });
  it('rejects non-text, non-integer map keys', () => {
    rejects('a14100 00'.replace(' ', ''), /keys/);
  });
});

const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 6 })), tie('v')), {
        maxLength: 4,
      })
      .map((entries) => new Map(entries)),
  ),
})).v;

const depth = (v: CborValue): number =>
  Array.isArray(v)
    ? 1 + Math.max(0, ...v.map(depth))
    : v instanceof Map
      ? 1 + Math.max(0, ...[...v.values()].map(depth))
      : 0;

describe('CBOR against cbor2 (independent oracle)', () => {
  it('round-trips and agrees byte-for-byte with cbor2 length-first canonical encoding', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const ours = encode(value);
        const theirs = oracleEncode(value, { sortKeys: sortLengthFirstDeterministic });
        assert.equal(toHex(ours), toHex(theirs));
        if (depth(value) <= 4) assert.deepEqual(decode(ours), oracleDecode(ours, { preferMap: true }));
      }),
      { numRuns: 300 },
    );
  });
  it('never throws anything but CborError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decode(bytes);
        } catch (e) {
          assert.ok(e instanceof CborError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('short text strings (decoded strings are remembered by a hash of their bytes)', () => {
  it('answers each string as cbor2 does, however many share a slot and however often they repeat', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 70 }), { minLength: 1, maxLength: 600 }), (strings) => {
        const bytes = encode(strings);
        const expected = oracleDecode(bytes) as string[];
        assert.deepEqual(decode(bytes), expected);
        assert.deepEqual(decode(bytes), expected);
        assert.deepEqual(decode(encode([...strings].reverse())), [...expected].reverse());
      }),
      { numRuns: 100 },
    );
  });
});
