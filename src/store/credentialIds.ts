/**
 * Credential IDs as a port (OpenSK's KeyStore::wrap_credential / unwrap_credential): the
 * authenticator hands a credential's payload to `wrap` and gets the ID the relying party will
 * present; `unwrap` gives the payload back for that ID and RP ID hash only. Three formats, one
 * payload (credentialPayload.ts):
 *
 *   sealed       the ID carries the payload, AES-256-GCM under the wrapping key (credentialId.ts),
 *                and the key is derived from the ID (version 0x04) or sealed in it (0x03);
 *                nothing is stored, so there is always room
 *   slots        a random handle naming a stored slot (credentialSlot.ts): the badge's 64-byte
 *                versioned handles, or a provider profile's random IDs of a fixed length
 *   vault handle the 16-byte IDs of split mode (seed 004's credential ID field): a random handle
 *                naming a vault entry that holds the sealed ID
 *
 * A device writes one format and reads all three ({@link credentialIdsFor}), so credentials made
 * under one profile or mode keep working in another on the same data directory.
 */
import { generateCredentialKey, type CredentialKeyPair } from '../crypto/credentialKeys.js';
import { equal, toHex } from '../encoding/bytes.js';
import {
  derivationKeyOf,
  isDerivable,
  openCredentialId,
  sealCredentialId,
  sealDerivedCredentialId,
  SECRET_KEY_SEED,
  type CredentialIdKeys,
  type CredentialOptions,
} from './credentialId.js';
import type { CredentialPayload } from './credentialPayload.js';
import { slotHandle, SLOT_HANDLE_LENGTH } from './credentialSlot.js';
import type { CredentialStore } from './credentialStore.js';
import type { Vault } from './vault.js';

export interface CredentialIds {
  /**
   * A credential the device makes (makeCredential, U2F register): its key pair and its ID, bound to
   * `rpIdHash` (the caller checked hasRoom() first). Sealed IDs derive the key from the ID (version 0x04).
   */
  create(options: CredentialOptions, rpIdHash: Uint8Array): { id: Uint8Array; key: CredentialKeyPair };
  /** The ID of a credential whose key is given (an imported one), bound to `rpIdHash`. */
  wrap(payload: CredentialPayload, rpIdHash: Uint8Array): Uint8Array;
  /** The payload of an ID this device made for `rpIdHash`; undefined for anything else. */
  unwrap(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined;
  /** False when a new credential does not fit (CTAP2_ERR_KEY_STORE_FULL). */
  hasRoom(): boolean;
  /** authenticatorReset: every ID made before stops unwrapping. */
  reset(): void;
}

/** What the formats need: the store (slots), the vault (wrapping key, handles), randomness and time. */
export interface CredentialIdDeps {
  store: CredentialStore;
  vault: Vault;
  rng: { bytes(n: number): Uint8Array };
  clock: { now(): number };
}

/** Vault name of the wrapping key of sealed IDs (also the root of hmac-secret's CredRandom key). */
export const SECRET_WRAP_KEY = 'credential-wrap-key';
export { SECRET_KEY_SEED };

/** A credential made by generating its key and wrapping it (formats whose IDs do not derive keys). */
function generateAndWrap(
  ids: CredentialIds,
  options: CredentialOptions,
  rpIdHash: Uint8Array,
): { id: Uint8Array; key: CredentialKeyPair } {
  const key = generateCredentialKey(options.alg);
  return { id: ids.wrap({ ...options, secret: key.secret }, rpIdHash), key };
}
/** Length of split mode's handles: seed 004's credential ID field. */
export const VAULT_HANDLE_LENGTH = 16;
const VAULT_HANDLE_PREFIX = 'split-credential:';
const CACHE_SIZE = 4096;

/**
 * Sealed IDs (credentialId.ts): version 0x04 for keys the device makes (derived from the ID), 0x03
 * for keys given to it and RS256. Opened IDs are cached with their RP ID hash, so a credential used
 * again skips AES-GCM and the key derivation.
 */
export class SealedCredentialIds implements CredentialIds {
  private idKeys: CredentialIdKeys | undefined;
  private readonly opened = new Map<string, { rpIdHash: Uint8Array; payload: CredentialPayload }>();

