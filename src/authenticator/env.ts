/**
 * Ports: every effect the authenticator core has arrives through these. The core never calls
 * Date.now, timers, Math.random, crypto.randomBytes or fs (architecture.md habit 5).
 */
import type { CredentialIds } from '../store/credentialIds.js';
import type { CredentialStore } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';
import type { CredentialEventSink } from './credentialEvents.js';

export interface Clock {
  /** Milliseconds since the epoch (tests use a clock they advance). */
  now(): number;
}

export interface Rng {
  bytes(n: number): Uint8Array;
}

export type PresenceOperation =
  | 'makeCredential'
  | 'getAssertion'
  | 'reset'
  | 'selection'
  | 'u2fRegister'
  | 'u2fAuthenticate'
  | 'credentialManagement'
  | 'config'
  | 'largeBlobs'
  | 'signTransaction';

export interface PresenceRequest {
  operation: PresenceOperation;
  /** The relying party the prompt approves; always set except for reset/selection. */
  rpId?: string;
  rpName?: string;
  userName?: string;
  userDisplayName?: string;
  /** Human-readable prompt, e.g. "Register with Example (example.com) as alice?" */
  message: string;
  /** Only a long touch counts (CTAP 2.3 §6.6 reset with longTouchForReset on). */
  longTouch?: boolean;
}

/** 'longTouch': the user held the button (CTAP 2.3 longTouchForReset); it also counts as a touch. */
export type PresenceResult = 'approved' | 'longTouch' | 'denied' | 'timeout';

export interface UserPresence {
  request(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult>;
  /**
   * The answer, when the port has it without waiting (an approving policy), in place of `request`;
   * undefined: ask `request`. Lets a command that needs a touch finish without a microtask turn.
   */
  answerAtOnce?(req: PresenceRequest): PresenceResult | undefined;
}

/** Built-in user verification (simulated fingerprint etc.); off by default. */
export interface UserVerification {
  readonly available: boolean;
  verify(req: PresenceRequest, signal: AbortSignal): Promise<'verified' | 'failed' | 'timeout'>;
}

export interface Env {
  clock: Clock;
  rng: Rng;
  presence: UserPresence;
  uv?: UserVerification;
  store: CredentialStore;
  vault: Vault;
  /**
   * Credential IDs (store/credentialIds.ts): wrap a new credential's payload, unwrap a presented ID.
   * Absent: the profile's format over this store and vault (credentialIdsFor: sealed IDs, or slots).
   */
  credentialIds?: CredentialIds;
  /** Per-credential events (credentialEvents.ts), for the control API; optional. */
  credentialEvents?: CredentialEventSink;
}
