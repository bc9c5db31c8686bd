/**
 * Profiles for the composition roots: the data and validation are the authenticator's
 * (authenticator/profiles.ts); this reads a profile's JSON file for it.
 */
import { readFileSync } from 'node:fs';
import * as profiles from '../authenticator/profiles.js';
import type { AuthenticatorConfig } from '../authenticator/config.js';

export {
  ATTESTATION_FORMATS,
  BUILT_IN_PROFILES,
  PASSKEY_PROVIDERS,
  ProfileError,
  isAttestationFormat,
  validateProfile,
  type AttestationFormat,
  type ProfileSpec,
} from '../authenticator/profiles.js';

const readText = (path: string) => readFileSync(path, 'utf8');

/** The config a profile stands for: a built-in name, a JSON file's path (anything ending in .json), or a spec. */
export function profileConfig(profile: string | profiles.ProfileSpec): Partial<AuthenticatorConfig> {
  return profiles.profileConfig(profile, readText);
}

/** A built-in profile's spec, or a JSON file's, validated. */
export function loadProfile(nameOrFile: string): profiles.ProfileSpec {
  return profiles.loadProfile(nameOrFile, readText);
}
