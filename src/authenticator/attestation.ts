/**
 * The attestation port of authenticatorMakeCredential (CTAP 2.1 §6.1.2 step 19: "generate an
 * attestation statement"): which WebAuthn L3 §8 format answers, for which AAGUID, and the
 * device's attestation keys and certificates. The format is chosen per device (config.attestation:
 * the profile, `openSoftKey({ attestation })`, `softkey start --attestation`) or per ceremony
 * (the control API's setAttestation, once or until changed). Keys and certificates are made on
 * first use and kept in the vault (encrypted at rest); the root CA is per device, so an RP trusts
 * one root (attestationRoots) for every format and AAGUID.
 */
import { createAttestationIdentity } from '../crypto/attestationCertificate.js';
import { androidKeyStatement } from '../crypto/attestation/androidKey.js';
import { createSafetyNetLeaf, safetyNetStatement } from '../crypto/attestation/androidSafetyNet.js';
import { APPLE_ALGORITHMS, appleStatement } from '../crypto/attestation/apple.js';
import {
  certificatePem,
  createAttestationAuthority,
  type AttestationAuthority,
  type CertifiedKey,
} from '../crypto/attestation/certificates.js';
import { compoundStatement, type FormatStatement } from '../crypto/attestation/compound.js';
import { createU2fLeaf, fidoU2fStatement } from '../crypto/attestation/fidoU2f.js';
import { createPackedLeaf, packedFullStatement, packedSelfStatement } from '../crypto/attestation/packed.js';
import { createAikLeaf, TPM_ALGORITHMS, tpmStatement } from '../crypto/attestation/tpm.js';
import { signWithSecret } from '../crypto/credentialKeys.js';
import { concat, equal, toHex } from '../encoding/bytes.js';
import type { Encodable } from '../encoding/cbor.js';
import { CoseAlg, type CoseKey, type CredentialAlg } from '../encoding/cose.js';
import type { AttestationStatement } from '../ctap2/makeCredential.js';
import { ATTESTATION_FORMATS, type AttestationMode } from './config.js';
import { SECRET_ATTESTATION_CERT, SECRET_ATTESTATION_KEY, type Core } from './core.js';

export { ATTESTATION_FORMATS };

/** The formats `compound` combines (§8.9): a packed full statement and a TPM one (or self where a TPM cannot attest). */
const COMPOUND_PARTS: AttestationMode[] = ['packed-chain', 'tpm'];

/** Credential algorithms a format can attest; undefined: every algorithm the device offers. */
export function attestationAlgorithms(format: AttestationMode): number[] | undefined {
  if (format === 'fido-u2f' || format === 'apple') return APPLE_ALGORITHMS; // §8.6: P-256 only; Apple's keys are P-256
  if (format === 'tpm') return TPM_ALGORITHMS;
  return undefined;
}

export interface AttestationChoice {
  format: AttestationMode;
  aaguid: Uint8Array;
  /**
   * A deliberately wrong packed leaf (wrongAnswers.ts): 'expired' (notAfter a year ago) or
   * 'other-aaguid' (its id-fido-gen-ce-aaguid is not the AAGUID in authData).
   */
  leaf?: 'expired' | 'other-aaguid';
}

interface State {
  override?: { format?: AttestationMode; aaguid?: Uint8Array; once: boolean };
  authority?: Promise<AttestationAuthority>;
  leaves: Map<string, Promise<CertifiedKey>>;
}
const states = new WeakMap<Core, State>();
function stateOf(core: Core): State {
  let s = states.get(core);
  if (!s) states.set(core, (s = { leaves: new Map() }));
  return s;
}

/** Sets (or with undefined clears) the per-ceremony choice; `once`: only the next makeCredential. */
export function setAttestationOverride(
  core: Core,
  override: { format?: AttestationMode; aaguid?: Uint8Array; once?: boolean } | undefined,
): void {
  const s = stateOf(core);
  if (!override || (override.format === undefined && override.aaguid === undefined)) delete s.override;
  else s.override = { ...override, once: override.once === true };
}

/** The format and AAGUID the next makeCredential uses, and whether that is a one-time choice. */
export function currentAttestation(core: Core): AttestationChoice & { once: boolean } {
  const o = stateOf(core).override;
  return {
    format: o?.format ?? core.config.attestation,
    aaguid: o?.aaguid ?? core.config.aaguid,
    once: o?.once ?? false,
  };
}

/** A credential was made: a one-time choice is used up. */
export function attestationUsed(core: Core): void {
  const s = stateOf(core);
  if (s.override?.once) delete s.override;
}

