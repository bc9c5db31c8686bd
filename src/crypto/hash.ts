/** SHA-256, HMAC-SHA-256 and HKDF-SHA-256 (RFC 5869) from node:crypto. */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { toUint8 } from '../encoding/bytes.js';

/** A digest's bytes: a view when the Buffer has its memory alone (a fresh digest does), else a copy. */
function digestBytes(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.buffer.byteLength === b.length ? new Uint8Array(b.buffer) : toUint8(b);
}

/**
 * node:crypto's one-shot hash() (Node ≥ 20.12): about half the cost of a Hash object for the short
 * inputs of a ceremony (clientDataJSON, an RP ID). Absent on older Node 20 releases.
 */
const oneShot = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && oneShot) return digestBytes(oneShot('sha256', parts[0]!, 'buffer'));
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return digestBytes(h.digest());
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return digestBytes(h.digest());
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}
