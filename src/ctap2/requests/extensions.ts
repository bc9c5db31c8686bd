/**
 * CTAP 2.1 §12 "Defined Extensions" (and CTAP 2.2 §12.8 hmac-secret-mc, §12.9 thirdPartyPayment):
 * decoding of the authenticator extension inputs of makeCredential and getAssertion into typed
 * inputs. Extensions this authenticator does not implement are ignored (§12: "ignoring any that it
 * does not support"); a known one of the wrong CBOR type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE, and an
 * hmac-secret input without one of its required members CTAP2_ERR_MISSING_PARAMETER.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-defined-extensions
 */
import type { CborMap, CborValue } from '../../encoding/cbor.js';
import { asFields } from '../decode.js';
import { CtapError, Status } from '../status.js';

/** The hmac-secret getAssertion input (§12.5), also the hmac-secret-mc input (CTAP 2.2 §12.8). */
export interface HmacSecretInput {
  /** 0x01: the platform's key-agreement COSE_Key. */
  keyAgreement: CborMap;
  /** 0x02: encrypt(sharedSecret, salt1 ‖ salt2?). */
  saltEnc: Uint8Array;
  /** 0x03: authenticate(sharedSecret, saltEnc). */
  saltAuth: Uint8Array;
  /** 0x04: the PIN/UV auth protocol; absent means protocol one. */
  pinUvAuthProtocol?: number;
}

export const HmacSecretInputKey = { keyAgreement: 0x01, saltEnc: 0x02, saltAuth: 0x03, pinUvAuthProtocol: 0x04 } as const;

export interface MakeCredentialExtensionInputs {
  /** §12.1: an unsigned integer; the authenticator admits 1, 2 or 3 (credProtect.ts). */
  credProtect?: number;
  /** §12.2: the blob to store (any length; the authenticator decides whether it fits). */
  credBlob?: Uint8Array;
  /** §12.3. */
  largeBlobKey?: boolean;
  /** §12.4. */
  minPinLength?: boolean;
  /** §12.5. */
  hmacSecret?: boolean;
  /** CTAP 2.2 §12.8 (only with "hmac-secret": true). */
  hmacSecretMc?: HmacSecretInput;
  /** CTAP 2.2 §12.9. */
  thirdPartyPayment?: boolean;
  /** CTAP 2.3 pinComplexityPolicy: true asks whether the PIN complexity policy is enforced. */
  pinComplexityPolicy?: boolean;
  /** WebAuthn §10.1.2 appidExclude, an AppID URL; processed on the device by profiles offering it (the badge). */
  appidExclude?: string;
}

export interface GetAssertionExtensionInputs {
  /** §12.2: the getAssertion input is `"credBlob": true` (WebAuthn's getCredBlob client input). */
  getCredBlob?: boolean;
  /** §12.3. */
  largeBlobKey?: boolean;
  /** §12.5. */
  hmacSecret?: HmacSecretInput;
  /** CTAP 2.2 §12.9. */
  thirdPartyPayment?: boolean;
  /** WebAuthn §10.1.1 appid, an AppID URL; processed on the device by profiles offering it (the badge). */
  appid?: string;
}


function decodeHmacSecretInput(value: CborValue, name: string): HmacSecretInput {
  const f = asFields(value, `extensions.${name}`);
  const K = HmacSecretInputKey;
  const input: HmacSecretInput = {
    keyAgreement: f.submap(K.keyAgreement).map,
    saltEnc: f.bytes(K.saltEnc),
    saltAuth: f.bytes(K.saltAuth),
  };
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) input.pinUvAuthProtocol = protocol;
  return input;
}

export function decodeMakeCredentialExtensions(map: CborMap): MakeCredentialExtensionInputs {
  const f = asFields(map, 'extensions');
  const out: MakeCredentialExtensionInputs = {};
  // Its type is checked here; its value (a defined level) by the authenticator, once it knows
  // whether the profile offers the extension at all (authenticator/extensions/credProtect.ts).
  const credProtect = f.uint('credProtect', true);
  if (credProtect !== undefined) out.credProtect = credProtect;
  const credBlob = f.bytes('credBlob', true);
  if (credBlob) out.credBlob = credBlob;
  const largeBlobKey = f.bool('largeBlobKey');
  if (largeBlobKey !== undefined) out.largeBlobKey = largeBlobKey;
  const minPinLength = f.bool('minPinLength');
  if (minPinLength !== undefined) out.minPinLength = minPinLength;
  const hmacSecret = f.bool('hmac-secret');
  if (hmacSecret !== undefined) out.hmacSecret = hmacSecret;
  const mc = map.get('hmac-secret-mc');
  if (mc !== undefined) {
    out.hmacSecretMc = decodeHmacSecretInput(mc, 'hmac-secret-mc');
    // CTAP 2.2 §12.8: hmac-secret-mc is sent together with "hmac-secret": true.
    if (hmacSecret !== true) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'hmac-secret-mc without "hmac-secret": true');
  }
  const thirdPartyPayment = f.bool('thirdPartyPayment');
  if (thirdPartyPayment !== undefined) out.thirdPartyPayment = thirdPartyPayment;
  const pinComplexityPolicy = f.bool('pinComplexityPolicy');
  if (pinComplexityPolicy !== undefined) out.pinComplexityPolicy = pinComplexityPolicy;
  const appidExclude = f.text('appidExclude', true);
  if (appidExclude !== undefined) out.appidExclude = appidExclude;
  return out;
}

export function decodeGetAssertionExtensions(map: CborMap): GetAssertionExtensionInputs {
  const f = asFields(map, 'extensions');
  const out: GetAssertionExtensionInputs = {};
  // §12.2 authenticatorGetAssertion additional behaviors: the input is "credBlob": true.
  const getCredBlob = f.bool('credBlob');
  if (getCredBlob !== undefined) out.getCredBlob = getCredBlob;
  const largeBlobKey = f.bool('largeBlobKey');
  if (largeBlobKey !== undefined) out.largeBlobKey = largeBlobKey;
  const hmac = map.get('hmac-secret');
  if (hmac !== undefined) out.hmacSecret = decodeHmacSecretInput(hmac, 'hmac-secret');
  const thirdPartyPayment = f.bool('thirdPartyPayment');
  if (thirdPartyPayment !== undefined) out.thirdPartyPayment = thirdPartyPayment;
  const appid = f.text('appid', true);
  if (appid !== undefined) out.appid = appid;
  return out;
}
