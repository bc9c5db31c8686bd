/**
 * WebAuthn L3 §10.1.1 FIDO AppID (appid) and §10.1.2 FIDO AppID Exclusion (appidExclude), as CTAP
 * carries them to authenticators that process them: an AppID URL whose hash names the RP of U2F
 * credentials. Processed by makeCredential's excludeList (appidExclude) and getAssertion's
 * allowList (appid), and only by profiles that list them (the badge); softkey's default profile
 * leaves them to the platform.
 * https://www.w3.org/TR/webauthn-3/#sctn-appid-extension
 */
import type { ExtensionDescriptor } from './descriptor.js';

export const APPID = 'appid';
export const APPID_EXCLUDE = 'appidExclude';

/** getAssertion "appid": the AppID an allowList credential may have been registered for. */
export const appid: ExtensionDescriptor<unknown, string> = {
  id: APPID,
  offeredByDefault: false,
  decodeGetAssertionInput: (f) => f.text(APPID),
};

/** makeCredential "appidExclude": the AppID whose credentials in the excludeList also exclude. */
export const appidExclude: ExtensionDescriptor<string> = {
  id: APPID_EXCLUDE,
  offeredByDefault: false,
  decodeMakeCredentialInput: (f) => f.text(APPID_EXCLUDE),
};
