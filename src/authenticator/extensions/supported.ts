/**
 * CTAP 2.1 §6.4 authenticatorGetInfo "extensions" (0x02): the extension identifiers this
 * authenticator implements (§12, CTAP 2.2 §12.8, §12.9 and CTAP 2.3 pinComplexityPolicy), and nothing else.
 */
export const SUPPORTED_EXTENSIONS: readonly string[] = [
  'credProtect',
  'hmac-secret',
  'hmac-secret-mc',
  'credBlob',
  'largeBlobKey',
  'minPinLength',
  'thirdPartyPayment',
  'pinComplexityPolicy', // CTAP 2.3, with the ctap23 capability only
];
