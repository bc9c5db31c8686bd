/**
 * Setting the PIN on the device itself, for profiles whose PIN is not settable over the wire (the
 * badge of seed 003: setPIN/changePIN → CTAP2_ERR_UNSUPPORTED_OPTION; "the FIDO PIN is the badge PIN,
 * set on-device"). The same result as CTAP 2.1 §6.5.5.5 setPIN step 12 / §6.5.5.6 changePIN steps
 * 16–19: CurrentStoredPIN = LEFT(SHA-256(PIN), 16), pinRetries back to the maximum, forcePINChange
 * cleared, and every pinUvAuthToken invalidated (CTAP 2.3: the persistent one too). The PIN policy of
 * §6.5.1 applies, and CTAP 2.3's PIN complexity policy when it is on.
 */
import { utf8 } from '../encoding/bytes.js';
import { checkPinPolicy } from './clientPin.js';
import type { Core } from './core.js';
import { pinComplexityEnforced } from './extensions/pinComplexityPolicy.js';
import { resetPersistentPinUvAuthToken } from './persistentPinUvAuthToken.js';
import { MAX_PIN_RETRIES, pinUvAuthRuntime, readPinState, writePinState } from './pinUvAuthToken.js';

/** Throws CtapError(CTAP2_ERR_PIN_POLICY_VIOLATION) with the reason when the PIN breaks the policy. */
export function setDevicePin(core: Core, pin: string): void {
  const state = readPinState(core.env.store);
  const newPin = checkPinPolicy(utf8.encode(pin), state.minPINLength, pinComplexityEnforced(core));
  state.pinHash = newPin.hash;
  state.pinCodePointLength = newPin.codePoints;
  state.pinRetries = MAX_PIN_RETRIES;
  state.forcePINChange = false;
  writePinState(core.env.store, state);
  pinUvAuthRuntime(core).resetAllTokens();
  if (core.config.ctap23) resetPersistentPinUvAuthToken(core);
}
