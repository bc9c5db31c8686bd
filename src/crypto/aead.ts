/** AES-256-GCM and randomness (node:crypto). Sealed form: ciphertext ‖ 16-byte tag. */
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import { toUint8 } from '../encoding/bytes.js';

export function randomBytes(n: number): Uint8Array {
  return toUint8(nodeRandomBytes(n));
}

export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) c.setAAD(aad);
  const a = c.update(plaintext);
  const b = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(a.length + b.length + tag.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(tag, a.length + b.length);
  return out;
}

/** Returns the plaintext, or undefined when the tag does not verify. */
export function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    if (aad) d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const a = d.update(sealed.subarray(0, sealed.length - 16));
    const b = d.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  } catch {
    return undefined;
  }
}
