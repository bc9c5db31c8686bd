/** softkey: a software FIDO2 security key. Library entry point. */
export { openSoftKey, connectSoftKey } from './main/softkey.js';
export type { OpenSoftKeyOptions, SoftKey, ConnectSoftKeyOptions, SoftKeyConnection, CtapTransport } from './main/softkey.js';
export type { PresenceMode } from './main/presence.js';
export type { PresenceRequest, PresenceResult, UserPresence, UserVerification } from './authenticator/env.js';
export { CtapError, Status } from './ctap2/status.js';
