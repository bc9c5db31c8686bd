/**
 * Primitives of the CTAP 2.1 PIN/UV auth protocols (§6.5.6, §6.5.7) on node:crypto: P-256 ECDH key
 * agreement and AES-256-CBC without padding. SHA-256, HMAC-SHA-256 and HKDF live in hash.ts.
 * Key pairs are made from caller-supplied random bytes, so the authenticator stays on its Rng port.
 */
import { createCipheriv, createDecipheriv, createECDH } from 'node:crypto';
import { concat, toUint8 } from '../encoding/bytes.js';

const CURVE = 'prime256v1';

export interface P256KeyPair {
  /** The 32-byte big-endian scalar. */
  privateKey: Uint8Array;
  x: Uint8Array;
  y: Uint8Array;
}

/** The key pair of a private scalar, or undefined when it is not in [1, n-1]. */
export function p256KeyPairFromScalar(scalar: Uint8Array): P256KeyPair | undefined {
  if (scalar.length !== 32) return undefined;
  const ecdh = createECDH(CURVE);
  try {
    ecdh.setPrivateKey(scalar);
  } catch {
    return undefined;
  }
  const pub = toUint8(ecdh.getPublicKey()); // 0x04 ‖ x ‖ y
  return { privateKey: scalar.slice(), x: pub.slice(1, 33), y: pub.slice(33, 65) };
}

/** A fresh P-256 key pair from `random` (rejection sampling: a scalar out of range is drawn again). */
export function generateP256KeyPair(random: (n: number) => Uint8Array): P256KeyPair {
  for (;;) {
    const pair = p256KeyPairFromScalar(random(32));
    if (pair) return pair;
  }
}

/**
 * The x-coordinate (32 bytes, big-endian) of privateKey × (peerX, peerY); undefined when the peer
 * point is malformed or not on the curve.
 */
export function p256Ecdh(privateKey: Uint8Array, peerX: Uint8Array, peerY: Uint8Array): Uint8Array | undefined {
  if (peerX.length !== 32 || peerY.length !== 32) return undefined;
  const ecdh = createECDH(CURVE);
  try {
    ecdh.setPrivateKey(privateKey);
    return toUint8(ecdh.computeSecret(concat(new Uint8Array([4]), peerX, peerY)));
  } catch {
    return undefined;
  }
}

const BLOCK = 16;

/** AES-256-CBC without padding; plaintext length must be a multiple of 16. */
export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length % BLOCK !== 0) throw new RangeError('AES-CBC plaintext must be a multiple of 16 bytes');
  const c = createCipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return concat(toUint8(c.update(plaintext)), toUint8(c.final()));
}

/** AES-256-CBC without padding; undefined when the ciphertext is not a whole number of blocks. */
export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  if (ciphertext.length % BLOCK !== 0) return undefined;
  const d = createDecipheriv('aes-256-cbc', key, iv);
  d.setAutoPadding(false);
  return concat(toUint8(d.update(ciphertext)), toUint8(d.final()));
}

/** AES-128-CBC without padding (CTAP 2.3 §6.4 encIdentifier / encCredStoreState); length a multiple of 16. */
export function aes128CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length % BLOCK !== 0) throw new RangeError('AES-CBC plaintext must be a multiple of 16 bytes');
  const c = createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return concat(toUint8(c.update(plaintext)), toUint8(c.final()));
}

/** AES-128-CBC without padding; undefined when the ciphertext is not a whole number of blocks. */
export function aes128CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  if (ciphertext.length % BLOCK !== 0) return undefined;
  const d = createDecipheriv('aes-128-cbc', key, iv);
  d.setAutoPadding(false);
  return concat(toUint8(d.update(ciphertext)), toUint8(d.final()));
}
