/**
 * COSE_Key (RFC 9052 §7, RFC 9053) for the credential algorithms (ES256, ES384, ES512, EdDSA, RS256;
 * CTAP 2.3 §6.4 algorithms) and the CTAP key-agreement key. Encoded as canonical CBOR maps with
 * integer labels.
 */
import { CborError, decode, encode, type CborMap, type CborValue } from './cbor.js';

export const CoseAlg = {
  ES256: -7,
  EdDSA: -8,
  'ECDH-ES+HKDF-256': -25,
  ES384: -35,
  ES512: -36,
  RS256: -257,
} as const;
export type CredentialAlg = (typeof CoseAlg)['ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'RS256'];

export const CoseKty = { OKP: 1, EC2: 2, RSA: 3 } as const;
/** RFC 9053 §7.1 curves (P-384 = 2 and P-521 = 3 for ES384 and ES512). */
export const CoseCrv = { 'P-256': 1, 'P-384': 2, 'P-521': 3, Ed25519: 6 } as const;
export type Ec2Curve = 'P-256' | 'P-384' | 'P-521';
/** Coordinate length in bytes of each EC2 curve. */
export const EC2_COORDINATE_LENGTH: Readonly<Record<Ec2Curve, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export type CoseKey =
  | { kty: 'EC2'; alg: number; crv?: Ec2Curve; x: Uint8Array; y: Uint8Array } // crv absent: P-256
  | { kty: 'OKP'; alg: number; x: Uint8Array } // crv Ed25519
  | { kty: 'RSA'; alg: number; n: Uint8Array; e: Uint8Array };

export function coseKeyToMap(key: CoseKey): Map<number, CborValue> {
  switch (key.kty) {
    case 'EC2':
      return new Map<number, CborValue>([
        [1, CoseKty.EC2],
        [3, key.alg],
        [-1, CoseCrv[key.crv ?? 'P-256']],
        [-2, key.x],
        [-3, key.y],
      ]);
    case 'OKP':
      return new Map<number, CborValue>([
        [1, CoseKty.OKP],
        [3, key.alg],
        [-1, CoseCrv.Ed25519],
        [-2, key.x],
      ]);
    case 'RSA':
      return new Map<number, CborValue>([
        [1, CoseKty.RSA],
        [3, key.alg],
        [-1, key.n],
        [-2, key.e],
      ]);
  }
}

export function encodeCoseKey(key: CoseKey): Uint8Array {
  return encode(coseKeyToMap(key));
}

const bytesAt = (m: CborMap, label: number, length?: number): Uint8Array => {
  const v = m.get(label);
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    throw new CborError(`COSE_Key label ${label} must be a byte string${length ? ` of ${length} bytes` : ''}`);
  }
  return v;
};

/** Parses a COSE_Key map (already decoded). Throws CborError when it is not one we know. */
export function coseKeyFromMap(m: CborMap): CoseKey {
  const kty = m.get(1);
  const alg = m.get(3);
  if (typeof alg !== 'number') throw new CborError('COSE_Key alg (3) missing');
  if (kty === CoseKty.EC2) {
    const crv = (Object.keys(EC2_COORDINATE_LENGTH) as Ec2Curve[]).find((c) => CoseCrv[c] === m.get(-1));
    if (!crv) throw new CborError('unsupported EC2 curve');
    const n = EC2_COORDINATE_LENGTH[crv];
    const key: CoseKey = { kty: 'EC2', alg, x: bytesAt(m, -2, n), y: bytesAt(m, -3, n) };
    if (crv !== 'P-256') key.crv = crv;
    return key;
  }
  if (kty === CoseKty.OKP) {
    if (m.get(-1) !== CoseCrv.Ed25519) throw new CborError('unsupported OKP curve');
    return { kty: 'OKP', alg, x: bytesAt(m, -2, 32) };
  }
  if (kty === CoseKty.RSA) return { kty: 'RSA', alg, n: bytesAt(m, -1), e: bytesAt(m, -2) };
  throw new CborError('unsupported COSE key type');
}

export function decodeCoseKey(bytes: Uint8Array): CoseKey {
  const m = decode(bytes);
  if (!(m instanceof Map)) throw new CborError('COSE_Key must be a map');
  return coseKeyFromMap(m);
}
