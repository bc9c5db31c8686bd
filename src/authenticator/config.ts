/**
 * What this authenticator is: the values getInfo reports and the limits it enforces. Profiles
 * (default, badge, ctap20, JSON files) are different configs of the same code.
 */
import { fromHex } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';

export type AttestationMode = 'packed' | 'self' | 'none';

export interface AuthenticatorConfig {
  aaguid: Uint8Array;
  versions: string[];
  /** Supported algorithms; pubKeyCredParams order decides which one is used (§6.1.2 step 3). */
  algorithms: CredentialAlg[];
  attestation: AttestationMode;
  maxMsgSize: number;
  maxCredentialCountInList: number;
  maxCredentialIdLength: number;
  maxResidentCredentials: number;
  transports: string[];
  firmwareVersion: number;
  /** CTAP 2.0-era wording of a few errors (UNSUPPORTED_OPTION where 2.1 says INVALID_OPTION). */
  ctap20: boolean;
  /** §6.6: reset only this long after power-up. */
  resetWindowMs: number;
  /** §6.3: getNextAssertion state lifetime. */
  nextAssertionTimeoutMs: number;
}

/** softkey's own AAGUID (random, fixed for the project). */
export const SOFTKEY_AAGUID = fromHex('5f0c6a2e8d1b4e3a9c7f2b6d1e4a8c30');

export function defaultConfig(overrides: Partial<AuthenticatorConfig> = {}): AuthenticatorConfig {
  return {
    aaguid: SOFTKEY_AAGUID,
    versions: ['FIDO_2_0', 'FIDO_2_1'],
    algorithms: [CoseAlg.ES256, CoseAlg.EdDSA, CoseAlg.RS256],
    attestation: 'packed',
    maxMsgSize: 7609,
    maxCredentialCountInList: 16,
    maxCredentialIdLength: 512,
    maxResidentCredentials: 10000,
    transports: ['usb'],
    firmwareVersion: 0x000100,
    ctap20: false,
    resetWindowMs: 10_000,
    nextAssertionTimeoutMs: 30_000,
    ...overrides,
  };
}
