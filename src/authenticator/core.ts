/**
 * The authenticator's shared parts: ports, config, device secrets and runtime (volatile) state.
 * Persistent state lives in the store and vault; RuntimeState is lost on a power cycle.
 */
import { SigningKeyCache, signWithKey } from '../crypto/credentialKeys.js';
import { sha256 } from '../crypto/hash.js';
import { equal, toHex } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';
import { openCredentialId, sealCredentialId, type CredentialIdPayload } from '../store/credentialId.js';
import { isSlotHandle, slotHandle, SLOT_HANDLE_LENGTH } from '../store/credentialSlot.js';
import type { ResidentCredential, ResidentSelection } from '../store/credentialStore.js';
import type { AuthenticatorConfig } from './config.js';
import type { Env } from './env.js';
import type { AssertionExtensions } from './extensions/getAssertionExtensions.js';
import type { ConfigSettings } from './authenticatorConfig.js';
import type { CredentialEnumeration } from './credentialManagement.js';
import type { LargeBlobWrite } from './largeBlobs.js';
import type { PinUvAuthRuntime } from './pinUvAuthToken.js';

export const SECRET_WRAP_KEY = 'credential-wrap-key';
export const SECRET_ATTESTATION_KEY = 'attestation-key';
export const SECRET_ATTESTATION_CERT = 'attestation-certificate';

export interface ResolvedCredential {
  id: Uint8Array;
  /** toHex(id), computed once by resolve() (the signing-key cache's key). */
  hexId?: string;
  payload: CredentialIdPayload;
  /** Present for discoverable credentials (their record in the store). */
  resident?: ResidentCredential;
}

/** A discoverable getAssertion's walk for getNextAssertion (§6.3): a cursor into the store, not a list. */
export interface PendingAssertions {
  /** The RP's credentials this request sees, newest first (CTAP 2.1 §6.2.2 step 7, §12.1). */
  selection: ResidentSelection;
  /** The store position of the credential answered last. */
  position: number;
  /** numberOfCredentials less the credentials answered so far. */
  remaining: number;
  rpId: string;
  rpIdHash: Uint8Array;
  clientDataHash: Uint8Array;
  flags: number;
  uv: boolean;
  issuedAt: number;
  /** The getAssertion's checked extension inputs (§12), answered again for each credential. */
  extensions?: AssertionExtensions;
}

export interface RuntimeState {
  powerUpAt: number;
  pending?: PendingAssertions;
  /** Key-agreement keys, pinUvAuthTokens and their state (pinUvAuthToken.ts); made at first use. */
  pinUvAuth?: PinUvAuthRuntime;
  /** authenticatorCredentialManagement enumeration in progress (credentialManagement.ts). */
  credentialManagement?: CredentialEnumeration;
  /** authenticatorLargeBlobs write in progress (largeBlobs.ts). */
  largeBlobWrite?: LargeBlobWrite;
  /** authenticatorConfig settings, cached from the store (authenticatorConfig.ts). */
  configSettings?: ConfigSettings;
  /** Backup flags (BE/BS) the control API set, by credential ID hex, cached from the store (importCredential.ts). */
  backupFlags?: Record<string, number> | undefined;
}

const CACHE_SIZE = 4096;