  constructor(private readonly deps: CredentialIdDeps) {}

  /** The wrapping key and the derivation key (read from the vault once, made on first use). */
  keys(): CredentialIdKeys {
    const { vault, rng } = this.deps;
    this.idKeys ??= {
      wrapKey: vault.secret(SECRET_WRAP_KEY, () => rng.bytes(32)),
      derivationKey: derivationKeyOf(vault.secret(SECRET_KEY_SEED, () => rng.bytes(32))),
    };
    return this.idKeys;
  }
  create(options: CredentialOptions, rpIdHash: Uint8Array): { id: Uint8Array; key: CredentialKeyPair } {
    if (!isDerivable(options.alg)) return generateAndWrap(this, options, rpIdHash);
    return sealDerivedCredentialId(this.keys(), rpIdHash, options, this.deps.rng.bytes(12));
  }
  wrap(payload: CredentialPayload, rpIdHash: Uint8Array): Uint8Array {
    return sealCredentialId(this.keys().wrapKey, rpIdHash, payload, this.deps.rng.bytes(12));
  }
  /** Opens a sealed ID without the cache (split mode's vault entries). */
  open(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined {
    return openCredentialId(this.keys(), rpIdHash, id);
  }
  unwrap(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined {
    const hex = toHex(id);
    const cached = this.opened.get(hex);
    if (cached) return equal(cached.rpIdHash, rpIdHash) ? cached.payload : undefined;
    const payload = this.open(id, rpIdHash);
    if (payload) {
      if (this.opened.size >= CACHE_SIZE) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(hex, { rpIdHash, payload });
    }
    return payload;
  }
  hasRoom(): boolean {
    return true;
  }
  /** A new wrapping key and key seed: every earlier sealed ID (and vault handle) stops opening. */
  reset(): void {
    const { vault, rng } = this.deps;
    const [wrapKey, seed] = [rng.bytes(32), rng.bytes(32)];
    vault.set(SECRET_WRAP_KEY, wrapKey);
    vault.set(SECRET_KEY_SEED, seed);
    this.idKeys = { wrapKey, derivationKey: derivationKeyOf(seed) };
    this.opened.clear();
  }
}

/**
 * Slot credentials: the badge's versioned 64-byte handles (`slots` places), or random IDs of
 * `idLength` bytes (a provider profile's); the payload is in the store's slot table. Also reads
 * imported credentials, which keep the ID they were given in a slot.
 */
export class SlotCredentialIds implements CredentialIds {
  constructor(
    private readonly deps: CredentialIdDeps,
    private readonly options: { slots?: number; idLength?: number } = {},
  ) {}

  create(options: CredentialOptions, rpIdHash: Uint8Array): { id: Uint8Array; key: CredentialKeyPair } {
    return generateAndWrap(this, options, rpIdHash);
  }
  wrap(payload: CredentialPayload, rpIdHash: Uint8Array): Uint8Array {
    const { idLength } = this.options;
    const id =
      idLength !== undefined ? this.deps.rng.bytes(idLength) : slotHandle(this.deps.rng.bytes(SLOT_HANDLE_LENGTH - 1));
    this.deps.store.putSlot({ credentialId: id, rpIdHash, payload, createdAt: this.deps.clock.now() });
    return id;
  }
  unwrap(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined {
    const slot = this.deps.store.getSlot(id);
    return slot && equal(slot.rpIdHash, rpIdHash) ? slot.payload : undefined;
  }
  hasRoom(): boolean {
    return this.options.slots === undefined || this.deps.store.countSlots() < this.options.slots;
  }
  /** The store's wipe empties the slot table. */
  reset(): void {}
}

/** Split mode's 16-byte handles: each names a vault entry holding the credential's sealed ID. */
export class VaultHandleCredentialIds implements CredentialIds {
  constructor(
    private readonly deps: CredentialIdDeps,
    private readonly sealed: SealedCredentialIds,
  ) {}

  /** The vault entry holds the sealed ID (version 0x04 for derived keys, as the sealed format writes). */
  create(options: CredentialOptions, rpIdHash: Uint8Array): { id: Uint8Array; key: CredentialKeyPair } {
    const made = this.sealed.create(options, rpIdHash);
    return { id: this.newHandle(made.id), key: made.key };
  }
  wrap(payload: CredentialPayload, rpIdHash: Uint8Array): Uint8Array {
    return this.newHandle(this.sealed.wrap(payload, rpIdHash));
  }
  private newHandle(sealedId: Uint8Array): Uint8Array {
    const { vault, rng } = this.deps;
    let id = rng.bytes(VAULT_HANDLE_LENGTH);
    while (vault.get(VAULT_HANDLE_PREFIX + toHex(id))) id = rng.bytes(VAULT_HANDLE_LENGTH);
    vault.set(VAULT_HANDLE_PREFIX + toHex(id), sealedId);
    return id;
  }
  unwrap(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined {
    if (id.length !== VAULT_HANDLE_LENGTH) return undefined;
    const sealed = this.deps.vault.get(VAULT_HANDLE_PREFIX + toHex(id));
    return sealed && this.sealed.open(sealed, rpIdHash);
  }
  hasRoom(): boolean {
    return true;
  }
  /** The entries go; the sealed IDs in them would no longer open anyway (the wrapping key is new). */
  reset(): void {
    for (const name of this.deps.vault.names()) if (name.startsWith(VAULT_HANDLE_PREFIX)) this.deps.vault.delete(name);
  }
}

/** Writes one format, reads every format (the first that opens the ID wins). */
export class AnyCredentialIds implements CredentialIds {
  constructor(
    private readonly writer: CredentialIds,
    private readonly readers: readonly CredentialIds[],
  ) {}

  create(options: CredentialOptions, rpIdHash: Uint8Array): { id: Uint8Array; key: CredentialKeyPair } {
    return this.writer.create(options, rpIdHash);
  }
  wrap(payload: CredentialPayload, rpIdHash: Uint8Array): Uint8Array {
    return this.writer.wrap(payload, rpIdHash);
  }
  unwrap(id: Uint8Array, rpIdHash: Uint8Array): CredentialPayload | undefined {
    for (const r of this.readers) {
      const payload = r.unwrap(id, rpIdHash);
      if (payload) return payload;
    }
    return undefined;
  }
  hasRoom(): boolean {
    return this.writer.hasRoom();
  }
  reset(): void {
    for (const r of this.readers) r.reset();
  }
}

export interface CredentialIdFormat {
  /** Every credential, discoverable or not, takes one of this many slots (the badge). */
  credentialSlots?: number;
  /** Random stored IDs of this length (16–32 bytes) instead of sealed ones (provider profiles). */
  storedCredentialIdLength?: number;
  /** Split mode's 16-byte vault handles (unless the profile has slots). */
  vaultHandles?: boolean;
}

/** The device's credential IDs: written in the format the profile or mode asks for, read in all. */
export function credentialIdsFor(deps: CredentialIdDeps, format: CredentialIdFormat = {}): CredentialIds {
  const sealed = new SealedCredentialIds(deps);
  const handles = new VaultHandleCredentialIds(deps, sealed);
  const slots = new SlotCredentialIds(deps, {
    ...(format.credentialSlots !== undefined && { slots: format.credentialSlots }),
    ...(format.storedCredentialIdLength !== undefined && { idLength: format.storedCredentialIdLength }),
  });
  const writer =
    format.credentialSlots !== undefined || (format.storedCredentialIdLength !== undefined && !format.vaultHandles)
      ? slots
      : format.vaultHandles
        ? handles
        : sealed;
  return new AnyCredentialIds(writer, [sealed, handles, slots]);
}
