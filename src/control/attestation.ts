/**
 * The control API's attestation operations: which WebAuthn L3 §8 format and AAGUID the next
 * makeCredential answers with (once, or until changed), and the root certificates an RP trusts.
 */
import {
  ATTESTATION_FORMATS,
  attestationRootsPem,
  currentAttestation,
  setAttestationOverride,
} from '../authenticator/attestation.js';
import type { AttestationMode } from '../authenticator/config.js';
import type { Core } from '../authenticator/core.js';
import { fromHex, toHex } from '../encoding/bytes.js';
import { ControlError } from './controller.js';

export interface AttestationState {
  /** The format the next makeCredential uses. */
  format: AttestationMode;
  /** Its AAGUID, as a UUID string. */
  aaguid: string;
  /** true: only the next makeCredential, then back to the device's own. */
  once: boolean;
  /** The device's own (profile / --attestation) format and AAGUID. */
  device: { format: AttestationMode; aaguid: string };
  formats: readonly AttestationMode[];
}

const uuid = (b: Uint8Array) => toHex(b).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** An AAGUID as a UUID ("5f0c6a2e-8d1b-…") or 32 hex digits. */
export function parseAaguid(v: unknown, what = 'aaguid'): Uint8Array {
  const hex = typeof v === 'string' ? v.replace(/-/g, '') : '';
  if (!/^[0-9a-fA-F]{32}$/.test(hex))
    throw new ControlError(`${what} must be a UUID or 32 hex digits, got ${JSON.stringify(v)}`);
  return fromHex(hex.toLowerCase());
}

export function parseAttestationFormat(v: unknown, what = 'format'): AttestationMode {
  if (typeof v !== 'string' || !(ATTESTATION_FORMATS as readonly string[]).includes(v)) {
    throw new ControlError(`${what} must be one of ${ATTESTATION_FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as AttestationMode;
}

export function attestationState(core: Core): AttestationState {
  const c = currentAttestation(core);
  return {
    format: c.format,
    aaguid: uuid(c.aaguid),
    once: c.once,
    device: { format: core.config.attestation, aaguid: uuid(core.config.aaguid) },
    formats: ATTESTATION_FORMATS,
  };
}

/** { format?, aaguid?, once? }; { reset: true } (or neither format nor aaguid) returns to the device's own. */
export function setAttestation(core: Core, input: unknown): AttestationState {
  if (typeof input !== 'object' || input === null)
    throw new ControlError('the body must be an object { format?, aaguid?, once? }');
  const { format, aaguid, once, reset, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ControlError(`unknown member ${unknown[0]} (format, aaguid, once, reset)`);
  if (once !== undefined && typeof once !== 'boolean') throw new ControlError('once must be true or false');
  if (reset === true) setAttestationOverride(core, undefined);
  else {
    setAttestationOverride(core, {
      ...(format !== undefined && { format: parseAttestationFormat(format) }),
      ...(aaguid !== undefined && { aaguid: parseAaguid(aaguid) }),
      once: once === true,
    });
  }
  return attestationState(core);
}

export async function attestationRoots(core: Core): Promise<{ roots: string[] }> {
  return { roots: await attestationRootsPem(core) };
}
