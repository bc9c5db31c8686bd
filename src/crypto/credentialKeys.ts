/**
 * Credential key pairs for ES256 (P-256), ES384 (P-384), ES512 (P-521), EdDSA (Ed25519) and RS256
 * (RSA-2048), on node:crypto.
 *
 * A private key travels in a compact "secret" form that also carries the public part, so that it
 * can be imported as a JWK without recomputing the public point (importing a bare PKCS#8 P-256 key
 * costs ~20 signatures; a JWK with x/y ~4):
 *   ES256: d(32) ‖ x(32) ‖ y(32)
 *   ES384: d(48) ‖ x(48) ‖ y(48);  ES512: d(66) ‖ x(66) ‖ y(66)
 *   EdDSA: seed(32) ‖ x(32)
 *   RS256: len(p)(2, BE) ‖ p ‖ q      (n, d and the CRT values are recomputed from the primes)
 * Imported KeyObjects are kept in a bounded LRU cache, so a credential used again signs at the
 * speed of a ready KeyObject. The trade: up to `capacity` private keys stay in process memory.
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generatePrimeSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mapHashToField, getMinHashLength } from '@noble/curves/abstract/modular.js';
import * as b64u from '../encoding/base64url.js';
import { concat, toHex, u16be } from '../encoding/bytes.js';
import { CoseAlg, EC2_COORDINATE_LENGTH, type CoseKey, type CredentialAlg, type Ec2Curve } from '../encoding/cose.js';

export interface CredentialKeyPair {
  alg: CredentialAlg;
  secret: Uint8Array;
  publicKey: CoseKey;
}

const RSA_E = new Uint8Array([1, 0, 1]);

/**
 * A fresh key pair. Never `generateKeyPairSync()` followed by `KeyObject.export({ format: 'jwk' })`:
 * on Node 20 that export can hold the key's mutex while a garbage collection finalises the
 * `KeyGenJob` that made it, whose destructor waits on the same mutex, and the process freezes at
 * 0% CPU (seen within 20,000 ES256 keys). No KeyGenJob is involved here: P-256 (and P-384, P-521
 * below) comes from an ECDH object, Ed25519 from 32 random bytes, RSA from two primes of `generatePrimeSync`.
 */
export function generateCredentialKey(alg: CredentialAlg): CredentialKeyPair {
  const wide = WIDE_EC_CURVES.get(alg);
  if (wide) return generateWideEcKey(alg, wide);
  if (alg === CoseAlg.ES256) {
    const ecdh = createECDH('prime256v1');
    const point = ecdh.generateKeys(); // 0x04 ‖ x ‖ y
    const d = leftPad(ecdh.getPrivateKey(), 32);
    const [x, y] = [point.subarray(1, 33), point.subarray(33, 65)];
    return { alg, secret: concat(d, x, y), publicKey: { kty: 'EC2', alg, x: new Uint8Array(x), y: new Uint8Array(y) } };
  }
  if (alg === CoseAlg.EdDSA) {
    const seed = new Uint8Array(randomBytes(32));
    const x = ed25519PublicKey(seed);
    return { alg, secret: concat(seed, x), publicKey: { kty: 'OKP', alg, x } };
  }
  const [p, q] = rsaPrimes();
  const n = bigToBytes(big(p) * big(q));
  return { alg, secret: concat(u16be(p.length), p, q), publicKey: { kty: 'RSA', alg, n, e: RSA_E } };
}

