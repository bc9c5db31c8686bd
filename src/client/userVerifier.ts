/**
 * The platform side of user verification, behind a small interface (CTAP 2.1 §6.5 authenticatorClientPIN,
 * §6.5.5.7 getPinUvAuthTokenUsingPinWithPermissions / getPinUvAuthTokenUsingUvWithPermissions).
 *
 * The client only needs a pinUvAuthToken with the right permissions for the RP ID; how it is
 * obtained (asking the user for a PIN, built-in UV, key agreement with the device) is the verifier's
 * business. The composition root implements UserVerifier over clientPIN once src/ctap2's PIN/UV auth
 * protocols land.
 */
import { hmacSha256 } from '../crypto/hash.js';

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
  getPinUvAuthToken(permissions: number, rpId: string, opts?: { signal?: AbortSignal }): Promise<PinUvAuthToken | undefined>;
}

/**
 * authenticate(pinUvAuthToken, message) (CTAP 2.1 §6.5.6 protocol one: the first 16 bytes of
 * HMAC-SHA-256; §6.5.7 protocol two: all 32 bytes).
 * TODO(clientPIN): use the `authenticate` of src/ctap2/pinUvAuthProtocol.ts once it lands.
 */
export function pinUvAuthenticate(token: PinUvAuthToken, message: Uint8Array): Uint8Array {
  const mac = hmacSha256(token.token, message);
  if (token.protocol === 1) return mac.slice(0, 16);
  if (token.protocol === 2) return mac;
  throw new RangeError(`unknown pinUvAuthProtocol ${token.protocol}`);
}
