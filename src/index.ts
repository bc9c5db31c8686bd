/** softkey: a software FIDO2 security key. Library entry point. */
export { openSoftKey, connectSoftKey } from './main/softkey.js';
export type {
  OpenSoftKeyOptions,
  SoftKey,
  ConnectSoftKeyOptions,
  SoftKeyConnection,
  CtapTransport,
} from './main/softkey.js';
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
  SignalContext,
  AutofillAccount,
  AutofillOffer,
  ClientCapabilities,
  SignalEffect,
  RelatedOriginsFetch,
} from './client/index.js';
// The browser bridge (for pages outside Playwright; Playwright users import 'softkey/playwright').
export { startBridgeServer, startShimProxy, pageShimScript } from './bridge/index.js';
export type { BridgeServer, BridgeServerOptions, ShimChannel, ShimProxy, ShimProxyOptions } from './bridge/index.js';
// Types that appear in the signatures above, so that callers can name them.
export type { AuthenticatorConfig } from './authenticator/config.js';
export type { PresenceOperation } from './authenticator/env.js';
export type { Controller } from './control/controller.js';
export { PRESENCE_MODES } from './control/presence.js';
export type { TransactionReview } from './wallet/review.js';
export type { WalletApp } from './wallet/dispatcher.js';
export type { CtapHidHost } from './ctaphid/hostDevice.js';
export type { GetInfoAlgorithm, GetInfoResponse } from './ctap2/getInfo.js';
export type { KeyState, SealedKeyState } from './store/snapshot.js';
export type { AuthenticatorChooser } from './client/authenticatorChoice.js';
export { WEBAUTHN_ERROR_NAMES } from './client/index.js';
export type {
  AssertionCandidate,
  CredentialMediationRequirement,
  NoneAttestationAaguid,
  TimeoutRange,
} from './client/index.js';
export type * from './client/json.js';
export type { ShimStatics } from './bridge/pageShim.js';
export type { BridgeClient } from './bridge/index.js';
export type { CredentialAlg } from './encoding/cose.js';
export type { AuthenticatorAttachment, AuthenticatorCandidate } from './client/authenticatorChoice.js';
export type { ResidentJson, SlotJson } from './store/snapshot.js';
export type { ScryptParams } from './crypto/passphrase.js';
export type { WalletSettings } from './wallet/context.js';
export type { ReviewOutcome, ReviewNotice, ReviewRequest } from './wallet/review.js';
export type { AttestationState } from './control/attestation.js';
export type {
  FaultPlanView,
  CredentialInfo,
  CredentialEventJson,
  PresenceState,
  UvState,
  WalletAddress,
  AddCredentialInput,
  ControlEvent,
} from './control/controller.js';
export type { Prompt } from './control/presence.js';
export type { TraceEntry } from './control/trace.js';
export type { CredentialEvent, CredentialEventType } from './authenticator/credentialEvents.js';
export type { CtapHidDeviceInfo, CtapHidRequestOptions } from './ctaphid/hostDevice.js';
export { CoseAlg } from './encoding/cose.js';
export type { FaultPlan, CorruptReport, CtapErrorFault } from './control/faults.js';
export type { CredProtectLevel } from './store/credentialStore.js';
export type { PrivateKeyJson } from './control/controller.js';
export type { ReviewItem } from './wallet/review.js';
export type { TraceLayer } from './control/trace.js';
export type { UvResult } from './control/presence.js';
// The demo relying party as a library (a separate program: it runs without the rest of softkey).
export { startDemo, createDemoServer } from './rp-demo/server.js';
export type { StartDemoOptions, DemoServer, DemoServerOptions } from './rp-demo/server.js';
// WebAuthn L3 client features (passkey autofill, signals, related origins) and the demo's database.
export type { AutofillUi } from './client/conditionalMediation.js';
export type { AutofillControl } from './main/softkey.js';
export type { RelatedOriginsOptions } from './client/relatedOrigins.js';
export type {
  AllAcceptedCredentialsOptions,
  CurrentUserDetailsOptions,
  UnknownCredentialOptions,
} from './client/signals.js';
export type { DemoDb, DemoUser, DemoCredential } from './rp-demo/db.js';
// A relying party's test bench (issue 16): the wrong-answer catalog, rp-check and a local FIDO MDS.
export { WRONG_ANSWERS, type WrongAnswerInfo } from './main/control.js';
export type { ArmedWrongAnswer, OverrideState, WrongAnswerNeeds } from './control/wrongAnswers.js';
export type { WebAuthnCeremony } from './authenticator/wrongAnswers.js';
export type { WrongAnswerHook } from './client/wrongAnswers.js';
export type { RpCeremonyAdapter, RpEndpoint } from './rp-check/rpCheck.js';
export type { MetadataPayload } from './mds/metadataService.js';
export { rpCheck, formatRpCheckReport, checkRpCheckAdapter } from './rp-check/rpCheck.js';
export type {
  RpCheckAdapter,
  RpCheckOptions,
  RpCheckReport,
  RpCheckResult,
  RpCheckVerdict,
} from './rp-check/rpCheck.js';
export { metadataBlob, startMetadataService, AUTHENTICATOR_STATUSES, MdsError } from './mds/metadataService.js';
export type {
  AuthenticatorStatus,
  MetadataBlob,
  MetadataBlobOptions,
  MetadataServiceServer,
} from './mds/metadataService.js';
