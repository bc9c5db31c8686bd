/**
 * CTAP 2.1 §6.5.2.1 "pinUvAuthToken State" and the rest of the PIN/UV state:
 *   - volatile (one power cycle): the two protocols' key-agreement keys and pinUvAuthTokens, the
 *     token's permissions, permissions RP ID, usage timer and userPresent/userVerified flags, and the
 *     count of consecutive wrong PINs since power-up (3 → CTAP2_ERR_PIN_AUTH_BLOCKED);
 *   - persistent (the store's small state, sealed at rest by the SQLite store): LEFT(SHA-256(PIN), 16),
 *     pinRetries, uvRetries, minPINLength, forcePINChange.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#pinuvauthprotocol-beginusingpinuvauthtoken
 */
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import {
  authenticatorProtocol,
  PIN_UV_AUTH_PROTOCOLS,
  type PinUvAuthProtocol,
  type PinUvAuthProtocolVersion,
} from '../ctap2/pinUvAuthProtocol.js';
import { fromHex, toHex } from '../encoding/bytes.js';
import type { CredentialStore } from '../store/credentialStore.js';
import type { Core } from './core.js';
import { followsCtap20 } from './config.js';
import type { Clock } from './env.js';

// ---------------------------------------------------------------------------------------------
// Persistent PIN/UV state

export const MAX_PIN_RETRIES = 8;
export const MAX_UV_RETRIES = 8;
/** Wrong PINs in one power cycle before CTAP2_ERR_PIN_AUTH_BLOCKED. */
export const MAX_CONSECUTIVE_PIN_FAILURES = 3;
export const DEFAULT_MIN_PIN_LENGTH = 4;

const STATE_KEY = 'clientPin';

/** The stored record (versioned: habit 9). */
interface PinStateRecord {
  v: 1;
  /** LEFT(SHA-256(PIN), 16) as hex: CurrentStoredPIN. */
  pinHash?: string;
  /** PINCodePointLength of the current PIN. */
  pinCodePointLength?: number;
  pinRetries: number;
  uvRetries: number;
  minPINLength: number;
  forcePINChange: boolean;
  /** RP IDs that may read minPINLength through the minPinLength extension (§12.4); absent = []. */
  minPinLengthRPIDs?: string[];
}

export interface PinState {
  pinHash?: Uint8Array;
  pinCodePointLength?: number;
  pinRetries: number;
  uvRetries: number;
  minPINLength: number;
  forcePINChange: boolean;
  /** RP IDs that may read minPINLength through the minPinLength extension (§12.4). */
  minPinLengthRPIDs: string[];
}

export function readPinState(store: CredentialStore): PinState {
  const r = store.getState<PinStateRecord>(STATE_KEY);
  if (!r)
    return {
      pinRetries: MAX_PIN_RETRIES,
      uvRetries: MAX_UV_RETRIES,
      minPINLength: DEFAULT_MIN_PIN_LENGTH,
      forcePINChange: false,
      minPinLengthRPIDs: [],
    };
  if (r.v !== 1) throw new Error(`unknown clientPin state version ${String(r.v)}`);
  const s: PinState = {
    pinRetries: r.pinRetries,
    uvRetries: r.uvRetries,
    minPINLength: r.minPINLength,
    forcePINChange: r.forcePINChange,
    minPinLengthRPIDs: r.minPinLengthRPIDs ?? [],
  };
  if (r.pinHash !== undefined) s.pinHash = fromHex(r.pinHash);
  if (r.pinCodePointLength !== undefined) s.pinCodePointLength = r.pinCodePointLength;
  return s;
}

/** Commits the state before returning (the store's contract), so a response never runs ahead of it. */
export function writePinState(store: CredentialStore, s: PinState): void {
  const r: PinStateRecord = {
    v: 1,
    pinRetries: s.pinRetries,
    uvRetries: s.uvRetries,
    minPINLength: s.minPINLength,
    forcePINChange: s.forcePINChange,
  };
  if (s.pinHash) r.pinHash = toHex(s.pinHash);
  if (s.pinCodePointLength !== undefined) r.pinCodePointLength = s.pinCodePointLength;
  if (s.minPinLengthRPIDs.length > 0) r.minPinLengthRPIDs = s.minPinLengthRPIDs;
  store.setState(STATE_KEY, r);
}

/** Applies `change` to the stored state and writes it back. */
export function updatePinState(store: CredentialStore, change: (s: PinState) => void): PinState {
  const s = readPinState(store);
  change(s);
  writePinState(store, s);
  return s;
}

export function isPinSet(core: Core): boolean {
  return readPinState(core.env.store).pinHash !== undefined;
}

// ---------------------------------------------------------------------------------------------
// pinUvAuthToken state (§6.5.2.1)

/** §6.5.2.1: the platform must use a new token within this; it is also the userPresent lifetime. */
export const INITIAL_USAGE_TIME_LIMIT_MS = 30_000;
export const USER_PRESENT_TIME_LIMIT_MS = INITIAL_USAGE_TIME_LIMIT_MS;
/** §6.5.2.1 max usage time period: a token in use stops after this, used or not. */
export const MAX_USAGE_TIME_PERIOD_MS = 600_000;

