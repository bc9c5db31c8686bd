/**
 * BLAKE2b (RFC 7693) through @noble/hashes: the hash behind Filecoin addresses (blake2b-160 payloads,
 * 4-byte checksums) and message CIDs (blake2b-256).
 */
import { blake2b as nobleBlake2b } from '@noble/hashes/blake2.js';

/** BLAKE2b with an output length of `outLen` bytes (1..64), unkeyed. */
export function blake2b(data: Uint8Array, outLen: number): Uint8Array {
  return nobleBlake2b(data, { dkLen: outLen });
}

export function blake2b256(data: Uint8Array): Uint8Array {
  return nobleBlake2b(data, { dkLen: 32 });
}

export function blake2b160(data: Uint8Array): Uint8Array {
  return nobleBlake2b(data, { dkLen: 20 });
}

/** Incremental BLAKE2b-256, for data that arrives in chunks (SIGN_RAW_BYTES streams into a hash). */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** Finishes the hash; the object must not be used afterwards. */
  digest(): Uint8Array;
}

export function createBlake2b256(): IncrementalHash {
  const h = nobleBlake2b.create({ dkLen: 32 });
  return {
    update: (data) => {
      h.update(data);
    },
    digest: () => h.digest(),
  };
}