function leftPad(b: Uint8Array, length: number): Uint8Array {
  if (b.length === length) return new Uint8Array(b);
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

/** RFC 8410 PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 public key of a seed (RFC 8032 §5.1.5), read from its SubjectPublicKeyInfo. */
function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/**
 * Two 1024-bit primes for an RSA-2048 key with e = 65537 (FIPS 186-5 §A.1.3's conditions that
 * matter here: gcd(e, p − 1) = 1, p ≠ q, and n of exactly 2048 bits).
 */
function rsaPrimes(): [Uint8Array, Uint8Array] {
  const prime = (): Uint8Array => {
    for (;;) {
      const p = new Uint8Array(generatePrimeSync(1024));
      if ((big(p) - 1n) % 65537n !== 0n) return p;
    }
  };
  for (;;) {
    const [p, q] = [prime(), prime()];
    const n = big(p) * big(q);
    if (p.length === q.length && big(p) !== big(q) && n.toString(2).length === 2048) return [p, q];
  }
}

// --- RSA from its primes. node:crypto cannot import an RSA key from p and q alone, so the other
// JWK members are computed here with BigInt (a modular inverse is all that is needed).
const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + toHex(b)));
function bigToBytes(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}
function rsaJwk(secret: Uint8Array) {
  const pLen = (secret[0]! << 8) | secret[1]!;
  const pBytes = secret.subarray(2, 2 + pLen);
  const qBytes = secret.subarray(2 + pLen);
  const [p, q, e] = [big(pBytes), big(qBytes), 65537n];
  const n = p * q;
  const d = modInverse(e, (p - 1n) * (q - 1n));
  const enc = (v: bigint) => b64u.encode(bigToBytes(v));
  return {
    kty: 'RSA',
    n: enc(n),
    e: b64u.encode(RSA_E),
    d: enc(d),
    p: b64u.encode(pBytes),
    q: b64u.encode(qBytes),
    dp: enc(d % (p - 1n)),
    dq: enc(d % (q - 1n)),
    qi: enc(modInverse(q, p)),
  };
}

/** The public COSE key of a compact secret (for RS256 this recomputes n). */
export function publicKeyOfSecret(alg: CredentialAlg, secret: Uint8Array): CoseKey {
  const wide = WIDE_EC_CURVES.get(alg);
  if (wide) return wideEcPublicKey(alg, wide, secret);
  if (alg === CoseAlg.ES256) return { kty: 'EC2', alg, x: secret.slice(32, 64), y: secret.slice(64, 96) };
  if (alg === CoseAlg.EdDSA) return { kty: 'OKP', alg, x: secret.slice(32, 64) };
  return { kty: 'RSA', alg, n: b64u.decode(rsaJwk(secret).n), e: RSA_E };
}

function importSecret(alg: CredentialAlg, secret: Uint8Array): KeyObject {
  const e = b64u.encode;
  const wide = WIDE_EC_CURVES.get(alg);
  if (wide) {
    const n = EC2_COORDINATE_LENGTH[wide];
    const jwk = {
      kty: 'EC',
      crv: wide,
      d: e(secret.subarray(0, n)),
      x: e(secret.subarray(n, 2 * n)),
      y: e(secret.subarray(2 * n, 3 * n)),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
  if (alg === CoseAlg.ES256) {
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      d: e(secret.subarray(0, 32)),
      x: e(secret.subarray(32, 64)),
      y: e(secret.subarray(64, 96)),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
  if (alg === CoseAlg.EdDSA) {
    return createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: e(secret.subarray(0, 32)), x: e(secret.subarray(32, 64)) },
      format: 'jwk',
    });
  }
  return createPrivateKey({ key: rsaJwk(secret), format: 'jwk' });
}

/**
 * The private part of a compact secret (ES256/384/512: d; EdDSA: the seed), for credential IDs
 * that leave the public part out (store/credentialId.ts version 0x03); RS256 is kept whole.
 */
export function privatePartOfSecret(alg: CredentialAlg, secret: Uint8Array): Uint8Array {
  const n = privatePartLength(alg);
  if (n === undefined) return secret;
  if (secret.length !== (alg === CoseAlg.EdDSA ? 2 : 3) * n)
    throw new RangeError(`a ${alg} secret has the wrong length`);
  return secret.subarray(0, n);
}

/**
 * The compact secret again from its private part, recomputing the public point (one scalar
 * multiplication: paid when an ID is opened, not when it signs). Undefined for a private part that
 * is no key (wrong length, scalar out of range).
 */
