/**
 * PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7) against an independent oracle written
 * here directly on node:crypto (ECDH, SHA-256, HKDF, AES-256-CBC, HMAC-SHA-256), from the spec text.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateP256KeyPair, p256KeyPairFromScalar } from '../../src/crypto/pinCrypto.js';
import {
  authenticatorProtocol,
  keyAgreementCoseKey,
  padPin,
  pinHash,
  platformProtocol,
  protocolOne,
  protocolTwo,
  type PinUvAuthProtocolVersion,
  type RandomSource,
} from '../../src/ctap2/pinUvAuthProtocol.js';
import { SeededRng } from '../helpers/env.js';

// ---- The oracle ------------------------------------------------------------------------------

const buf = (b: Uint8Array) => Buffer.from(b);
const u8 = (b: Buffer) => new Uint8Array(b);

const oracle = {
  publicKey(scalar: Uint8Array) {
    const e = createECDH('prime256v1');
    e.setPrivateKey(buf(scalar));
    const p = e.getPublicKey();
    return { x: u8(p.subarray(1, 33)), y: u8(p.subarray(33)) };
  },
  /** Z: the x-coordinate of scalar × peer. */
  z(scalar: Uint8Array, x: Uint8Array, y: Uint8Array) {
    const e = createECDH('prime256v1');
    e.setPrivateKey(buf(scalar));
    return u8(e.computeSecret(Buffer.concat([Buffer.from([4]), buf(x), buf(y)])));
  },
  kdf(version: PinUvAuthProtocolVersion, z: Uint8Array) {
    if (version === 1) return u8(createHash('sha256').update(z).digest());
    const salt = Buffer.alloc(32);
    const hmacKey = Buffer.from(hkdfSync('sha256', z, salt, 'CTAP2 HMAC key', 32));
    const aesKey = Buffer.from(hkdfSync('sha256', z, salt, 'CTAP2 AES key', 32));
    return u8(Buffer.concat([hmacKey, aesKey]));
  },
  cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array) {
    const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
    c.setAutoPadding(false);
    return u8(Buffer.concat([c.update(data), c.final()]));
  },
  encrypt(version: PinUvAuthProtocolVersion, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array) {
    if (version === 1) return this.cbc(true, key, new Uint8Array(16), plaintext);
    return u8(Buffer.concat([buf(iv), buf(this.cbc(true, key.subarray(32), iv, plaintext))]));
  },
  decrypt(version: PinUvAuthProtocolVersion, key: Uint8Array, ciphertext: Uint8Array) {
    if (version === 1) return this.cbc(false, key, new Uint8Array(16), ciphertext);
    return this.cbc(false, key.subarray(32), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  },
  authenticate(version: PinUvAuthProtocolVersion, key: Uint8Array, message: Uint8Array) {
    const mac = u8(
      createHmac('sha256', version === 2 ? key.subarray(0, 32) : key)
        .update(message)
        .digest(),
    );
    return version === 1 ? mac.subarray(0, 16) : mac;
  },
};

/** A random source that hands out the given chunks first, then seeded bytes. */
function scripted(...chunks: Uint8Array[]): RandomSource {
  const rng = new SeededRng('pin-protocol-test');
  return (n) => {
    const next = chunks.shift();
    if (next) {
      assert.equal(next.length, n, 'scripted random chunk length');
      return next;
    }
    return rng.bytes(n);
  };
}

const seeded = (seed: string): RandomSource => {
  const rng = new SeededRng(seed);
  return (n) => rng.bytes(n);
};

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const PLATFORM_SCALAR = hex('1f3a5c7e9b2d4f6081a3c5e7092b4d6f8091b2c3d4e5f60718293a4b5c6d7e8f');

const VERSIONS: PinUvAuthProtocolVersion[] = [1, 2];

