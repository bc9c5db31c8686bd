/**
 * secp256k1 ECDSA over a caller-supplied 32-byte digest (no re-hashing): RFC 6979 deterministic
 * nonces (HMAC-SHA256) and low-S normalisation, as the Ledger Filecoin app signs. The recovery id
 * is the usual one: bit 0 = R.y odd, bit 1 = R.x ≥ n (after the low-S flip).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';

export interface Secp256k1Signature {
  /** 32 bytes, big-endian, left-padded. */
  r: Uint8Array;
  /** 32 bytes, big-endian, left-padded; always ≤ n/2. */
  s: Uint8Array;
  /** Recovery id 0..3 (not 27/28). */
  recovery: number;
  /** ASN.1 DER `30 L 02 rL r 02 sL s` with minimal integers. */
  der: Uint8Array;
}

/** 65-byte uncompressed (04‖X‖Y) or 33-byte compressed public key of a 32-byte private key. */
export function secp256k1PublicKey(privateKey: Uint8Array, compressed = false): Uint8Array {
  return secp256k1.getPublicKey(privateKey, compressed);
}

/** Signs a 32-byte digest as given (prehash off), RFC 6979 nonce, low-S. */
export function secp256k1SignDigest(digest: Uint8Array, privateKey: Uint8Array): Secp256k1Signature {
  if (digest.length !== 32) throw new TypeError('secp256k1SignDigest: digest must be 32 bytes');
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: 'recovered' });
  // noble's 'recovered' format is recovery(1) ‖ r(32) ‖ s(32).
  const sig = secp256k1.Signature.fromBytes(recovered, 'recovered');
  return {
    r: recovered.slice(1, 33),
    s: recovered.slice(33, 65),
    recovery: recovered[0]!,
    der: sig.toBytes('der'),
  };
}

/** Verifies a 64-byte r‖s (or DER) signature over a 32-byte digest. Requires low-S. */
export function secp256k1VerifyDigest(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const format = signature.length === 64 ? 'compact' : 'der';
    return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true, format });
  } catch {
    return false;
  }
}

/** Recovers the uncompressed public key from r‖s, the recovery id and the digest. */
export function secp256k1RecoverPublicKey(rs: Uint8Array, recovery: number, digest: Uint8Array): Uint8Array {
  const recovered = new Uint8Array(65);
  recovered[0] = recovery;
  recovered.set(rs, 1);
  const pk = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
  return secp256k1.Point.fromBytes(pk).toBytes(false);
}

/** True when the 32 bytes are a valid private scalar (1..n-1). */
export function secp256k1IsValidPrivateKey(privateKey: Uint8Array): boolean {
  return secp256k1.utils.isValidSecretKey(privateKey);
}
