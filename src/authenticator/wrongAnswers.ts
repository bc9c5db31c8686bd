/**
 * Deliberately wrong answers of the authenticator (issue 16, "a relying party's test bench"): the
 * lies a relying party must catch in WebAuthn L3 §7.1 "Registering a New Credential" and §7.2
 * "Verifying an Authentication Assertion". Each is made here, where the real answer is made, and
 * signed honestly, so the only thing wrong is the lie itself (flags, counter, rpIdHash, key, the
 * attestation's signed bytes or certificate). The client's own lies (clientDataJSON, CBOR damage,
 * truncation) are in src/client/wrongAnswers.ts; the catalog with the RP's checks is in
 * src/control/wrongAnswers.ts. Which answers are armed comes from a source the control API sets.
 */
import { decode, encode, type CborMap } from '../encoding/cbor.js';
import { CoseAlg, CoseCrv, CoseKty } from '../encoding/cose.js';
import { Flag } from '../ctap2/authenticatorData.js';
import type { Core } from './core.js';

export const AUTHENTICATOR_WRONG_ANSWERS = [
  'up-cleared',
  'uv-cleared',
  'bs-without-be',
  'be-flip',
  'counter-zero',
  'counter-fixed',
  'counter-backwards',
  'rp-id-hash',
  'bad-signature',
  'cose-alg',
  'cose-curve',
  'attestation-other-bytes',
  'certificate-expired',
  'certificate-aaguid',
] as const;
export type AuthenticatorWrongAnswer = (typeof AUTHENTICATOR_WRONG_ANSWERS)[number];

export type WebAuthnCeremony = 'registration' | 'authentication';

/** Where the armed wrong answers come from: take() uses up the one-time ones it returns. */
export interface WrongAnswerSource {
  take(ceremony: WebAuthnCeremony): ReadonlySet<string>;
}

const sources = new WeakMap<Core, WrongAnswerSource>();
const NONE: ReadonlySet<AuthenticatorWrongAnswer> = new Set();

export function setWrongAnswerSource(core: Core, source: WrongAnswerSource | undefined): void {
  if (source) sources.set(core, source);
  else sources.delete(core);
}

/** The wrong answers this ceremony gives (called once per real ceremony, never for silent probes). */
export function takeWrongAnswers(core: Core, ceremony: WebAuthnCeremony): ReadonlySet<AuthenticatorWrongAnswer> {
  const source = sources.get(core);
  if (!source) return NONE;
  const taken = source.take(ceremony);
  return taken.size === 0 ? NONE : new Set(AUTHENTICATOR_WRONG_ANSWERS.filter((a) => taken.has(a)));
}

/** Flags as lied about: UP or UV cleared, BS without BE, or BE the opposite of the credential's (BS with it). */
export function wrongFlags(flags: number, wrong: ReadonlySet<AuthenticatorWrongAnswer>): number {
  let f = flags;
  if (wrong.has('up-cleared')) f &= ~Flag.UP;
  if (wrong.has('uv-cleared')) f &= ~Flag.UV;
  if (wrong.has('be-flip')) f = f & Flag.BE ? f & ~(Flag.BE | Flag.BS) : f | Flag.BE;
  if (wrong.has('bs-without-be')) f = (f & ~Flag.BE) | Flag.BS;
  return f;
}

/** The hash of another RP ID (this one's with a label in front), so the RP's §7.1/§7.2 rpIdHash check fails. */
export function wrongRpIdHash(
  core: Core,
  rpId: string,
  rpIdHash: Uint8Array,
  wrong: ReadonlySet<AuthenticatorWrongAnswer>,
): Uint8Array {
  return wrong.has('rp-id-hash') ? core.rpIdHash(`not-${rpId}`) : rpIdHash;
}

/**
 * The signature counter as lied about: zero, the last one given again (fixed), or one below it.
 * `next` is the honest, already incremented value; `last` the value before it.
 */
export function wrongSignCount(next: number, last: number, wrong: ReadonlySet<AuthenticatorWrongAnswer>): number {
  if (wrong.has('counter-zero')) return 0;
  if (wrong.has('counter-fixed')) return last;
  // 1, not last − 1: silent assertions (up=false, e.g. passkey autofill's discovery) advance the
  // device's count past the last one the RP stored, so only a restarted count is surely behind it.
  if (wrong.has('counter-backwards')) return last > 0 ? 1 : 0;
  return next;
}

/** A signature that does not verify: its last byte flipped (DER, raw and RSA signatures alike). */
export function wrongSignature(signature: Uint8Array, wrong: ReadonlySet<AuthenticatorWrongAnswer>): Uint8Array {
  if (!wrong.has('bad-signature')) return signature;
  const bad = signature.slice();
  bad[bad.length - 1]! ^= 0x01;
  return bad;
}

/** Algorithms tried, in order, for a COSE alg the RP did not offer. */
const OTHER_ALGS = [CoseAlg.ES512, CoseAlg.ES384, -47, -37, CoseAlg.RS256, CoseAlg.EdDSA, CoseAlg.ES256];

/**
 * The credential public key (COSE_Key bytes) as lied about: `cose-alg` names an algorithm not in
 * the request's pubKeyCredParams (§7.1: the alg must be one the RP asked for); `cose-curve` names
 * another curve than the key's (P-256 → P-384, Ed25519 → Ed448; RSA keys have no curve).
 */
export function wrongCoseKey(
  coseKey: Uint8Array,
  offered: readonly number[],
  wrong: ReadonlySet<AuthenticatorWrongAnswer>,
): Uint8Array {
  if (!wrong.has('cose-alg') && !wrong.has('cose-curve')) return coseKey;
  const map = decode(coseKey) as CborMap;
  if (wrong.has('cose-alg')) map.set(3, OTHER_ALGS.find((a) => !offered.includes(a)) ?? 0);
  if (wrong.has('cose-curve')) {
    const kty = map.get(1);
    if (kty === CoseKty.EC2) map.set(-1, map.get(-1) === CoseCrv['P-256'] ? CoseCrv['P-384'] : CoseCrv['P-256']);
    if (kty === CoseKty.OKP) map.set(-1, 7); // Ed448 (RFC 9053 Table 18)
  }
  return encode(map);
}

/** The bytes the attestation signs: other bytes (one flipped) for `attestation-other-bytes`. */
export function wrongAttestedBytes(authData: Uint8Array, wrong: ReadonlySet<AuthenticatorWrongAnswer>): Uint8Array {
  if (!wrong.has('attestation-other-bytes')) return authData;
  const other = authData.slice();
  other[other.length - 1]! ^= 0x01;
  return other;
}