describe('PIN/UV auth protocol key agreement', () => {
  for (const version of VERSIONS) {
    it(`protocol ${version}: platform encapsulate and authenticator decapsulate agree, as the oracle computes`, () => {
      const authenticator = authenticatorProtocol(version, seeded(`authenticator ${version}`));
      const platform = platformProtocol(version, scripted(PLATFORM_SCALAR.slice()));
      const peer = authenticator.getPublicKey();
      assert.equal(peer.get(1), 2, 'kty EC2');
      assert.equal(peer.get(3), -25, 'alg ECDH-ES+HKDF-256');
      assert.equal(peer.get(-1), 1, 'crv P-256');
      const { keyAgreement, sharedSecret } = platform.encapsulate(peer);

      // The platform key is the public key of the scalar it drew.
      const expectedPub = oracle.publicKey(PLATFORM_SCALAR);
      assert.deepEqual(keyAgreement.get(-2), expectedPub.x);
      assert.deepEqual(keyAgreement.get(-3), expectedPub.y);
      assert.deepEqual(keyAgreement, keyAgreementCoseKey(expectedPub.x, expectedPub.y));

      // Shared secret: kdf(x-coordinate of platformScalar × authenticatorPoint).
      const z = oracle.z(PLATFORM_SCALAR, peer.get(-2) as Uint8Array, peer.get(-3) as Uint8Array);
      const expected = oracle.kdf(version, z);
      assert.equal(expected.length, version === 1 ? 32 : 64);
      assert.deepEqual(sharedSecret, expected);
      assert.deepEqual(authenticator.decapsulate(keyAgreement), expected);
    });

    it(`protocol ${version}: decapsulate refuses keys that are not P-256 points`, () => {
      const a = authenticatorProtocol(version, seeded('refuse'));
      const good = platformProtocol(version).encapsulate(a.getPublicKey()).keyAgreement;
      const variant = (label: number, value: unknown) => new Map([...good, [label, value]] as Array<[number, never]>);
      assert.ok(a.decapsulate(good));
      assert.equal(a.decapsulate(variant(1, 1)), undefined, 'kty OKP');
      assert.equal(a.decapsulate(variant(-1, 6)), undefined, 'crv Ed25519');
      assert.equal(a.decapsulate(variant(-2, new Uint8Array(31))), undefined, 'short x');
      assert.equal(a.decapsulate(variant(-3, 'y')), undefined, 'y not bytes');
      const y = (good.get(-3) as Uint8Array).slice();
      y[31]! ^= 1;
      assert.equal(a.decapsulate(variant(-3, y)), undefined, 'point not on the curve');
      assert.throws(() => platformProtocol(version).encapsulate(variant(-3, y)), TypeError);
    });
  }

  it('regenerate() makes a new key-agreement key; resetPinUvAuthToken() a new 32-byte token', () => {
    const a = authenticatorProtocol(2, seeded('regen'));
    const key = a.getPublicKey().get(-2);
    const token = a.pinUvAuthToken;
    assert.equal(token.length, 32);
    a.regenerate();
    assert.notDeepEqual(a.getPublicKey().get(-2), key);
    assert.deepEqual(a.pinUvAuthToken, token);
    a.resetPinUvAuthToken();
    assert.notDeepEqual(a.pinUvAuthToken, token);
    const before = a.getPublicKey().get(-2);
    a.initialize();
    assert.notDeepEqual(a.getPublicKey().get(-2), before);
  });

  it('draws the private scalar again when it is out of range', () => {
    const n = hex('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    assert.equal(p256KeyPairFromScalar(new Uint8Array(32)), undefined);
    assert.equal(p256KeyPairFromScalar(n), undefined);
    const pair = generateP256KeyPair(scripted(new Uint8Array(32), n.slice(), PLATFORM_SCALAR.slice()));
    assert.deepEqual(pair.privateKey, PLATFORM_SCALAR);
    assert.deepEqual({ x: pair.x, y: pair.y }, oracle.publicKey(PLATFORM_SCALAR));
  });
});

describe('PIN/UV auth protocol encrypt / decrypt', () => {
  const key64 = hex('00112233445566778899aabbccddeeff'.repeat(4));
  const key32 = key64.subarray(0, 32);

  it('protocol 1: AES-256-CBC with a zero IV, no padding', () => {
    const p = protocolOne();
    const plaintext = padPin('1234');
    const ct = p.encrypt(key32, plaintext);
    assert.equal(ct.length, 64);
    assert.deepEqual(ct, oracle.encrypt(1, key32, new Uint8Array(16), plaintext));
    assert.deepEqual(p.decrypt(key32, ct), plaintext);
    assert.equal(p.decrypt(key32, ct.subarray(0, 63)), undefined, 'not a whole number of blocks');
    assert.throws(() => p.encrypt(key32, new Uint8Array(15)), RangeError);
  });

  it('protocol 2: random IV prefixed, the AES key is the last 32 bytes of the shared secret', () => {
    const iv = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    const p = protocolTwo(scripted(iv.slice()));
    const plaintext = pinHash('1234');
    const ct = p.encrypt(key64, plaintext);
    assert.equal(ct.length, 32);
    assert.deepEqual(ct.subarray(0, 16), iv);
    assert.deepEqual(ct, oracle.encrypt(2, key64, iv, plaintext));
    assert.deepEqual(p.decrypt(key64, ct), plaintext);
    assert.equal(p.decrypt(key64, ct.subarray(0, 15)), undefined, 'shorter than an IV');
    assert.equal(p.decrypt(key64, ct.subarray(0, 31)), undefined, 'not a whole number of blocks');
    assert.deepEqual(p.decrypt(key64, ct.subarray(0, 16)), new Uint8Array(0), 'IV only: empty plaintext');
  });

  it('round-trips and matches the oracle for any block-multiple plaintext (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PinUvAuthProtocolVersion>(1, 2),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc
          .integer({ min: 0, max: 8 })
          .chain((blocks) => fc.uint8Array({ minLength: blocks * 16, maxLength: blocks * 16 })),
        (version, key, plaintext) => {
          const p = version === 1 ? protocolOne() : protocolTwo();
          const k = version === 1 ? key.subarray(0, 32) : key;
          const ct = p.encrypt(k, plaintext);
          assert.deepEqual(p.decrypt(k, ct), plaintext);
          assert.deepEqual(oracle.decrypt(version, k, ct), plaintext);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the two sides of one exchange read each other (both directions, both protocols)', () => {
    for (const version of VERSIONS) {
      const a = authenticatorProtocol(version, seeded(`exchange ${version}`));
      const platform = platformProtocol(version);
      const { keyAgreement, sharedSecret } = platform.encapsulate(a.getPublicKey());
      const s = a.decapsulate(keyAgreement)!;
      assert.deepEqual(a.decrypt(s, platform.encrypt(sharedSecret, padPin('päss wörd'))), padPin('päss wörd'));
      assert.deepEqual(platform.decrypt(sharedSecret, a.encrypt(s, a.pinUvAuthToken)), a.pinUvAuthToken);
    }
  });
});

describe('PIN/UV auth protocol authenticate / verify', () => {
  const key64 = hex('0f1e2d3c4b5a69788796a5b4c3d2e1f0'.repeat(4));

  it('protocol 1: HMAC-SHA-256 truncated to its first 16 bytes', () => {
    const p = protocolOne();
    const message = new TextEncoder().encode('clientDataHash');
    const key = key64.subarray(0, 32);
    const tag = p.authenticate(key, message);
    assert.equal(tag.length, 16);
    assert.deepEqual(tag, oracle.authenticate(1, key, message));
    assert.ok(p.verify(key, message, tag));
    const full = u8(createHmac('sha256', key).update(message).digest());
    assert.equal(p.verify(key, message, full), false, 'the untruncated HMAC is not a protocol-1 signature');
    const bad = tag.slice();
    bad[0]! ^= 1;
    assert.equal(p.verify(key, message, bad), false);
  });

  it('protocol 2: full 32-byte HMAC keyed with the first 32 bytes of a shared secret, or the whole token', () => {
    const p = protocolTwo();
    const message = new TextEncoder().encode('newPinEnc');
    const tag = p.authenticate(key64, message);
    assert.equal(tag.length, 32);
    assert.deepEqual(tag, oracle.authenticate(2, key64, message));
    assert.deepEqual(tag, p.authenticate(key64.subarray(0, 32), message), 'a 32-byte token key is used whole');
    assert.ok(p.verify(key64, message, tag));
    assert.equal(p.verify(key64, message, tag.subarray(0, 16)), false, 'a truncated tag is not a protocol-2 signature');
  });

  it('verify accepts exactly authenticate() (fast-check, both protocols)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PinUvAuthProtocolVersion>(1, 2),
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        fc.uint8Array({ maxLength: 200 }),
        (version, key, message) => {
          const p = version === 1 ? protocolOne() : protocolTwo();
          const tag = p.authenticate(key, message);
          assert.deepEqual(tag, oracle.authenticate(version, key, message));
          assert.ok(p.verify(key, message, tag));
          const flipped = tag.slice();
          flipped[flipped.length - 1]! ^= 0x80;
          assert.equal(p.verify(key, message, flipped), false);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('PIN encoding on the platform side', () => {
  it('pads the NFC UTF-8 PIN to 64 bytes and hashes it as LEFT(SHA-256(pin), 16)', () => {
    const padded = padPin('e\u0301t\u00e9');
    assert.equal(padded.length, 64);
    const nfc = new TextEncoder().encode('\u00e9t\u00e9');
    assert.deepEqual(padded.subarray(0, nfc.length), nfc);
    assert.ok(padded.subarray(nfc.length).every((b) => b === 0));
    assert.deepEqual(pinHash('1234'), u8(createHash('sha256').update('1234').digest()).subarray(0, 16));
    assert.equal(padPin('x'.repeat(63)).length, 64);
    assert.throws(() => padPin('x'.repeat(64)), RangeError);
  });
});
