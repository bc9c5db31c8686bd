/**
 * WebAuthn L3 §6.1 "Authenticator Data" and §6.5.1 "Attested Credential Data": build and parse.
 * The parser keeps the raw bytes; signatures are always over the exact bytes (habit 7).
 */
import { decodeFirst, encode, CborError, type CborMap, type Encodable } from '../encoding/cbor.js';
import { readU16be, readU32be } from '../encoding/bytes.js';

export const Flag = {
  UP: 0x01,
  UV: 0x04,
  BE: 0x08,
  BS: 0x10,
  AT: 0x40,
  ED: 0x80,
} as const;

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** COSE_Key bytes, exactly as encoded. */
  credentialPublicKey: Uint8Array;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  /** Extension outputs map, CBOR-encoded bytes. */
  extensions?: Uint8Array;
  /** The exact bytes (set by the parser and the builder). */
  raw: Uint8Array;
}

export function buildAuthenticatorData(input: {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  extensions?: ReadonlyMap<string, Encodable> | undefined;
}): Uint8Array {
  let flags = input.flags & ~(Flag.AT | Flag.ED);
  const acd = input.attestedCredentialData;
  if (acd) flags |= Flag.AT;
  const extensions = input.extensions && input.extensions.size > 0 ? encode(input.extensions) : undefined;
  if (extensions) flags |= Flag.ED;
  // One allocation: rpIdHash ‖ flags ‖ signCount ‖ [attested credential data] ‖ [extensions].
  const acdLength = acd ? acd.aaguid.length + 2 + acd.credentialId.length + acd.credentialPublicKey.length : 0;
  const h = input.rpIdHash.length;
  const out = new Uint8Array(h + 5 + acdLength + (extensions?.length ?? 0));
  out.set(input.rpIdHash, 0);
  out[h] = flags;
  const n = input.signCount;
  out[h + 1] = n >>> 24;
  out[h + 2] = n >>> 16;
  out[h + 3] = n >>> 8;
  out[h + 4] = n;
  let offset = h + 5;
  if (acd) {
    out.set(acd.aaguid, offset);
    offset += acd.aaguid.length;
    out[offset] = acd.credentialId.length >>> 8;
    out[offset + 1] = acd.credentialId.length;
    out.set(acd.credentialId, offset + 2);
    offset += 2 + acd.credentialId.length;
    out.set(acd.credentialPublicKey, offset);
    offset += acd.credentialPublicKey.length;
  }
  if (extensions) out.set(extensions, offset);
  return out;
}

export function parseAuthenticatorData(raw: Uint8Array): AuthenticatorData {
  if (raw.length < 37) throw new RangeError('authenticatorData shorter than 37 bytes');
  const flags = raw[32]!;
  const out: AuthenticatorData = { rpIdHash: raw.slice(0, 32), flags, signCount: readU32be(raw, 33), raw };
  let offset = 37;
  if (flags & Flag.AT) {
    if (raw.length < offset + 18) throw new RangeError('attested credential data truncated');
    const aaguid = raw.slice(offset, offset + 16);
    const idLength = readU16be(raw, offset + 16);
    offset += 18;
    const credentialId = raw.slice(offset, offset + idLength);
    if (credentialId.length !== idLength) throw new RangeError('credential ID truncated');
    offset += idLength;
    const [, used] = decodeFirst(raw.subarray(offset));
    out.attestedCredentialData = { aaguid, credentialId, credentialPublicKey: raw.slice(offset, offset + used) };
    offset += used;
  }
  if (flags & Flag.ED) {
    const [ext, used] = decodeFirst(raw.subarray(offset));
    if (!(ext instanceof Map)) throw new CborError('extensions must be a map');
    out.extensions = raw.slice(offset, offset + used);
    offset += used;
  }
  if (offset !== raw.length) throw new RangeError('trailing bytes in authenticatorData');
  return out;
}

export function extensionsOf(data: AuthenticatorData): CborMap | undefined {
  if (!data.extensions) return undefined;
  return decodeFirst(data.extensions)[0] as CborMap;
}