const ROOT_KEY = 'attestation-root-key';
const ROOT_CERT = 'attestation-root-certificate';
const CA_KEY = 'attestation-ca-key';
const CA_CERT = 'attestation-ca-certificate';

const notBefore = (core: Core) => new Date(core.env.clock.now() - 24 * 3600 * 1000);

/** The device's root and intermediate CAs, made once and kept in the vault. */
export function attestationAuthority(core: Core): Promise<AttestationAuthority> {
  const s = stateOf(core);
  s.authority ??= (async () => {
    const { vault, rng } = core.env;
    const [rk, rc, ck, cc] = [ROOT_KEY, ROOT_CERT, CA_KEY, CA_CERT].map((n) => vault.get(n));
    if (rk && rc && ck && cc) {
      return {
        root: { alg: CoseAlg.ES256, secret: rk, certificate: rc },
        intermediate: { alg: CoseAlg.ES256, secret: ck, certificate: cc },
      };
    }
    const authority = await createAttestationAuthority({ random: (n) => rng.bytes(n), notBefore: notBefore(core) });
    vault.set(ROOT_KEY, authority.root.secret);
    vault.set(ROOT_CERT, authority.root.certificate);
    vault.set(CA_KEY, authority.intermediate.secret);
    vault.set(CA_CERT, authority.intermediate.certificate);
    return authority;
  })();
  s.authority.catch(() => delete s.authority);
  return s.authority;
}

/** The certificates an RP adds to its trust anchors for every format softkey emits (DER). */
export async function attestationRoots(core: Core): Promise<Uint8Array[]> {
  return [(await attestationAuthority(core)).root.certificate];
}

type LeafKind = 'packed' | 'fido-u2f' | 'tpm' | 'android-safetynet' | 'packed-expired' | 'packed-other-aaguid';

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** A format's attestation key and certificate for one AAGUID, made once and kept in the vault. */
function leaf(core: Core, kind: LeafKind, aaguid: Uint8Array): Promise<CertifiedKey> {
  const s = stateOf(core);
  const name = `${kind}:${toHex(aaguid)}`;
  let p = s.leaves.get(name);
  if (!p) {
    p = (async () => {
      const { vault, rng } = core.env;
      const alg = kind === 'android-safetynet' ? CoseAlg.RS256 : CoseAlg.ES256;
      const [keyName, certName] = [`attestation-leaf-key:${name}`, `attestation-leaf-certificate:${name}`];
      const [secret, certificate] = [vault.get(keyName), vault.get(certName)];
      if (secret && certificate) return { alg, secret, certificate };
      const authority = await attestationAuthority(core);
      const o = { aaguid, random: rng.bytes(16), notBefore: notBefore(core) };
      const made =
        kind === 'packed'
          ? await createPackedLeaf(authority, o)
          : kind === 'packed-expired'
            ? await createPackedLeaf(authority, {
                ...o,
                notBefore: new Date(core.env.clock.now() - 2 * YEAR_MS),
                years: 1,
              })
            : kind === 'packed-other-aaguid'
              ? await createPackedLeaf(authority, { ...o, aaguid: aaguid.map((b) => b ^ 0xff) })
              : kind === 'tpm'
                ? await createAikLeaf(authority, o)
                : kind === 'fido-u2f'
                  ? await createU2fLeaf(authority, o)
                  : await createSafetyNetLeaf(authority, o);
      vault.set(keyName, made.secret);
      vault.set(certName, made.certificate);
      return made;
    })();
    s.leaves.set(name, p);
    p.catch(() => s.leaves.delete(name));
  }
  return p;
}

/** The single self-signed packed certificate (the original `packed` mode) for an AAGUID. */
async function selfSignedPackedIdentity(
  core: Core,
  aaguid: Uint8Array,
): Promise<{ secret: Uint8Array; certificate: Uint8Array }> {
  if (equal(aaguid, core.config.aaguid)) return core.attestation;
  const [keyName, certName] = [
    `${SECRET_ATTESTATION_KEY}:${toHex(aaguid)}`,
    `${SECRET_ATTESTATION_CERT}:${toHex(aaguid)}`,
  ];
  const [secret, certificate] = [core.env.vault.get(keyName), core.env.vault.get(certName)];
  if (secret && certificate) return { secret, certificate };
  const made = await createAttestationIdentity({
    aaguid,
    serialNumber: core.env.rng.bytes(16),
    notBefore: notBefore(core),
  });
  core.env.vault.set(keyName, made.secret);
  core.env.vault.set(certName, made.certificate);
  return made;
}