export function secretOfPrivatePart(alg: CredentialAlg, part: Uint8Array): Uint8Array | undefined {
  const n = privatePartLength(alg);
  if (n === undefined) return part;
  if (part.length !== n) return undefined;
  try {
    if (alg === CoseAlg.EdDSA) return concat(part, ed25519PublicKey(part));
    const ecdh = createECDH(ECDH_CURVE_NAMES[WIDE_EC_CURVES.get(alg) ?? 'P-256']);
    ecdh.setPrivateKey(part);
    return concat(part, ecdh.getPublicKey().subarray(1)); // 0x04 ‖ x ‖ y
  } catch {
    return undefined;
  }
}

/**
 * The orders n of the P-256, P-384 and P-521 base points (FIPS 186-5 / SP 800-186 §3.2.1.3–5),
 * written out rather than read from @noble/curves' nist module (which would load three curves at
 * start-up for three numbers); a test checks them against that module.
 */
export const EC_GROUP_ORDERS: ReadonlyMap<number, bigint> = new Map([
  [CoseAlg.ES256, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
  [CoseAlg.ES384, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n],
  [
    CoseAlg.ES512,
    BigInt(
      '0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
        'fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    ),
  ],
]);

/**
 * A key pair derived from a secret key and a context (credential IDs version 0x04,
 * store/credentialId.ts): HKDF-SHA-256 (RFC 5869) of `ikm` with `info`, then
 *   ES256/384/512: (n + n/2) bytes of output mapped uniformly onto 1…n−1 by @noble/curves'
 *                  mapHashToField (FIPS 186-5 §A.2.1, no modular bias worth the name, never zero);
 *   EdDSA:         32 bytes of output are the Ed25519 seed (RFC 8032 §5.1.5 hashes it itself).
 * The public part is recomputed (one scalar multiplication). RS256 keys are not derived (RangeError).
 */
export function deriveCredentialKey(alg: CredentialAlg, ikm: Uint8Array, info: Uint8Array): CredentialKeyPair {
  const hkdf = (length: number) => new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, length));
  let part: Uint8Array;
  if (alg === CoseAlg.EdDSA) part = hkdf(32);
  else {
    const order = EC_GROUP_ORDERS.get(alg);
    if (order === undefined) throw new RangeError(`${alg} keys are generated, not derived`);
    part = mapHashToField(hkdf(getMinHashLength(order)), order);
  }
  const secret = secretOfPrivatePart(alg, part);
  if (!secret) throw new Error(`derived ${alg} key does not import`); // mapHashToField gives 1…n−1 only
  return { alg, secret, publicKey: publicKeyOfSecret(alg, secret) };
}

function privatePartLength(alg: CredentialAlg): number | undefined {
  if (alg === CoseAlg.ES256 || alg === CoseAlg.EdDSA) return 32;
  const wide = WIDE_EC_CURVES.get(alg);
  return wide === undefined ? undefined : EC2_COORDINATE_LENGTH[wide];
}

/** A credential's private key as PKCS#8 DER (what importKey.ts reads back), for the control API's export. */
export function pkcs8OfSecret(alg: CredentialAlg, secret: Uint8Array): Uint8Array {
  return new Uint8Array(importSecret(alg, secret).export({ format: 'der', type: 'pkcs8' }));
}

