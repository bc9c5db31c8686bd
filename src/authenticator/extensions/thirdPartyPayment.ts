/**
 * CTAP 2.2 §12.9 Third Party Payment Extension (thirdPartyPayment): makeCredential
 * "thirdPartyPayment": true marks the credential as usable for payments by third parties (the
 * flag is sealed in its credential ID and kept in its store record); output: whether it is one.
 * getAssertion "thirdPartyPayment": true → output whether the asserted credential is one.
 * https://fidoalliance.org/specs/fido-v2.2-ps-20250714/fido-client-to-authenticator-protocol-v2.2-ps-20250714.html#sctn-thirdPartyPayment-extension
 */
import type { ResolvedCredential } from '../core.js';

export const THIRD_PARTY_PAYMENT = 'thirdPartyPayment';

export function isPaymentCredential(cred: ResolvedCredential): boolean {
  return cred.payload.thirdPartyPayment === true;
}