export const ALL_PERMISSIONS = Object.values(PinUvAuthTokenPermission).reduce((a, b) => a | b, 0);

/**
 * The pinUvAuthToken state variables and the spec's functions over them. The usage timer is the
 * clock: pinUvAuthTokenUsageTimerObserver() runs before every read, instead of on a timer.
 */
export class PinUvAuthTokenState {
  permissions = 0;
  permissionsRpId: string | undefined;
  inUse = false;
  private userVerified = false;
  private userPresent = false;
  private startedAt = 0;
  private used = false;

  /**
   * @param untilPowerCycle CTAP 2.0 pinToken rules (config.ts followsCtap20): no usage timer, the
   * token stays in use until a power cycle or a new token.
   */
  constructor(
    private readonly clock: Clock,
    readonly untilPowerCycle = false,
  ) {}

  /** beginUsingPinUvAuthToken(userIsPresent), with the permissions and RP ID the issuing step assigns. */
  beginUsingPinUvAuthToken(userIsPresent: boolean, permissions: number, rpId?: string): void {
    this.userPresent = userIsPresent;
    this.userVerified = true;
    this.permissions = permissions & ALL_PERMISSIONS;
    this.permissionsRpId = rpId;
    this.startedAt = this.clock.now();
    this.used = false;
    this.inUse = true;
  }

  /** pinUvAuthTokenUsageTimerObserver(). */
  observeUsageTimer(): void {
    if (!this.inUse || this.untilPowerCycle) return;
    const elapsed = this.clock.now() - this.startedAt;
    if (elapsed > USER_PRESENT_TIME_LIMIT_MS) this.userPresent = false;
    if ((!this.used && elapsed > INITIAL_USAGE_TIME_LIMIT_MS) || elapsed > MAX_USAGE_TIME_PERIOD_MS)
      this.stopUsingPinUvAuthToken();
  }

  /** A command authenticated with the token: it has now been used within its initial usage window. */
  markUsed(): void {
    this.observeUsageTimer();
    if (this.inUse) this.used = true;
  }

  getUserPresentFlagValue(): boolean {
    this.observeUsageTimer();
    return this.inUse && this.userPresent;
  }

  getUserVerifiedFlagValue(): boolean {
    this.observeUsageTimer();
    return this.inUse && this.userVerified;
  }

  hasPermission(permission: number): boolean {
    this.observeUsageTimer();
    return this.inUse && (this.permissions & permission) === permission;
  }

  clearUserPresentFlag(): void {
    if (this.inUse) this.userPresent = false;
  }

  clearUserVerifiedFlag(): void {
    if (this.inUse) this.userVerified = false;
  }

  clearPinUvAuthTokenPermissionsExceptLbw(): void {
    if (this.inUse) this.permissions &= PinUvAuthTokenPermission.lbw;
  }

  stopUsingPinUvAuthToken(): void {
    this.permissionsRpId = undefined;
    this.permissions = 0;
    this.inUse = false;
    this.userPresent = false;
    this.userVerified = false;
    this.used = false;
  }
}

/** Everything PIN/UV that a power cycle forgets. */
export class PinUvAuthRuntime {
  readonly protocols: ReadonlyMap<PinUvAuthProtocolVersion, PinUvAuthProtocol>;
  readonly token: PinUvAuthTokenState;
  /** Wrong PINs since power-up, reset by a right one. */
  consecutivePinFailures = 0;
  /** The profile's pinUvAuthProtocols (config.ts); others are CTAP1_ERR_INVALID_PARAMETER. */
  private readonly offered: readonly number[];

  constructor(core: Core) {
    const random = (n: number) => core.env.rng.bytes(n);
    // initialize() of every protocol happens in the constructor (power-on).
    this.protocols = new Map(PIN_UV_AUTH_PROTOCOLS.map((v) => [v, authenticatorProtocol(v, random)] as const));
    this.token = new PinUvAuthTokenState(core.env.clock, followsCtap20(core.config));
    this.offered = core.config.pinUvAuthProtocols;
  }

  protocol(version: number | undefined): PinUvAuthProtocol | undefined {
    return (version === 1 || version === 2) && this.offered.includes(version) ? this.protocols.get(version) : undefined;
  }

  /** resetPinUvAuthToken() for every protocol, and the old token stops being in use. */
  resetAllTokens(): void {
    for (const p of this.protocols.values()) p.resetPinUvAuthToken();
    this.token.stopUsingPinUvAuthToken();
  }
}

/** This power cycle's PIN/UV state (made at first use, which stands in for power-on). */
export function pinUvAuthRuntime(core: Core): PinUvAuthRuntime {
  core.runtime.pinUvAuth ??= new PinUvAuthRuntime(core);
  return core.runtime.pinUvAuth;
}

/** authenticatorReset: new key-agreement keys and tokens, and a fresh failure count. */
export function resetPinUvAuthRuntime(core: Core): void {
  core.runtime.pinUvAuth = undefined;
}
