/**
 * CTAP 2.3 PIN complexity policy: getInfo pinComplexityPolicy (0x1B) and pinComplexityPolicyURL
 * (0x1C), setMinPINLength's pinComplexityPolicy parameter (§6.11.4) that turns it on, the rules a
 * new PIN must then meet, and the pinComplexityPolicy extension (§12) that tells an RP whether the
 * policy is enforced.
 *
 * softkey's policy (docs/ctap23.md, the page pinComplexityPolicyURL names), on top of minPINLength:
 *   - at least 2 distinct code points ("1111", "aaaaaa" are refused);
 *   - not a run of consecutive code points, rising or falling ("1234", "98765", "abcdef");
 *   - at least 6 code points.
 * The setting only tightens: once on, only authenticatorReset turns it off. Turning it on with a PIN
 * set forces a PIN change (the authenticator holds only the PIN's hash, so it cannot check the
 * current PIN against the rules).
 */
import { CtapError, Status } from '../../ctap2/status.js';
import { utf8 } from '../../encoding/bytes.js';
import { configSettings } from '../authenticatorConfig.js';
import type { Core } from '../core.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const PIN_COMPLEXITY_POLICY = 'pinComplexityPolicy';
/**
 * Where the policy is described (getInfo 0x1C, a byte string): docs/ctap23.md of this package. The
 * project has no public web home yet, hence the reserved .invalid host (RFC 2606) in place of one.
 */
export const PIN_COMPLEXITY_POLICY_URL = 'https://softkey.invalid/docs/ctap23.md#pin-complexity-policy';
/** Shortest PIN the policy accepts, in code points. */
export const PIN_COMPLEXITY_MIN_LENGTH = 6;

/** Whether new PINs must meet the policy (the ctap23 capability, and the setting on). */
export function pinComplexityEnforced(core: Core): boolean {
  return core.config.ctap23 && configSettings(core).pinComplexityPolicy;
}

/** The policy's rules over a PIN already checked by §6.5.1 (UTF-8, NFC, minPINLength). */
export function checkPinComplexity(pinText: string): void {
  const violation = (why: string) =>
    new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, `pinComplexityPolicy: ${why}`);
  const points = [...pinText].map((c) => c.codePointAt(0)!);
  if (points.length < PIN_COMPLEXITY_MIN_LENGTH)
    throw violation(`a PIN has at least ${PIN_COMPLEXITY_MIN_LENGTH} code points`);
  if (new Set(points).size < 2) throw violation('a PIN is not one character repeated');
  const step = points[1]! - points[0]!;
  if ((step === 1 || step === -1) && points.every((p, i) => i === 0 || p - points[i - 1]! === step)) {
    throw violation('a PIN is not a run of consecutive characters');
  }
}

/**
 * The extension's makeCredential output for input true: whether the policy is enforced. Any RP may
 * learn it (getInfo 0x1B says the same to anyone); input false gives no output.
 */
export function pinComplexityPolicyOutput(core: Core): boolean {
  return configSettings(core).pinComplexityPolicy;
}

/** getInfo 0x1C: the policy's URL as a byte string. */
export function pinComplexityPolicyUrl(): Uint8Array {
  return utf8.encode(PIN_COMPLEXITY_POLICY_URL);
}

/** CTAP 2.3 makeCredential "pinComplexityPolicy": true → whether the policy is enforced (ctap23 only). */
export const pinComplexityPolicy: ExtensionDescriptor<boolean> = {
  id: PIN_COMPLEXITY_POLICY,
  listed: (config) => config.ctap23,
  decodeMakeCredentialInput: (f) => f.bool(PIN_COMPLEXITY_POLICY)!,
  onMakeCredential: (core, input) => (input && core.config.ctap23 ? { output: pinComplexityPolicyOutput(core) } : {}),
};
