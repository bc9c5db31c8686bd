/**
 * CTAP 2.3 persistent pinUvAuthToken (§6.5.2.2, permission pcmr §6.5.5.7) and the getInfo members
 * it unlocks, encIdentifier (0x19) and encCredStoreState (0x1E) (§6.4).
 *
 *   - The persistent token is 32 random bytes kept in the vault (encrypted at rest under the master
 *     key, like every device secret), so it survives power cycles. It exists from first use on;
 *     getPinUvAuthTokenUsing{Pin,Uv}WithPermissions with pcmr (and only pcmr) hands it out, encrypted
 *     to the shared secret, without touching the volatile pinUvAuthToken.
 *   - resetPersistentPinUvAuthToken(): a new value on changePIN (§6.5.5.6) and authenticatorReset
 *     (§6.6), which invalidates every copy a platform kept.
 *   - It authorizes only the read-only credentialManagement subcommands (getCredsMetadata,
 *     enumerateRPsBegin, enumerateCredentialsBegin and their GetNext steps); it carries no RP ID and
 *     has no usage timer.
 *   - encIdentifier = iv ‖ AES-128-CBC(key, iv, identifier) and encCredStoreState = iv ‖
 *     AES-128-CBC(key, iv, state), key = HKDF-SHA-256(salt = 32 zero bytes, IKM = persistent token,
 *     L = 16, info = "encIdentifier" / "encCredStoreState"), with a fresh random IV on every getInfo:
 *     polling getInfo shows nothing to whoever lacks the token (a fixed or zero IV would show the
 *     same ciphertext each time, and a changed state as a changed ciphertext).
 *   - identifier: 16 random bytes in the vault, replaced by authenticatorReset. state: the first 16
 *     bytes of SHA-256 over the store's resident generation, a number the store changes with every
 *     discoverable credential made, deleted or updated, by any path (CTAP, control API, split core),
 *     and never gives an earlier value again: O(1) however many credentials there are.
 */
import { hkdfSha256, sha256 } from '../crypto/hash.js';
import { aes128CbcEncrypt } from '../crypto/pinCrypto.js';
import { concat, u32be, utf8 } from '../encoding/bytes.js';
import type { Core } from './core.js';
import { pinUvAuthRuntime } from './pinUvAuthToken.js';

export const SECRET_PERSISTENT_TOKEN = 'persistent-pin-uv-auth-token';
export const SECRET_DEVICE_IDENTIFIER = 'device-identifier';
const TOKEN_LENGTH = 32;
const IDENTIFIER_LENGTH = 16;

/** The current persistent pinUvAuthToken (made on first use). */
export function persistentPinUvAuthToken(core: Core): Uint8Array {
  return core.env.vault.secret(SECRET_PERSISTENT_TOKEN, () => core.env.rng.bytes(TOKEN_LENGTH));
}

/** resetPersistentPinUvAuthToken(): every copy a platform holds stops verifying. */
export function resetPersistentPinUvAuthToken(core: Core): void {
  core.env.vault.set(SECRET_PERSISTENT_TOKEN, core.env.rng.bytes(TOKEN_LENGTH));
}

/** authenticatorReset: a new persistent token and a new device identifier. */
export function resetPersistentState(core: Core): void {
  resetPersistentPinUvAuthToken(core);
  core.env.vault.set(SECRET_DEVICE_IDENTIFIER, core.env.rng.bytes(IDENTIFIER_LENGTH));
}

/**
 * Whether pinUvAuthParam = authenticate(persistent token, message) under the request's (offered)
 * protocol. False when either is absent or wrong: the caller then tries the volatile token, whose
 * checks give the precise error.
 */
export function authorizedByPersistentToken(
  core: Core,
  input: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number },
  message: Uint8Array,
): boolean {
  if (!core.config.ctap23 || input.pinUvAuthParam === undefined) return false;
  const protocol = pinUvAuthRuntime(core).protocol(input.pinUvAuthProtocol);
  return protocol !== undefined && protocol.verify(persistentPinUvAuthToken(core), message, input.pinUvAuthParam);
}

function deviceIdentifier(core: Core): Uint8Array {
  return core.env.vault.secret(SECRET_DEVICE_IDENTIFIER, () => core.env.rng.bytes(IDENTIFIER_LENGTH));
}

/** The credential store's state: changes with every discoverable credential made, deleted or updated. */
function credStoreState(core: Core): Uint8Array {
  const generation = core.env.store.residentGeneration();
  const high = Math.floor(generation / 2 ** 32);
  return sha256(utf8.encode('credStoreState'), u32be(high), u32be(generation >>> 0)).slice(0, 16);
}

/** iv ‖ AES-128-CBC(HKDF-SHA-256(persistent token, salt 0³², info), iv, plaintext), iv fresh each time. */
function encryptForPersistentTokenHolder(core: Core, info: string, plaintext: Uint8Array): Uint8Array {
  const key = hkdfSha256(persistentPinUvAuthToken(core), new Uint8Array(32), utf8.encode(info), 16);
  const iv = core.env.rng.bytes(16);
  return concat(iv, aes128CbcEncrypt(key, iv, plaintext));
}

/** getInfo encIdentifier (0x19) and encCredStoreState (0x1E). */
export function encryptedGetInfoMembers(core: Core): { encIdentifier: Uint8Array; encCredStoreState: Uint8Array } {
  return {
    encIdentifier: encryptForPersistentTokenHolder(core, 'encIdentifier', deviceIdentifier(core)),
    encCredStoreState: encryptForPersistentTokenHolder(core, 'encCredStoreState', credStoreState(core)),
  };
}
