/**
 * What this authenticator is: the values getInfo reports and the limits it enforces. Profiles
 * (default, badge, ctap20, JSON files) are different configs of the same code.
 */
import { fromHex } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';

/**
 * Attestation formats (WebAuthn L3 §8; attestation.ts): 'packed' a single self-signed x5c certificate,
 * 'packed-chain' x5c leaf → intermediate under the device root, 'self' and 'none', and the formats of
 * other authenticators and platforms: 'fido-u2f', 'tpm', 'android-key', 'android-safetynet', 'apple',
 * 'compound'.
 */
export const ATTESTATION_FORMATS = [
  'packed',
  'self',
  'none',
  'packed-chain',
  'fido-u2f',
  'tpm',
  'android-key',
  'android-safetynet',
  'apple',
  'compound',
] as const;
export type AttestationMode = (typeof ATTESTATION_FORMATS)[number];

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
  /**
   * The CTAP 2.3 capability: FIDO_2_3 in versions, getInfo members 0x16–0x1F, the persistent
   * pinUvAuthToken (pcmr), enableLongTouchForReset, attestationFormatsPreference and the
   * pinComplexityPolicy extension (ctap23.ts says where each lives).
   */
  ctap23: boolean;
  /**
   * CTAPHID channels served (CTAP 2.1 §11.2.4; src/ctaphid/channels.ts): 'any' (default) also a
   * non-zero, non-broadcast CID the host picked itself, taken as if allocated, as the solo1, canokey and
   * pico-fido firmware do; 'allocated' only CIDs that CTAPHID_INIT handed out (others:
   * ERR_INVALID_CHANNEL), as OpenSK does. docs/profiles.md gives the reasons for the default.
   */
  hidChannels: 'allocated' | 'any';
  /** §6.6: reset only this long after power-up. */
  resetWindowMs: number;
  /** §6.3: getNextAssertion state lifetime. */
  nextAssertionTimeoutMs: number;

  // Profile switches (src/main/profiles.ts). Lists say what a profile allows, so a command or
  // extension added later stays hidden from profiles that list theirs.
  /** Profile name, for display. */
  profile: string;
  /** CTAP2 command bytes dispatched; others → CTAP1_ERR_INVALID_COMMAND. undefined: every command. */
  commands?: number[];
  /** Command bytes answered CTAP2_ERR_UNSUPPORTED_OPTION without running (the badge's largeBlobs/config). */
  refusedCommands: number[];
  /** clientPIN subCommands answered; others → CTAP2_ERR_INVALID_SUBCOMMAND. undefined: all. */
  clientPinSubCommands?: number[];
  /** false: setPIN/changePIN → CTAP2_ERR_UNSUPPORTED_OPTION; the PIN is set on the device (setDevicePin). */
  pinSettableOverWire: boolean;
  /** pinUvAuthProtocols offered, in order of preference (§6.5.4). */
  pinUvAuthProtocols: number[];
  /** clientPIN requests without pinUvAuthProtocol (or 0) use this one (a badge quirk); undefined: spec. */
  defaultPinUvAuthProtocol?: number;
  /** Extension identifiers offered and processed; inputs of others are ignored. undefined: all implemented. */
  extensions?: string[];
  /** §6.1.2 step 7: non-discoverable credentials without UV when protected (getInfo makeCredUvNotRqd). */
  makeCredUvNotRqd: boolean;
  /**
   * Backup eligibility and state (WebAuthn L3 §6.1.3 BE/BS) given to every new credential, as
   * DevTools' defaultBackupEligibility/defaultBackupState; per credential through the control API.
   */
  backupEligible?: boolean;
  backupState?: boolean;
  /**
   * Every credential, discoverable or not, is stored in one of this many slots and its ID is a short
   * handle (credentialSlot.ts); KEY_STORE_FULL when none is free. undefined: sealed IDs, unlimited.
   */
  credentialSlots?: number;
  /**
   * Platform authenticators and passkey providers (src/main/profiles.ts): every new credential's ID
   * is this many random bytes (16–32 as providers make them), its payload stored in a slot under it
   * (credentialSlot.ts), not sealed into it. undefined: sealed IDs (or slot handles).
   */
  storedCredentialIdLength?: number;
  /** Every credential is discoverable (a passkey provider stores each one), whatever the rk option says. */
  alwaysDiscoverable?: boolean;
  /** Built-in UV on every makeCredential and user-present getAssertion, asked for or not (an OS prompt). */
  alwaysBuiltInUv?: boolean;
  /** attestation 'none' still reports the AAGUID (passkey providers do; the default zeroes it). */
  aaguidInNoneAttestation?: boolean;
  /** getInfo members emitted (spec names); undefined: every member the device computes. */
  getInfoMembers?: string[];
  /** getInfo options emitted: true/false fixed, null as the device computes; undefined: all computed. */
  getInfoOptions?: Record<string, boolean | null>;
}

