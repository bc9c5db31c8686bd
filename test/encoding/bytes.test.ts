/**
 * The byte helpers' shortcuts (issue 19): pooled copies must behave as copies, and toHex's memory of
 * the last ID must never answer for bytes that changed since. Node's own hex encoder is the oracle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocBytes, copyBytes, toHex } from '../../src/encoding/bytes.js';

const nodeHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('copyBytes / allocBytes', () => {
  it('copies any range of any length, and the copy does not change with its source', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(), fc.nat(), (src, a, b) => {
        const start = src.length === 0 ? 0 : a % (src.length + 1);
        const end = start + (src.length === 0 ? 0 : b % (src.length - start + 1));
        const expected = Uint8Array.from(src.subarray(start, end));
        const copy = copyBytes(src, start, end);
        assert.ok(copy instanceof Uint8Array && !Buffer.isBuffer(copy));
        assert.deepEqual(copy, expected);
        src.fill(0xee);
        assert.deepEqual(copy, expected);
      }),
    );
  });

  it('hands out pooled memory once: copies and allocations never overlap, and fresh ones are zero', () => {
    const made: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) {
      const n = 65 + ((i * 37) % 960);
      const a = allocBytes(n);
      assert.equal(a.length, n);
      assert.ok(
        a.every((x) => x === 0),
        `allocation ${i} is not zero`,
      );
      a.fill(i & 0xff);
      made.push(a, copyBytes(new Uint8Array(n).fill((i + 1) & 0xff)));
    }
    for (let i = 0; i < 600; i++) {
      assert.ok(made[2 * i]!.every((x) => x === (i & 0xff)));
      assert.ok(made[2 * i + 1]!.every((x) => x === ((i + 1) & 0xff)));
    }
  });
});

describe('toHex', () => {
  it("answers Node's hex for the same bytes asked twice, and again after they changed in place", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (bytes, at) => {
        assert.equal(toHex(bytes), nodeHex(bytes));
        assert.equal(toHex(bytes), nodeHex(bytes));
        bytes[at % bytes.length]! ^= 0x01;
        assert.equal(toHex(bytes), nodeHex(bytes));
        assert.equal(toHex(bytes.subarray(1)), nodeHex(bytes.subarray(1)));
      }),
    );
  });
});
