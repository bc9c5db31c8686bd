/**
 * CTAP 2.1 §6.4 authenticatorGetInfo: lists what this device implements, and nothing else.
 */
import type { GetInfoResponse } from '../ctap2/api.js';
import type { Core } from './core.js';

export function getInfo(core: Core): GetInfoResponse {
  const { config, env } = core;
  const options: Record<string, boolean> = { rk: true, up: true, plat: false };
  if (env.uv) options.uv = env.uv.available;
  return {
    versions: config.versions,
    extensions: ['credProtect'],
    aaguid: config.aaguid,
    options,
    maxMsgSize: config.maxMsgSize,
    maxCredentialCountInList: config.maxCredentialCountInList,
    maxCredentialIdLength: config.maxCredentialIdLength,
    transports: config.transports,
    algorithms: config.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
    firmwareVersion: config.firmwareVersion,
    remainingDiscoverableCredentials: Math.max(0, config.maxResidentCredentials - env.store.countResident()),
  };
}
