/**
 * The platform side of user verification, behind a small interface (CTAP 2.1 §6.5 authenticatorClientPIN,
 * §6.5.5.7 getPinUvAuthTokenUsingPinWithPermissions / getPinUvAuthTokenUsingUvWithPermissions).
 *
 * The client gets pinUvAuthTokens itself (clientPin.ts: the PIN from `client.pin`, or built-in UV);
 * a UserVerifier replaces that logic when a platform obtains tokens its own way (tests, a UI that
 * runs clientPIN elsewhere).
 */
import { pinUvAuthPrimitives } from '../ctap2/pinUvAuthProtocol.js';

/** CTAP 2.1 §6.5.5.7 pinUvAuthToken permissions. */
export const PinUvAuthTokenPermission = {
  mc: 0x01, // makeCredential
  ga: 0x02, // getAssertion
  cm: 0x04, // credentialManagement
  be: 0x08, // bioEnrollment
  lbw: 0x10, // largeBlobWrite
  acfg: 0x20, // authenticatorConfig
} as const;

export interface PinUvAuthToken {
  /** pinUvAuthProtocol: 1 or 2 (CTAP 2.1 §6.5.6, §6.5.7). */
  protocol: number;
  token: Uint8Array;
}

export interface UserVerifier {
  /**
   * A pinUvAuthToken with `permissions` (a PinUvAuthTokenPermission bit set) for `rpId`, or
   * undefined when the user cannot or will not verify (no PIN set, user cancelled, no UV).
   * Rejecting with a CtapError (e.g. PIN_BLOCKED) fails the ceremony with the mapped error.
   */
  getPinUvAuthToken(
    permissions: number,
    rpId: string,
    opts?: { signal?: AbortSignal },
  ): Promise<PinUvAuthToken | undefined>;
}

/**
 * authenticate(pinUvAuthToken, message) (CTAP 2.1 §6.5.6 protocol one: the first 16 bytes of
 * HMAC-SHA-256; §6.5.7 protocol two: all 32 bytes).
 */
export function pinUvAuthenticate(token: PinUvAuthToken, message: Uint8Array): Uint8Array {
  if (token.protocol !== 1 && token.protocol !== 2) throw new RangeError(`unknown pinUvAuthProtocol ${token.protocol}`);
  return pinUvAuthPrimitives(token.protocol).authenticate(token.token, message);
}
