/** SHA-256, HMAC-SHA-256 and HKDF-SHA-256 (RFC 5869) from node:crypto. */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { toUint8 } from '../encoding/bytes.js';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return toUint8(h.digest());
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return toUint8(h.digest());
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}
