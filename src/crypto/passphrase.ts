/**
 * A key from a passphrase: scrypt (RFC 7914) from node:crypto. Parameters travel with what they
 * seal, so a file sealed today opens with tomorrow's defaults. Default cost: N = 2^17, r = 8, p = 1
 * (OWASP's password-storage recommendation for scrypt), about 128 MiB and a fraction of a second.
 */
import { scryptSync } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const SCRYPT_DEFAULTS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export function scryptKey(passphrase: string, salt: Uint8Array, params: ScryptParams, length = 32): Uint8Array {
  const { N, r, p } = params;
  if (!(Number.isInteger(N) && N >= 2 ** 10 && N <= 2 ** 22 && (N & (N - 1)) === 0)) {
    throw new RangeError('scrypt N must be a power of two from 2^10 to 2^22');
  }
  if (!(Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16)) {
    throw new RangeError('scrypt r must be 1–32 and p 1–16');
  }
  const key = scryptSync(passphrase.normalize('NFC'), salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return new Uint8Array(key.buffer, key.byteOffset, key.length);
}
