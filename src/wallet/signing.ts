/**
 * What is signed and how the answer is laid out (filecoin-app.md §2):
 *  - SIGN_SECP256K1 / SIGN_RAW_BYTES: digest = blake2b-256(CIDv1(dag-cbor, blake2b-256(bytes)))
 *    with CID bytes `01 71 a0e402 20 ‖ blake2b-256(bytes)`.
 *  - SIGN_PERSONAL_MESSAGE: digest = blake2b-256("\x19Filecoin Signed Message:\n" ‖ len ‖ msg).
 *  - ECDSA secp256k1 over the digest as given, RFC 6979, low-S; answer R[32] S[32] V[1] DER.
 */
import { blake2b256 } from '../crypto/blake2b.js';
import { secp256k1SignDigest } from '../crypto/secp256k1.js';
import { concat, utf8 } from '../encoding/bytes.js';

/** CIDv1 ‖ dag-cbor (0x71) ‖ multihash blake2b-256 (varint 0xb220 = a0 e4 02) ‖ length 32. */
export const CID_PREFIX = Uint8Array.of(0x01, 0x71, 0xa0, 0xe4, 0x02, 0x20);
export const RAW_BYTES_PREFIX = 'Filecoin Sign Bytes:\n';
export const FVM_PERSONAL_MESSAGE_PREFIX = '\x19Filecoin Signed Message:\n';

export function cidBytes(contentHash: Uint8Array): Uint8Array {
  return concat(CID_PREFIX, contentHash);
}

/** blake2b-256 of the CID of `bytes` (the digest the app signs for INS 02 and, via a stream, 07). */
export function cidDigest(bytes: Uint8Array): Uint8Array {
  return blake2b256(cidBytes(blake2b256(bytes)));
}

export function cidDigestOfHash(contentHash: Uint8Array): Uint8Array {
  return blake2b256(cidBytes(contentHash));
}

export function personalMessageDigest(message: Uint8Array): Uint8Array {
  return blake2b256(concat(utf8.encode(`${FVM_PERSONAL_MESSAGE_PREFIX}${message.length}`), message));
}

/** `R ‖ S ‖ V ‖ DER` for a digest. */
export function signatureAnswer(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const sig = secp256k1SignDigest(digest, privateKey);
  return concat(sig.r, sig.s, Uint8Array.of(sig.recovery), sig.der);
}
