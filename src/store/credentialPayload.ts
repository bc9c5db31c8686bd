/**
 * The credential payload: what a credential ID (credentialId.ts), a credential slot record
 * (credentialSlot.ts, sqliteStore.ts) or a split-mode vault handle (credentialIds.ts) carries about
 * its credential. One codec for the parts every format shares: the algorithm codes and the flag
 * table, with the flag bits each format version defines (a bit a version does not define makes the
 * record unreadable, so a newer format is never half-understood).
 */
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';
import type { CredProtectLevel } from './credentialStore.js';

export interface CredentialPayload {
  discoverable: boolean;
  u2f: boolean;
  alg: CredentialAlg;
  credProtect: CredProtectLevel;
  credBlob?: Uint8Array;
  /** Made with hmac-secret: its CredRandom values exist. */
  hmacSecret?: boolean;
  /** A thirdPartyPayment credential (CTAP 2.2 §12.9). */
  thirdPartyPayment?: boolean;
  secret: Uint8Array;
}

/** Never reuse a retired code; a test checks these stay distinct. */
export const ALG_CODES: ReadonlyArray<readonly [number, CredentialAlg]> = [
  [1, CoseAlg.ES256],
  [2, CoseAlg.EdDSA],
  [3, CoseAlg.RS256],
  [4, CoseAlg.ES384],
  [5, CoseAlg.ES512],
];

type FlagName = 'discoverable' | 'u2f' | 'hmacSecret' | 'thirdPartyPayment';

/**
 * The flag table. bit 0 discoverable (valid only while the store holds its record), bit 1 made
 * through CTAP1/U2F (its RP ID hash is the U2F application parameter), bit 2 made with hmac-secret
 * (CTAP 2.1 §12.5), bit 3 thirdPartyPayment (CTAP 2.2 §12.9). Never reuse a retired bit.
 */
export const PAYLOAD_FLAGS: ReadonlyArray<readonly [FlagName, number]> = [
  ['discoverable', 0b0001],
  ['u2f', 0b0010],
  ['hmacSecret', 0b0100],
  ['thirdPartyPayment', 0b1000],
];

/** Every flag bit of the table (slot records version 1 define them all). */
export const ALL_PAYLOAD_FLAGS = PAYLOAD_FLAGS.reduce((m, [, bit]) => m | bit, 0);

/** The payload's flag byte; RangeError when it sets a bit outside `mask` (the format version's bits). */
export function encodePayloadFlags(p: Pick<CredentialPayload, FlagName>, mask = ALL_PAYLOAD_FLAGS): number {
  const flags = PAYLOAD_FLAGS.reduce((m, [name, bit]) => (p[name] ? m | bit : m), 0);
  if ((flags & ~mask) !== 0) throw new RangeError(`flags ${flags} do not fit this format version (bits ${mask})`);
  return flags;
}

/**
 * The flag fields of a flag byte (discoverable and u2f always present, the others only when set);
 * undefined when a bit outside `mask` is set.
 */
export function decodePayloadFlags(
  flags: number,
  mask = ALL_PAYLOAD_FLAGS,
): Pick<CredentialPayload, FlagName> | undefined {
  if ((flags & ~mask) !== 0) return undefined;
  const out: Pick<CredentialPayload, FlagName> = { discoverable: (flags & 0b0001) !== 0, u2f: (flags & 0b0010) !== 0 };
  if (flags & 0b0100) out.hmacSecret = true;
  if (flags & 0b1000) out.thirdPartyPayment = true;
  return out;
}

export function algCode(alg: CredentialAlg): number | undefined {
  return ALG_CODES.find(([, a]) => a === alg)?.[0];
}

export function algOfCode(code: number): CredentialAlg | undefined {
  return ALG_CODES.find(([c]) => c === code)?.[1];
}