/** Bounded LRU of imported private keys, keyed by the caller (e.g. the credential ID). */
export class SigningKeyCache {
  private keys = new Map<string, KeyObject>();
  /** The most recently used key: already last in `keys`, so using it again reorders nothing. */
  private newest: string | undefined;
  constructor(readonly capacity = 4096) {}
  get(cacheKey: string, alg: CredentialAlg, secret: () => Uint8Array): KeyObject {
    let k = this.keys.get(cacheKey);
    if (k && cacheKey === this.newest) return k;
    this.newest = cacheKey;
    if (k) {
      this.keys.delete(cacheKey);
    } else {
      k = importSecret(alg, secret());
      if (this.keys.size >= this.capacity) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(cacheKey, k);
    return k;
  }
  clear(): void {
    this.keys.clear();
    this.newest = undefined;
  }
}

/** Signs per the COSE algorithm: ES256/384/512 → DER ECDSA, EdDSA → raw 64 bytes, RS256 → PKCS#1 v1.5. */
export function signWithKey(alg: number, key: KeyObject, data: Uint8Array): Uint8Array {
  if (alg === CoseAlg.EdDSA) return ownBytes(sign(null, data, key));
  if (alg === CoseAlg.ES256) return ownBytes(sign('sha256', data, { key, dsaEncoding: 'der' }));
  const hash = ECDSA_HASH.get(alg);
  if (hash) return ownBytes(sign(hash, data, { key, dsaEncoding: 'der' }));
  return ownBytes(sign('sha256', data, key));
}

/** A plain Uint8Array of a Buffer: its own memory when the Buffer has it alone (no copy), else a copy. */
function ownBytes(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.buffer.byteLength === b.length ? new Uint8Array(b.buffer) : new Uint8Array(b);
}

export function signWithSecret(alg: CredentialAlg, secret: Uint8Array, data: Uint8Array): Uint8Array {
  return signWithKey(alg, importSecret(alg, secret), data);
}

/** node:crypto KeyObject for a COSE public key (for verification in tests and the client). */
export function publicKeyObject(key: CoseKey): KeyObject {
  const e = b64u.encode;
  if (key.kty === 'EC2')
    return createPublicKey({ key: { kty: 'EC', crv: key.crv ?? 'P-256', x: e(key.x), y: e(key.y) }, format: 'jwk' });
  if (key.kty === 'OKP') return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: e(key.x) }, format: 'jwk' });
  return createPublicKey({ key: { kty: 'RSA', n: e(key.n), e: e(key.e) }, format: 'jwk' });
}

/** SubjectPublicKeyInfo DER of a COSE public key (WebAuthn's getPublicKey()). */
export function spkiOf(key: CoseKey): Uint8Array {
  return new Uint8Array(publicKeyObject(key).export({ format: 'der', type: 'spki' }));
}

export function verifySignature(key: CoseKey, data: Uint8Array, signature: Uint8Array): boolean {
  const k = publicKeyObject(key);
  if (key.kty === 'OKP') return verify(null, data, k, signature);
  if (key.kty === 'EC2')
    return verify(ECDSA_HASH.get(key.alg) ?? 'sha256', data, { key: k, dsaEncoding: 'der' }, signature);
  return verify('sha256', data, k, signature);
}

// --- ES384 (P-384, SHA-384) and ES512 (P-521, SHA-512), RFC 9053 §2.1 / CTAP 2.3 §6.4 algorithms.
// Generated with createECDH and imported through JWK: never generateKeyPairSync followed by a JWK
// export, which can deadlock on Node 20.

const WIDE_EC_CURVES: ReadonlyMap<number, Ec2Curve> = new Map([
  [CoseAlg.ES384, 'P-384'],
  [CoseAlg.ES512, 'P-521'],
]);
const ECDH_CURVE_NAMES: Readonly<Record<Ec2Curve, string>> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
};
const ECDSA_HASH: ReadonlyMap<number, string> = new Map([
  [CoseAlg.ES384, 'sha384'],
  [CoseAlg.ES512, 'sha512'],
]);

function generateWideEcKey(alg: CredentialAlg, crv: Ec2Curve): CredentialKeyPair {
  const n = EC2_COORDINATE_LENGTH[crv];
  const ecdh = createECDH(ECDH_CURVE_NAMES[crv]);
  const point = ecdh.generateKeys(); // 0x04 ‖ x ‖ y
  const d = leftPad(ecdh.getPrivateKey(), n);
  const x = new Uint8Array(point.subarray(1, 1 + n));
  const y = new Uint8Array(point.subarray(1 + n, 1 + 2 * n));
  return { alg, secret: concat(d, x, y), publicKey: { kty: 'EC2', alg, crv, x, y } };
}

function wideEcPublicKey(alg: CredentialAlg, crv: Ec2Curve, secret: Uint8Array): CoseKey {
  const n = EC2_COORDINATE_LENGTH[crv];
  return { kty: 'EC2', alg, crv, x: secret.slice(n, 2 * n), y: secret.slice(2 * n, 3 * n) };
}
