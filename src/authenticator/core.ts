/**
 * The authenticator's shared parts: ports, config, device secrets and runtime (volatile) state.
 * Persistent state lives in the store and vault; RuntimeState is lost on a power cycle.
 */
import { SigningKeyCache, signWithKey, type CredentialKeyPair } from '../crypto/credentialKeys.js';
import { sha256 } from '../crypto/hash.js';
import { toHex } from '../encoding/bytes.js';
import { CoseAlg, type CredentialAlg } from '../encoding/cose.js';
import type { CredentialIdPayload, CredentialOptions } from '../store/credentialId.js';
import { credentialIdsFor, SECRET_WRAP_KEY, type CredentialIds } from '../store/credentialIds.js';
import type { ResidentCredential, ResidentSelection } from '../store/credentialStore.js';
import type { AuthenticatorConfig } from './config.js';
import type { Env } from './env.js';
import type { AssertionExtensions } from './extensions/getAssertionExtensions.js';
import type { ConfigSettings } from './authenticatorConfig.js';
import type { CredentialEnumeration } from './credentialManagement.js';
import type { LargeBlobWrite } from './largeBlobs.js';
import type { PinUvAuthRuntime } from './pinUvAuthToken.js';

export { SECRET_WRAP_KEY };
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

/**
 * Volatile state between commands. Each slot is `undefined` when nothing is in progress (or not yet made),
 * and commands clear a slot by assigning `undefined`, so the slots say so in their types.
 */
export interface RuntimeState {
  powerUpAt: number;
  pending?: PendingAssertions | undefined;
  /** Key-agreement keys, pinUvAuthTokens and their state (pinUvAuthToken.ts); made at first use. */
  pinUvAuth?: PinUvAuthRuntime | undefined;
  /** authenticatorCredentialManagement enumeration in progress (credentialManagement.ts). */
  credentialManagement?: CredentialEnumeration | undefined;
  /** authenticatorLargeBlobs write in progress (largeBlobs.ts). */
  largeBlobWrite?: LargeBlobWrite | undefined;
  /** authenticatorConfig settings, cached from the store (authenticatorConfig.ts). */
  configSettings?: ConfigSettings | undefined;
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
  /** The credential-ID port (env.ts): the environment's, or the profile's format over the store and vault. */
  readonly credentialIds: CredentialIds;

  constructor(
    readonly env: Env,
    readonly config: AuthenticatorConfig,
    readonly attestation: { secret: Uint8Array; certificate: Uint8Array },
  ) {
    this.runtime = { powerUpAt: env.clock.now() };
    this.credentialIds =
      env.credentialIds ??
      credentialIdsFor(env, {
        ...(config.credentialSlots !== undefined && { credentialSlots: config.credentialSlots }),
        ...(config.storedCredentialIdLength !== undefined && {
          storedCredentialIdLength: config.storedCredentialIdLength,
        }),
      });
  }

  /** Volatile state is dropped; persistent state stays (a power cycle). */
  powerCycle(): void {
    this.runtime = { powerUpAt: this.env.clock.now() };
  }

  /** The wrapping key of sealed IDs; hmac-secret derives its CredRandom key from it. */
  credentialWrapKey(): Uint8Array {
    this.wrapKey ??= this.env.vault.secret(SECRET_WRAP_KEY, () => this.env.rng.bytes(32));
    return this.wrapKey;
  }

  /** authenticatorReset: every earlier credential ID stops opening (a new wrapping key). */
  rotateSecrets(): void {
    this.credentialIds.reset();
    this.wrapKey = undefined;
    this.keys.clear();
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
   * Unwraps a credential ID for this RP (the port); a discoverable one must still be in the store.
   * `resident`: its record, when the caller has just read it from the store (a discoverable walk),
   * so it is not read and unsealed a second time.
   */
  resolve(id: Uint8Array, rpIdHash: Uint8Array, resident?: ResidentCredential): ResolvedCredential | undefined {
    const payload = this.credentialIds.unwrap(id, rpIdHash);
    if (!payload) return undefined;
    const hexId = toHex(id);
    if (!payload.discoverable) return { id, hexId, payload };
    const record = resident ?? this.env.store.getResident(id);
    return record ? { id, hexId, payload, resident: record } : undefined;
  }

  /**
   * A new credential the device makes: its key pair and ID (the port; a sealed ID derives the key).
   * The caller checked hasFreeCredentialSlot() before user presence.
   */
  newCredential(rpIdHash: Uint8Array, options: CredentialOptions): { id: Uint8Array; key: CredentialKeyPair } {
    return this.credentialIds.create(options, rpIdHash);
  }

  /** The ID of a credential whose key was given from outside (importCredential.ts). */
  newCredentialId(rpIdHash: Uint8Array, payload: CredentialIdPayload): Uint8Array {
    return this.credentialIds.wrap(payload, rpIdHash);
  }

  /** False when a new credential does not fit (every slot taken: KEY_STORE_FULL). */
  hasFreeCredentialSlot(): boolean {
    return this.credentialIds.hasRoom();
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
