/**
 * CTAP 2.1 §12.4 Minimum PIN Length Extension (minPinLength): makeCredential "minPinLength": true
 * → the current minPINLength, but only for an RP ID in minPinLengthRPIDs (set by
 * authenticatorConfig setMinPINLength, §6.11.4); for any other RP ID no output.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-minpinlength-extension
 */
import type { Core } from '../core.js';
import { readPinState } from '../pinUvAuthToken.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const MIN_PIN_LENGTH = 'minPinLength';

export function minPinLengthOutput(core: Core, rpId: string): number | undefined {
  const pin = readPinState(core.env.store);
  return pin.minPinLengthRPIDs.includes(rpId) ? pin.minPINLength : undefined;
}

/** makeCredential "minPinLength": true → minPINLength for the RP IDs allowed to learn it. */
export const minPinLength: ExtensionDescriptor<boolean> = {
  id: MIN_PIN_LENGTH,
  decodeMakeCredentialInput: (f) => f.bool(MIN_PIN_LENGTH)!,
  onMakeCredential: (core, input, ctx) => {
    const n = input ? minPinLengthOutput(core, ctx.rpId) : undefined;
    return n === undefined ? {} : { output: n };
  },
};
