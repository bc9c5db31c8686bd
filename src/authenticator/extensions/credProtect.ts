/**
 * CTAP 2.1 §12.1 Credential Protection (credProtect): the level a credential is made with, and
 * which credentials a request may see:
 *   1 userVerificationOptional: always;
 *   2 userVerificationOptionalWithCredentialIDList: with user verification, or named in an allowList;
 *   3 userVerificationRequired: only with user verification.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-credProtect-extension
 */
import type { CredProtectLevel } from '../../store/credentialStore.js';

export const CRED_PROTECT = 'credProtect';

/** makeCredential: the requested level (the decoder admits 1–3 only), 1 by default. */
export function credProtectLevel(input: number | undefined): CredProtectLevel {
  return (input ?? 1) as CredProtectLevel;
}

/** Whether a credential of `level` may be used (getAssertion, excludeList) in this request. */
export function credProtectAllows(level: CredProtectLevel, uv: boolean, viaAllowList: boolean): boolean {
  return level === 1 || uv || (level === 2 && viaAllowList);
}
