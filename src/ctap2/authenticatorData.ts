/**
 * WebAuthn L3 §6.1 "Authenticator Data" and §6.5.1 "Attested Credential Data": build and parse.
 * The parser keeps the raw bytes; signatures are always over the exact bytes (habit 7).
 */
import { decodeFirst, encode, CborError, type CborMap, type Encodable } from '../encoding/cbor.js';
import { concat, readU16be, readU32be, u16be, u32be } from '../encoding/bytes.js';

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
  const parts: Uint8Array[] = [input.rpIdHash, new Uint8Array([0]), u32be(input.signCount)];
  const acd = input.attestedCredentialData;
  if (acd) {
    flags |= Flag.AT;
    parts.push(acd.aaguid, u16be(acd.credentialId.length), acd.credentialId, acd.credentialPublicKey);
  }
  if (input.extensions && input.extensions.size > 0) {
    flags |= Flag.ED;
    parts.push(encode(input.extensions));
  }
  parts[1] = new Uint8Array([flags]);
  return concat(...parts);
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
