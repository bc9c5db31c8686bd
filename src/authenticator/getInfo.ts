/**
 * CTAP 2.1 §6.4 authenticatorGetInfo: lists what this device implements, and nothing else.
 */
import type { GetInfoResponse } from '../ctap2/api.js';
import { PIN_UV_AUTH_PROTOCOLS } from '../ctap2/pinUvAuthProtocol.js';
import type { Core } from './core.js';
import { readPinState } from './pinUvAuthToken.js';

export function getInfo(core: Core): GetInfoResponse {
  const { config, env } = core;
  const pin = readPinState(env.store);
  // clientPin: PIN supported, and set (true) or not yet (false). makeCredUvNotRqd: a
  // non-discoverable credential needs no UV even when a PIN is set (§6.1.2 step 10).
  const options: Record<string, boolean> = { rk: true, up: true, plat: false, clientPin: pin.pinHash !== undefined, pinUvAuthToken: true, makeCredUvNotRqd: true };
  if (env.uv) options.uv = env.uv.available;
  return {
    versions: config.versions,
    extensions: ['credProtect'],
    aaguid: config.aaguid,
    options,
    maxMsgSize: config.maxMsgSize,
    pinUvAuthProtocols: [...PIN_UV_AUTH_PROTOCOLS],
    maxCredentialCountInList: config.maxCredentialCountInList,
    maxCredentialIdLength: config.maxCredentialIdLength,
    transports: config.transports,
    algorithms: config.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
    forcePINChange: pin.forcePINChange,
    minPINLength: pin.minPINLength,
    firmwareVersion: config.firmwareVersion,
    remainingDiscoverableCredentials: Math.max(0, config.maxResidentCredentials - env.store.countResident()),
  };
}
