/**
 * The extensions softkey implements, one descriptor each (descriptor.ts), in getInfo's order. This
 * list drives getInfo's extensions (supported.ts), the decoding of extension inputs
 * (supported.ts withExtensionInputs → ctap2/extensions.ts) and both switchboards
 * (makeCredentialExtensions.ts, getAssertionExtensions.ts). A new extension is its own file, a
 * line here, and its client side (src/client/extensions.ts).
 */
import { appid, appidExclude } from './appid.js';
import { credBlob } from './credBlob.js';
import { credProtect } from './credProtect.js';
import type { AnyExtension } from './descriptor.js';
import { hmacSecret } from './hmacSecret.js';
import { hmacSecretMc } from './hmacSecretMc.js';
import { largeBlobKey } from './largeBlobKey.js';
import { minPinLength } from './minPinLength.js';
import { pinComplexityPolicy } from './pinComplexityPolicy.js';
import { thirdPartyPayment } from './thirdPartyPayment.js';

export const EXTENSIONS: readonly AnyExtension[] = [
  credProtect, // CTAP 2.1 §12.1
  hmacSecret, // §12.5
  hmacSecretMc, // CTAP 2.2 §12.8
  credBlob, // §12.2
  largeBlobKey, // §12.3
  minPinLength, // §12.4
  thirdPartyPayment, // CTAP 2.2 §12.9
  pinComplexityPolicy, // CTAP 2.3, with the ctap23 capability only
  appid, // WebAuthn §10.1.1, for profiles that list it
  appidExclude, // WebAuthn §10.1.2, for profiles that list it
];
