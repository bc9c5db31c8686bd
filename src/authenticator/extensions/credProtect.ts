/**
 * CTAP 2.1 §12.1 Credential Protection (credProtect): the level a credential is made with, and
 * which credentials a request may see:
 *   1 userVerificationOptional: always;
 *   2 userVerificationOptionalWithCredentialIDList: with user verification, or named in an allowList;
 *   3 userVerificationRequired: only with user verification.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-credProtect-extension
 */
import { CtapError, Status } from '../../ctap2/status.js';
import type { CredProtectLevel } from '../../store/credentialStore.js';
import type { ExtensionDescriptor } from './descriptor.js';

export const CRED_PROTECT = 'credProtect';

/**
 * makeCredential: the requested level, 1 by default. §12.1 defines the levels 0x01–0x03 only; any
 * other unsigned value (0, 4, …) is a parameter of the right CBOR type with an invalid value:
 * CTAP1_ERR_INVALID_PARAMETER ("the command included an invalid parameter", §8.1), as
 * trussed's ctap-types answers. makeCredential checks it before asking for user presence.
 */
export function credProtectLevel(input: number | undefined): CredProtectLevel {
  if (input !== undefined && (input < 1 || input > 3))
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, `credProtect ${input} is not a defined level (1–3)`);
  return (input ?? 1) as CredProtectLevel;
}

/** The highest level credProtectAllows lets through: what a store lookup may filter on. */
export function visibleCredProtect(uv: boolean, viaAllowList: boolean): CredProtectLevel {
  return uv ? 3 : viaAllowList ? 2 : 1;
}

/** Whether a credential of `level` may be used (getAssertion, excludeList) in this request. */
export function credProtectAllows(level: CredProtectLevel, uv: boolean, viaAllowList: boolean): boolean {
  return level === 1 || uv || (level === 2 && viaAllowList);
}

/** makeCredential "credProtect": level → the credential's level, output the level. */
export const credProtect: ExtensionDescriptor<number> = {
  id: CRED_PROTECT,
  // Its type is checked here; its value (a defined level) by credProtectLevel, once the profile is known.
  decodeMakeCredentialInput: (f) => f.uint(CRED_PROTECT),
  onMakeCredential: (_core, input) => {
    const level = credProtectLevel(input);
    return { credProtect: level, output: level };
  },
};
