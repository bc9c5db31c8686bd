/** BIP44 path rules and encoding (§1.2). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodePath, formatPath, parsePathString, pathRuleViolation, readPath } from '../../src/wallet/bip32Path.js';
import { ApduError } from '../../src/wallet/statusWords.js';
import { hex, unhex } from './helpers.js';

function swOf(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ApduError);
    return e.sw;
  }
}

describe('BIP44 paths', () => {
  it("m/44'/461'/0'/0/1 is 2c000080 cd010080 00000080 00000000 01000000 (little-endian)", () => {
    const p = parsePathString("m/44'/461'/0'/0/1");
    assert.equal(hex(encodePath(p.elements)), '2c000080cd010080000000800000000001000000');
    assert.deepEqual(readPath(unhex('2c000080cd010080000000800000000001000000')), p);
    assert.equal(p.network, 'mainnet');
    assert.equal(formatPath(p.elements), "44'/461'/0'/0/1");
  });

  it("44'/1' is testnet", () => {
    assert.equal(parsePathString("m/44'/1'/0'/0/1").network, 'testnet');
  });

  it("rules: purpose 44', coin 461' or 1', hardened account; others free", () => {
    assert.equal(pathRuleViolation([0x8000002c, 0x800001cd, 0x80000000, 0xffffffff, 0x80000005]), undefined);
    assert.ok(pathRuleViolation([44, 0x800001cd, 0x80000000, 0, 0]));
    assert.ok(pathRuleViolation([0x8000002c, 461, 0x80000000, 0, 0]));
    assert.ok(pathRuleViolation([0x8000002c, 0x8000003c, 0x80000000, 0, 0]));
    assert.ok(pathRuleViolation([0x8000002c, 0x800001cd, 0, 0, 0]));
    assert.ok(pathRuleViolation([0x8000002c, 0x800001cd, 0x80000000, 0]));
  });

  it('readPath: < 20 bytes → 6700, rule violation → 6984, extra bytes ignored', () => {
    assert.equal(
      swOf(() => readPath(new Uint8Array(19))),
      0x6700,
    );
    assert.equal(
      swOf(() => readPath(new Uint8Array(20))),
      0x6984,
    );
    const bytes = unhex('2c000080cd010080000000800000000001000000ffff');
    assert.equal(
      swOf(() => readPath(bytes)),
      undefined,
    );
  });

  it('string parsing accepts h, rejects junk', () => {
    assert.deepEqual(parsePathString('44h/461h/2h/0/7').elements, [0x8000002c, 0x800001cd, 0x80000002, 0, 7]);
    assert.throws(() => parsePathString("m/44'/461'/x/0/0"), RangeError);
    assert.throws(() => parsePathString("m/44'/60'/0'/0/0"), /coin type/);
    assert.throws(() => parsePathString("m/44'/461'/0/0/0"), /hardened/);
    assert.throws(() => parsePathString("m/44'/461'/2147483648'/0/0"), RangeError);
  });

  it('encode/read round-trip for every valid path', () => {
    const valid = fc.tuple(
      fc.constantFrom(0x800001cd, 0x80000001),
      fc.integer({ min: 0x80000000, max: 0xffffffff }),
      fc.nat({ max: 0xffffffff }),
      fc.nat({ max: 0xffffffff }),
    );
    fc.assert(
      fc.property(valid, ([coin, account, change, index]) => {
        const elements = [0x8000002c, coin, account, change, index];
        assert.deepEqual(readPath(encodePath(elements)).elements, elements);
        assert.deepEqual(parsePathString(formatPath(elements)).elements, elements);
      }),
    );
  });
});