/** Bounded insertion-order cache: the oldest entry goes first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= CACHE_SIZE) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export class Core {
  readonly keys = new SigningKeyCache();
  runtime: RuntimeState;
  private wrapKey: Uint8Array | undefined;
  private readonly rpIdHashes = new Map<string, Uint8Array>();
  /** Opened credential IDs by toHex(id), with the RP ID hash they opened for. */
  private readonly opened = new Map<string, { rpIdHash: Uint8Array; payload: CredentialIdPayload }>();

  constructor(
    readonly env: Env,
    readonly config: AuthenticatorConfig,
    readonly attestation: { secret: Uint8Array; certificate: Uint8Array },
  ) {
    this.runtime = { powerUpAt: env.clock.now() };
  }

  /** Volatile state is dropped; persistent state stays (a power cycle). */
  powerCycle(): void {
    this.runtime = { powerUpAt: this.env.clock.now() };
  }

  credentialWrapKey(): Uint8Array {
    this.wrapKey ??= this.env.vault.secret(SECRET_WRAP_KEY, () => this.env.rng.bytes(32));
    return this.wrapKey;
  }

  /** authenticatorReset: new wrapping key, so every earlier credential ID stops opening. */
  rotateSecrets(): void {
    this.wrapKey = this.env.rng.bytes(32);
    this.env.vault.set(SECRET_WRAP_KEY, this.wrapKey);
    this.keys.clear();
    this.opened.clear();
  }

  rpIdHash(rpId: string): Uint8Array {
    let h = this.rpIdHashes.get(rpId);
    if (!h) {
      h = sha256(new TextEncoder().encode(rpId));
      remember(this.rpIdHashes, rpId, h);
    }
    return h;
  }

  /**
   * Opens a credential ID for this RP; a discoverable one must still be in the store. Opened IDs
   * are remembered with their RP ID hash (an ID opens for one RP ID hash only: it is the AES-GCM
   * associated data), so a credential used again skips AES-GCM.
   */
  resolve(id: Uint8Array, rpIdHash: Uint8Array): ResolvedCredential | undefined {
    const hexId = toHex(id);
    const cached = this.opened.get(hexId);
    let payload = cached && equal(cached.rpIdHash, rpIdHash) ? cached.payload : undefined;
    if (!payload && isSlotHandle(id)) {
      // A slot credential (credentialSlot.ts): its payload is in the store, not cached.
      const slot = this.env.store.getSlot(id);
      if (!slot || !equal(slot.rpIdHash, rpIdHash)) return undefined;
      payload = slot.payload;
    } else if (!payload) {
      payload = openCredentialId(this.credentialWrapKey(), rpIdHash, id);
      if (payload) remember(this.opened, hexId, { rpIdHash, payload });
      else {
        // A credential imported with the ID it was given (importCredential.ts) keeps its payload in a slot.
        const slot = this.env.store.getSlot(id);
        if (!slot || !equal(slot.rpIdHash, rpIdHash)) return undefined;
        payload = slot.payload;
      }
    }
    if (!payload.discoverable) return { id, hexId, payload };
    const resident = this.env.store.getResident(id);
    return resident ? { id, hexId, payload, resident } : undefined;
  }

  /**
   * A new credential's ID: sealed (it carries its key), or, when the profile has credential slots,
   * a short handle to a stored slot. The caller checked hasFreeCredentialSlot() before user presence.
   */
  newCredentialId(rpIdHash: Uint8Array, payload: CredentialIdPayload): Uint8Array {
    const storedLength = this.config.storedCredentialIdLength;
    if (storedLength !== undefined) {
      // A provider's random ID (16–32 bytes: shorter than any sealed ID, so resolve() finds its slot).
      const id = this.env.rng.bytes(storedLength);
      this.env.store.putSlot({ credentialId: id, rpIdHash, payload, createdAt: this.env.clock.now() });
      return id;
    }
    if (this.config.credentialSlots === undefined)
      return sealCredentialId(this.credentialWrapKey(), rpIdHash, payload, this.env.rng.bytes(12));
    const id = slotHandle(this.env.rng.bytes(SLOT_HANDLE_LENGTH - 1));
    this.env.store.putSlot({ credentialId: id, rpIdHash, payload, createdAt: this.env.clock.now() });
    return id;
  }

  /** False when every credential slot is taken (KEY_STORE_FULL); always true without slots. */
  hasFreeCredentialSlot(): boolean {
    return this.config.credentialSlots === undefined || this.env.store.countSlots() < this.config.credentialSlots;
  }

  /** getInfo remainingDiscoverableCredentials: free resident places, or free slots. */
  remainingDiscoverableCredentials(): number {
    const { config, env } = this;
    if (config.credentialSlots !== undefined)
      return Math.max(
        0,
        Math.min(
          config.credentialSlots - env.store.countSlots(),
          config.maxResidentCredentials - env.store.countResident(),
        ),
      );
    return Math.max(0, config.maxResidentCredentials - env.store.countResident());
  }

  /** Signs with a credential's key (imported once, then cached by credential ID). */
  sign(
    cred: { id: Uint8Array; hexId?: string; payload: { alg: CredentialAlg; secret: Uint8Array } },
    data: Uint8Array,
  ): Uint8Array {
    const key = this.keys.get(cred.hexId ?? toHex(cred.id), cred.payload.alg, () => cred.payload.secret);
    return signWithKey(cred.payload.alg, key, data);
  }

  /** Signs with the device attestation key (packed attestation, §8.2). */
  attestationSign(data: Uint8Array): Uint8Array {
    const key = this.keys.get('attestation', CoseAlg.ES256, () => this.attestation.secret);
    return signWithKey(CoseAlg.ES256, key, data);
  }
}
