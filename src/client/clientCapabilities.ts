/**
 * PublicKeyCredential.getClientCapabilities() (WebAuthn L3 §5.1.11, the ClientCapability
 * enumeration of §5.8.7, plus "extension:" + identifier for each client extension, §5.1.11 step 3):
 * every key L3 lists, each saying what this client with these authenticators really does.
 *
 *   conditionalCreate, conditionalGet     conditionalMediation.ts: always
 *   hybridTransport                       an authenticator lists the hybrid transport (a provider profile that says so)
 *   passkeyPlatformAuthenticator          a platform authenticator with UV and discoverable credentials, or hybrid
 *   userVerifyingPlatformAuthenticator    a platform authenticator with built-in UV (L3 §5.1.7)
 *   relatedOrigins                        relatedOrigins.ts, unless the client turned it off
 *   signalAllAcceptedCredentials, signalCurrentUserDetails, signalUnknownCredential
 *                                         signals.ts: true when an authenticator has credential management
 *   extension:credProps                   client-only: always
 *   extension:credProtect, credBlob, largeBlob, minPinLength, prf (over hmac-secret)
 *                                         when an authenticator lists the CTAP extension (largeBlob: largeBlobKey)
 */
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { attachmentOf } from './authenticatorChoice.js';
import { hasCredentialManagement } from './signals.js';

export type ClientCapabilities = Record<string, boolean>;

export const CLIENT_CAPABILITY_KEYS = [
  'conditionalCreate',
  'conditionalGet',
  'hybridTransport',
  'passkeyPlatformAuthenticator',
  'userVerifyingPlatformAuthenticator',
  'relatedOrigins',
  'signalAllAcceptedCredentials',
  'signalCurrentUserDetails',
  'signalUnknownCredential',
] as const;

/** Client extension → the CTAP extension an authenticator must list for it (undefined: client-only). */
const EXTENSIONS: ReadonlyArray<[string, string | undefined]> = [
  ['credProps', undefined],
  ['credProtect', 'credProtect'],
  ['credBlob', 'credBlob'],
  ['largeBlob', 'largeBlobKey'],
  ['minPinLength', 'minPinLength'],
  ['prf', 'hmac-secret'],
];

export function clientCapabilities(
  infos: readonly GetInfoResponse[],
  client: { relatedOrigins: boolean },
): ClientCapabilities {
  const platform = infos.filter((i) => attachmentOf(i) === 'platform');
  const hybrid = infos.some((i) => (i.transports ?? []).includes('hybrid'));
  const uvpa = platform.some((i) => i.options?.uv === true);
  const signals = infos.some(hasCredentialManagement);
  const out: ClientCapabilities = {
    conditionalCreate: true,
    conditionalGet: true,
    hybridTransport: hybrid,
    passkeyPlatformAuthenticator: platform.some((i) => i.options?.uv === true && i.options.rk === true) || hybrid,
    userVerifyingPlatformAuthenticator: uvpa,
    relatedOrigins: client.relatedOrigins,
    signalAllAcceptedCredentials: signals,
    signalCurrentUserDetails: signals,
    signalUnknownCredential: signals,
  };
  for (const [id, ctap] of EXTENSIONS)
    out[`extension:${id}`] = ctap === undefined || infos.some((i) => (i.extensions ?? []).includes(ctap));
  return out;
}
