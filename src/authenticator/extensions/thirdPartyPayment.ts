/**
 * CTAP 2.2 §12.9 Third Party Payment Extension (thirdPartyPayment): makeCredential
 * "thirdPartyPayment": true marks the credential as usable for payments by third parties (the
 * flag is sealed in its credential ID and kept in its store record); output: whether it is one.
 * getAssertion "thirdPartyPayment": true → output whether the asserted credential is one.
 * https://fidoalliance.org/specs/fido-v2.2-ps-20250714/fido-client-to-authenticator-protocol-v2.2-ps-20250714.html#sctn-thirdPartyPayment-extension
 */
import type { ResolvedCredential } from '../core.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const THIRD_PARTY_PAYMENT = 'thirdPartyPayment';

export function isPaymentCredential(cred: ResolvedCredential): boolean {
  return cred.payload.thirdPartyPayment === true;
}

/** "thirdPartyPayment": true marks a new credential; in getAssertion, asks whether one is. */
export const thirdPartyPayment: ExtensionDescriptor<boolean, boolean> = {
  id: THIRD_PARTY_PAYMENT,
  decodeMakeCredentialInput: (f) => f.bool(THIRD_PARTY_PAYMENT)!,
  decodeGetAssertionInput: (f) => f.bool(THIRD_PARTY_PAYMENT)!,
  payloadFlag: 'thirdPartyPayment',
  onMakeCredential: (_core, input) => ({ output: input, flag: input }),
  onGetAssertion: (_core, input) => (input ? { output: (cred) => isPaymentCredential(cred) } : {}),
};
