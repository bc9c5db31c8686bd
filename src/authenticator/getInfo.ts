/**
 * CTAP 2.1 §6.4 authenticatorGetInfo: lists what this device implements, and nothing else; with the
 * ctap23 capability also the CTAP 2.3 §6.4 members 0x16–0x1F (ctap23GetInfoMembers).
 * https://fidoalliance.org/specs/fido-v2.3-ps-20260226/fido-client-to-authenticator-protocol-v2.3-ps-20260226.html#authenticatorGetInfo
 */
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { PIN_UV_AUTH_PROTOCOLS } from '../ctap2/pinUvAuthProtocol.js';
import {
  configSettings,
  managementOptions,
  MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH,
  supportedConfigSubCommands,
} from './authenticatorConfig.js';
import { attestationFormats, profileGetInfoView } from './config.js';
import type { Core } from './core.js';
import { MAX_CRED_BLOB_LENGTH } from './extensions/credBlob.js';
import { listedExtensions } from './extensions/supported.js';
import { pinComplexityPolicyUrl } from './extensions/pinComplexityPolicy.js';
import { MAX_SERIALIZED_LARGE_BLOB_ARRAY } from './largeBlobs.js';
import { encryptedGetInfoMembers } from './persistentPinUvAuthToken.js';
import { readPinState } from './pinUvAuthToken.js';
import { U2F_V2, u2fAvailable } from './u2f.js';
import { uvCountSinceLastPinEntry } from './uvCountSinceLastPinEntry.js';

/** §6.5.1: a PIN is at most 63 bytes, so at most 63 code points (getInfo maxPINLength, 0x1D). */
export const MAX_PIN_LENGTH = 63;

/**
 * CTAP 2.3 §6.4 versions: FIDO_2_3 only with the ctap23 capability, and never FIDO_2_2 (§6.4: an
 * authenticator implementing 2.3 lists FIDO_2_3, not FIDO_2_2). U2F_V2 goes when U2F is unavailable.
 */
function versions(core: Core): string[] {
  const { config } = core;
  return config.versions.filter(
    (v) => v !== 'FIDO_2_2' && (v !== 'FIDO_2_3' || config.ctap23) && (v !== U2F_V2 || u2fAvailable(core)),
  );
}

/** CTAP 2.3 §6.4 members 0x16–0x1F (the ctap23 capability). */
function ctap23GetInfoMembers(core: Core): Partial<GetInfoResponse> {
  const { config, env } = core;
  const settings = configSettings(core);
  return {
    attestationFormats: attestationFormats(config), // 0x16, the default first
    ...(env.uv && { uvCountSinceLastPinEntry: uvCountSinceLastPinEntry(core) }), // 0x17, with built-in UV only
    longTouchForReset: settings.longTouchForReset, // 0x18
    ...encryptedGetInfoMembers(core), // 0x19 encIdentifier, 0x1E encCredStoreState
    transportsForReset: config.transports, // 0x1A: reset is answered on every transport
    pinComplexityPolicy: settings.pinComplexityPolicy, // 0x1B
    pinComplexityPolicyURL: pinComplexityPolicyUrl(), // 0x1C
    maxPINLength: MAX_PIN_LENGTH, // 0x1D
    authenticatorConfigCommands: supportedConfigSubCommands(core), // 0x1F
  };
}

export function getInfo(core: Core): GetInfoResponse {
  const { config, env } = core;
  const pin = readPinState(env.store);
  // clientPin: PIN supported, and set (true) or not yet (false). makeCredUvNotRqd: a
  // non-discoverable credential needs no UV even when a PIN is set (§6.1.2 step 10).
  const options: Record<string, boolean> = {
    rk: true,
    up: true,
    plat: false,
    clientPin: pin.pinHash !== undefined,
    pinUvAuthToken: true,
    makeCredUvNotRqd: config.makeCredUvNotRqd,
  };
  if (env.uv) options.uv = env.uv.available;
  // CTAP 2.3 perCredMgmtRO: credentialManagement's read-only subcommands take the persistent token (pcmr).
  if (config.ctap23) options.perCredMgmtRO = true;
  // credMgmt, largeBlobs, authnrCfg, setMinPINLength, ep, alwaysUv (makeCredUvNotRqd false under alwaysUv).
  const management = managementOptions(core);
  Object.assign(options, management);
  // The profile decides which members and options appear (config.ts profileGetInfoView).
  return profileGetInfoView(config, {
    versions: versions(core), // alwaysUv disables U2F
    extensions: listedExtensions(config),
    aaguid: config.aaguid,
    options,
    maxMsgSize: config.maxMsgSize,
    pinUvAuthProtocols: PIN_UV_AUTH_PROTOCOLS.filter((v) => config.pinUvAuthProtocols.includes(v)),
    maxCredentialCountInList: config.maxCredentialCountInList,
    maxCredentialIdLength: config.maxCredentialIdLength,
    transports: config.transports,
    algorithms: config.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
    forcePINChange: pin.forcePINChange,
    minPINLength: pin.minPINLength,
    firmwareVersion: config.firmwareVersion,
    maxCredBlobLength: MAX_CRED_BLOB_LENGTH,
    ...(management.largeBlobs && { maxSerializedLargeBlobArray: MAX_SERIALIZED_LARGE_BLOB_ARRAY }),
    ...(management.setMinPINLength && { maxRPIDsForSetMinPINLength: MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH }),
    remainingDiscoverableCredentials: core.remainingDiscoverableCredentials(),
    ...(config.ctap23 && ctap23GetInfoMembers(core)),
  });
}
