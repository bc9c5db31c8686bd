/** softkey: a software FIDO2 security key. Library entry point. */
export { openSoftKey, connectSoftKey } from './main/softkey.js';
export type { OpenSoftKeyOptions, SoftKey, ConnectSoftKeyOptions, SoftKeyConnection, CtapTransport } from './main/softkey.js';
export type { PresenceMode } from './main/presence.js';
export { BUILT_IN_PROFILES, ProfileError } from './main/profiles.js';
export type { ProfileSpec } from './main/profiles.js';
export type { PresenceRequest, PresenceResult, UserPresence, UserVerification } from './authenticator/env.js';
export { CtapError, Status } from './ctap2/status.js';
export { WebAuthnClient, WebAuthnError } from './client/index.js';
export type {
  WebAuthnClientOptions,
  CreateContext,
  GetContext,
  WebAuthnErrorName,
  PinSource,
  PinRequest,
  UserVerifier,
  PinUvAuthToken,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  AuthenticationResponseJSON,
  AuthenticationExtensionsClientInputs,
  AuthenticationExtensionsClientOutputsJSON,
} from './client/index.js';
// The browser bridge (for pages outside Playwright; Playwright users import 'softkey/playwright').
export { startBridgeServer, startShimProxy, pageShimScript } from './bridge/index.js';
export type { BridgeServer, BridgeServerOptions, ShimChannel, ShimProxy, ShimProxyOptions } from './bridge/index.js';