/**
 * A device that does not claim FIDO_2_1 (the ctap20 profile) follows CTAP 2.0's pinToken rules
 * (CTAP 2.0 §5.5.8 "Using pinToken"): the token has no permissions, RP binding or usage timer and
 * authorizes any number of makeCredential / getAssertion calls until a power cycle or a new token;
 * and "up" is not a makeCredential option (CTAP 2.0 §5.1 step 7: known but not valid for this command).
 */
export function followsCtap20(config: Pick<AuthenticatorConfig, 'versions'>): boolean {
  return !config.versions.includes('FIDO_2_1');
}

/** softkey's own AAGUID (random, fixed for the project). */
export const SOFTKEY_AAGUID = fromHex('5f0c6a2e8d1b4e3a9c7f2b6d1e4a8c30');

export function defaultConfig(overrides: Partial<AuthenticatorConfig> = {}): AuthenticatorConfig {
  return {
    aaguid: SOFTKEY_AAGUID,
    versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_3'],
    algorithms: [CoseAlg.ES256, CoseAlg.EdDSA, CoseAlg.RS256, CoseAlg.ES384, CoseAlg.ES512],
    attestation: 'packed',
    maxMsgSize: 7609,
    maxCredentialCountInList: 16,
    maxCredentialIdLength: 512,
    maxResidentCredentials: 10000,
    transports: ['usb'],
    firmwareVersion: 0x000100,
    ctap20: false,
    ctap23: true,
    hidChannels: 'any',
    resetWindowMs: 10_000,
    nextAssertionTimeoutMs: 30_000,
    profile: 'default',
    refusedCommands: [],
    pinSettableOverWire: true,
    pinUvAuthProtocols: [2, 1],
    makeCredUvNotRqd: true,
    ...overrides,
  };
}

/**
 * CTAP 2.3 §6.4 attestationFormats (0x16): the attestation statement formats makeCredential can
 * return, the default first. "packed" (full or self attestation, as the profile says) and "none".
 */
export function attestationFormats(config: AuthenticatorConfig): string[] {
  return config.attestation === 'none' ? ['none'] : ['packed', 'none'];
}

/** The profile's view of getInfo: only its members and options, with its fixed option values. */
export function profileGetInfoView<T extends { options?: Record<string, boolean>; extensions?: string[] }>(
  config: AuthenticatorConfig,
  info: T,
): T {
  const out: Record<string, unknown> = { ...info };
  if (config.extensions) out.extensions = [...config.extensions];
  if (config.getInfoOptions && info.options) {
    const options: Record<string, boolean> = {};
    for (const [id, fixed] of Object.entries(config.getInfoOptions)) {
      const value = fixed ?? info.options[id];
      if (value !== undefined) options[id] = value;
    }
    out.options = options;
  }
  if (config.getInfoMembers) {
    for (const member of Object.keys(out)) if (!config.getInfoMembers.includes(member)) delete out[member];
  }
  return out as T;
}

/** The profile's command switches, as ctap2/dispatch.ts DispatchOptions takes them. */
export function commandPolicy(config: AuthenticatorConfig): {
  enabled: (command: number) => boolean;
  refused: (command: number) => boolean;
} {
  return {
    enabled: (command) => config.commands === undefined || config.commands.includes(command),
    refused: (command) => config.refusedCommands.includes(command),
  };
}
