/** Filecoin address encoding (§3) against the spec's and manual.json's vectors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  base32Lower,
  decodeLeb128,
  delegatedEthAddress,
  encodeLeb128,
  formatAddress,
  isValidAddressBytes,
  secp256k1AddressBytes,
} from '../../src/wallet/address.js';
import { ADDRESS_VECTORS, hex, unhex } from './helpers.js';

describe('addresses', () => {
  it('manual.json address strings', () => {
    const vectors: Array<[string, string]> = [
      ['01fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', 'f17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy'],
      ['01b882619d46558f3d9e316d11b48dcf211327025a', 'f1xcbgdhkgkwht3hrrnui3jdopeejsoas2rujnkdi'],
      ['009601', 'f0150'],
      ['02e54dea4f9bc5b47d261819826d5e1fbf8bc5503b', 'f24vg6ut43yw2h2jqydgbg2xq7x6f4kub3bg6as6i'],
      ['040ad4224267c4ab4a184bd1aa066b3361e70efbbeaf', 'f410f2qreez6evnfbqs6rvidgwm3b44hpxpvpeuoddga'],
    ];
    for (const [bytes, s] of vectors) assert.equal(formatAddress(unhex(bytes)), s);
  });

  it('the unit-test public key gives its f1 address', () => {
    const pk = unhex(
      '0466f2bdb19e90fd7c29e4bf63612eb98515e5163c97888042364ba777d818e88b765c649056ba4a62292ae4e2ccdabd71b845d8fa0991c140f664d2978ac0972a',
    );
    const bytes = secp256k1AddressBytes(pk);
    assert.equal(hex(bytes), '01dfe49184d46adc8f89d44638beb45f78fcad2590');
    assert.equal(formatAddress(bytes), 'f137sjdbgunloi7couiy4l5nc7pd6k2jmq32vizpy');
  });

  it('the spec key vectors: ADDR_B and ADDR_S from PK; 41 characters; t on testnet', () => {
    for (const v of ADDRESS_VECTORS) {
      const bytes = secp256k1AddressBytes(unhex(v.pk));
      assert.equal(hex(bytes), v.addrB);
      const s = formatAddress(bytes, v.path.includes("/1'/") ? 'testnet' : 'mainnet');
      assert.equal(s, v.addrS);
      assert.equal(s.length, 41);
    }
  });

  it('f4 0x form only for 20-byte subaddresses', () => {
    assert.equal(
      delegatedEthAddress(unhex('040ad4224267c4ab4a184bd1aa066b3361e70efbbeaf')),
      '0xd4224267c4ab4a184bd1aa066b3361e70efbbeaf',
    );
    assert.equal(delegatedEthAddress(unhex('040a0102')), undefined);
    assert.equal(delegatedEthAddress(unhex('01fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628')), undefined);
  });

  it('address checks (§4.1)', () => {
    assert.equal(isValidAddressBytes(unhex('00')), false);
    assert.equal(isValidAddressBytes(unhex('0001')), true);
    assert.equal(isValidAddressBytes(unhex(`00${'01'.repeat(21)}`)), false);
    assert.equal(isValidAddressBytes(unhex(`01${'01'.repeat(19)}`)), false);
    assert.equal(isValidAddressBytes(unhex(`03${'01'.repeat(48)}`)), true);
    assert.equal(isValidAddressBytes(unhex('040a')), false);
    assert.equal(isValidAddressBytes(unhex(`05${'01'.repeat(20)}`)), false);
  });

  it('base32 matches RFC 4648 test vectors (lower case, no padding)', () => {
    const rfc: Array<[string, string]> = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [input, out] of rfc) assert.equal(base32Lower(new TextEncoder().encode(input)), out);
  });

  it('LEB128 round-trips every uint64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const b = encodeLeb128(v);
        assert.deepEqual(decodeLeb128(b), { value: v, length: b.length });
        assert.equal(decodeLeb128(b.subarray(0, b.length - 1)), undefined);
      }),
    );
  });
});
