/**
 * CTAP 2.1 §6.4 authenticatorGetInfo: lists what this device implements, and nothing else.
 */
import type { GetInfoResponse } from '../ctap2/api.js';
import { PIN_UV_AUTH_PROTOCOLS } from '../ctap2/pinUvAuthProtocol.js';
import { managementOptions, MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH } from './authenticatorConfig.js';
import { profileGetInfoView } from './config.js';
import type { Core } from './core.js';
import { MAX_CRED_BLOB_LENGTH } from './extensions/credBlob.js';
import { SUPPORTED_EXTENSIONS } from './extensions/supported.js';
import { MAX_SERIALIZED_LARGE_BLOB_ARRAY } from './largeBlobs.js';
import { readPinState } from './pinUvAuthToken.js';
import { U2F_V2, u2fAvailable } from './u2f.js';

export function getInfo(core: Core): GetInfoResponse {
  const { config, env } = core;
  const pin = readPinState(env.store);
  // clientPin: PIN supported, and set (true) or not yet (false). makeCredUvNotRqd: a
  // non-discoverable credential needs no UV even when a PIN is set (§6.1.2 step 10).
  const options: Record<string, boolean> = { rk: true, up: true, plat: false, clientPin: pin.pinHash !== undefined, pinUvAuthToken: true, makeCredUvNotRqd: config.makeCredUvNotRqd };
  if (env.uv) options.uv = env.uv.available;
  // credMgmt, largeBlobs, authnrCfg, setMinPINLength, ep, alwaysUv (makeCredUvNotRqd false under alwaysUv).
  const management = managementOptions(core);
  Object.assign(options, management);
  // The profile decides which members and options appear (config.ts profileGetInfoView).
  return profileGetInfoView(config, {
    versions: u2fAvailable(core) ? config.versions : config.versions.filter((v) => v !== U2F_V2), // alwaysUv disables U2F
    extensions: [...SUPPORTED_EXTENSIONS],
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
  });
}
