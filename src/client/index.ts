/** The WebAuthn client: what the bridge, the CLI and tests use. */
export { WebAuthnClient, DEFAULT_PUB_KEY_CRED_PARAMS } from './webauthnClient.js';
export type {
  WebAuthnClientOptions,
  CreateContext,
  GetContext,
  SignalContext,
  AssertionCandidate,
  UserVerificationRequirement,
  CredentialMediationRequirement,
} from './webauthnClient.js';
export type { CtapTransport } from './transport.js';
export { ClientPin } from './clientPin.js';
export type { PinSource, PinRequest } from './clientPin.js';
export {
  WebAuthnError,
  CTAP_STATUS_TO_WEBAUTHN,
  WEBAUTHN_ERROR_NAMES,
  webAuthnNameOfStatus,
  toWebAuthnError,
} from './errors.js';
export type { WebAuthnErrorName } from './errors.js';
export { PinUvAuthTokenPermission, pinUvAuthenticate } from './userVerifier.js';
export type { UserVerifier, PinUvAuthToken } from './userVerifier.js';
export { parseCreationOptionsFromJSON, parseRequestOptionsFromJSON } from './json.js';
export type * from './json.js';
export { callerOrigin, resolveRpId } from './origin.js';
export { collectClientData } from './clientData.js';
export { DEFAULT_TIMEOUTS, TESTING_TIMEOUTS, type TimeoutRange } from './ceremony.js';
export type { NoneAttestationAaguid, AttestationConveyance } from './attestation.js';
export { AutofillUi, RECENT_AUTHENTICATION_MS } from './conditionalMediation.js';
export type { AutofillAccount, AutofillOffer } from './conditionalMediation.js';
export { CLIENT_CAPABILITY_KEYS, type ClientCapabilities } from './clientCapabilities.js';
export { validateRelatedOrigins, originListed, registrableOriginLabel, DEFAULT_MAX_LABELS } from './relatedOrigins.js';
export type { RelatedOriginsFetch, RelatedOriginsOptions } from './relatedOrigins.js';
export type {
  UnknownCredentialOptions,
  AllAcceptedCredentialsOptions,
  CurrentUserDetailsOptions,
  SignalEffect,
  SignalKind,
} from './signals.js';