export interface AttestationInput {
  alg: CredentialAlg;
  authData: Uint8Array;
  clientDataHash: Uint8Array;
  rpIdHash: Uint8Array;
  credentialId: Uint8Array;
  publicKey: CoseKey;
  /** Signs with the new credential's private key (self, android-key). */
  signWithCredential(data: Uint8Array): Uint8Array;
}

/** The attestation statement of `choice.format` (WebAuthn L3 §8.2–§8.9). */
export async function attestationStatement(
  core: Core,
  choice: AttestationChoice,
  i: AttestationInput,
): Promise<AttestationStatement> {
  const signed = concat(i.authData, i.clientDataHash);
  const now = core.env.clock.now();
  const format = choice.format;
  const authority = () => attestationAuthority(core);
  switch (format) {
    case 'none':
      return { fmt: 'none', attStmt: new Map() };
    case 'self':
      return { fmt: 'packed', attStmt: packedSelfStatement(i.alg, i.signWithCredential(signed)) };
    case 'packed': {
      const identity = await selfSignedPackedIdentity(core, choice.aaguid);
      const sig =
        identity === core.attestation
          ? core.attestationSign(signed)
          : signWithSecret(CoseAlg.ES256, identity.secret, signed);
      const attStmt = new Map<string, Encodable>([
        ['alg', CoseAlg.ES256],
        ['sig', sig],
        ['x5c', [identity.certificate]],
      ]);
      return { fmt: 'packed', attStmt };
    }
    case 'packed-chain': {
      const kind =
        choice.leaf === 'expired'
          ? 'packed-expired'
          : choice.leaf === 'other-aaguid'
            ? 'packed-other-aaguid'
            : 'packed';
      return {
        fmt: 'packed',
        attStmt: packedFullStatement(await leaf(core, kind, choice.aaguid), await authority(), signed),
      };
    }
    case 'fido-u2f':
      return { fmt: 'fido-u2f', attStmt: fidoU2fStatement(await leaf(core, 'fido-u2f', ZERO_AAGUID), i) };
    case 'tpm': {
      const clock = BigInt(Math.max(0, now - core.runtime.powerUpAt));
      const aik = await leaf(core, 'tpm', choice.aaguid);
      return { fmt: 'tpm', attStmt: tpmStatement(aik, await authority(), { publicKey: i.publicKey, signed, clock }) };
    }
    case 'android-key': {
      const sig = i.signWithCredential(signed);
      const o = {
        ...i,
        sig,
        random: core.env.rng.bytes(16),
        notBefore: new Date(now - 24 * 3600 * 1000),
        createdAt: now,
      };
      return { fmt: 'android-key', attStmt: await androidKeyStatement(await authority(), o) };
    }
    case 'android-safetynet': {
      const jwsKey = await leaf(core, 'android-safetynet', choice.aaguid);
      return {
        fmt: 'android-safetynet',
        attStmt: safetyNetStatement(jwsKey, await authority(), { signed, timestampMs: now }),
      };
    }
    case 'apple': {
      const o = {
        publicKey: i.publicKey,
        signed,
        random: core.env.rng.bytes(16),
        notBefore: new Date(now - 24 * 3600 * 1000),
      };
      return { fmt: 'apple', attStmt: await appleStatement(await authority(), o) };
    }
    case 'compound': {
      const parts: FormatStatement[] = [];
      for (const part of COMPOUND_PARTS) {
        const usable = attestationAlgorithms(part)?.includes(i.alg) ?? true;
        const s = await attestationStatement(core, { ...choice, format: usable ? part : 'self' }, i);
        parts.push(s as FormatStatement);
      }
      return { fmt: 'compound', attStmt: compoundStatement(parts) };
    }
  }
}

/** The AAGUID in the attested credential data: zeros for none (CTAP 2.1 §6.1.2) and fido-u2f (WebAuthn §8.6). */
export function attestedAaguid(choice: AttestationChoice): Uint8Array {
  return choice.format === 'none' || choice.format === 'fido-u2f' ? ZERO_AAGUID : choice.aaguid;
}
const ZERO_AAGUID = new Uint8Array(16);

/** attestationRoots as PEM text (RFC 7468), what `softkey attestation roots` prints. */
export async function attestationRootsPem(core: Core): Promise<string[]> {
  return (await attestationRoots(core)).map(certificatePem);
}
