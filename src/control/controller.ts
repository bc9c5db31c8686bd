/**
 * The control API's operations, modelled on Chrome DevTools' WebAuthn domain (addCredential,
 * getCredentials, removeCredential, clearCredentials, setUserVerified, setResponseOverrideBits…)
 * and more: presence modes and pending prompts, the built-in UV simulation, counters and backup
 * flags, reset, power cycle, fault injection, the live trace and the wallet's addresses.
 * Everything is plain JSON in and out (bytes as base64url), so the HTTP API, `softkey ctl` and
 * `key.control` from Node are the same calls.
 */
import type { Core } from '../authenticator/core.js';
import { backupFlagBits, importCredential, setBackupFlags } from '../authenticator/importCredential.js';
import { readPinState } from '../authenticator/pinUvAuthToken.js';
import { eraseAuthenticator } from '../authenticator/reset.js';
import { setDevicePin } from '../authenticator/setDevicePin.js';
import * as b64u from '../encoding/base64url.js';
import { toHex } from '../encoding/bytes.js';
import type { CredentialAlg, CoseKey } from '../encoding/cose.js';
import type { CredentialStore, CredProtectLevel } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';
import { parsePathString } from '../wallet/bip32Path.js';
import { hasWalletSeed, Keyring } from '../wallet/keyring.js';
import { checkFaultPlan, Faults, type FaultPlan } from './faults.js';
import { PRESENCE_MODES, PresenceBroker, type PresenceMode, type Prompt, type UvResult } from './presence.js';
import { TraceLog, type TraceEntry } from './trace.js';

/** A bad request: the HTTP API answers 400 (404 for NotFound), the CLI exits 2. */
export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    message: string,
    readonly kind: 'invalid' | 'not-found' = 'invalid',
  ) {
    super(message);
  }
}

/** What the composition root gives the controller. */
export interface ControlledDevice {
  core: Core;
  store: CredentialStore;
  vault: Vault;
  presence: PresenceBroker;
  faults: Faults;
  trace: TraceLog;
  powerCycle(): void;
  /** Outside key parsing (src/crypto, reached through the composition root). */
  importPrivateKey(input: PrivateKeyJson): { alg: CredentialAlg; secret: Uint8Array; publicKey: CoseKey };
  /** CTAP2 command and status names ↔ bytes, for faults given by name. */
  names: { command(name: string): number | undefined; status(name: string): number | undefined; commandName(b: number): string; statusName(b: number): string };
}

/** A private key as JSON: PKCS#8 (base64url DER or PEM text), a JWK, or a raw P-256 scalar (hex or base64url). */
export type PrivateKeyJson = { pkcs8: string } | { jwk: Record<string, unknown> } | { p256Scalar: string };

export interface AddCredentialInput {
  rpId: string;
  rpName?: string;
  /** Discoverable (resident) credential; default true. */
  resident?: boolean;
  /** user.id as base64url; required for resident credentials. */
  userId?: string;
  userName?: string;
  userDisplayName?: string;
  privateKey: PrivateKeyJson;
  credProtect?: CredProtectLevel;
  signCount?: number;
  backupEligible?: boolean;
  backupState?: boolean;
}

export interface CredentialInfo {
  credentialId: string;
  rpId: string;
  rpName?: string;
  userId: string;
  userName?: string;
  userDisplayName?: string;
  alg: number;
  algName: string;
  credProtect: number;
  signCount: number;
  backupEligible: boolean;
  backupState: boolean;
  createdAt: string;
}

/** A fault plan as the control API shows it: ctapError's command and status by their spec names. */
export type FaultPlanView = Omit<FaultPlan, 'ctapError'> & { ctapError?: { command: string; status: string; every?: true } };

export interface WalletAddress {
  path: string;
  address: string;
}

export type ControlEvent =
  | { type: 'prompts'; prompts: Prompt[] }
  | { type: 'presence'; presence: PresenceState }
  | { type: 'uv'; uv: UvState }
  | { type: 'pin'; pin: { set: boolean; retries: number; uvRetries: number } }
  | { type: 'faults'; faults: FaultPlanView }
  | { type: 'credentials' }
  | { type: 'trace'; entry: TraceEntry };

export interface PresenceState {
  mode: PresenceMode | 'custom';
  timeoutMs: number;
}
export interface UvState {
  available: boolean;
  result: UvResult;
}

const ALG_NAMES: Record<number, string> = { [-7]: 'ES256', [-8]: 'EdDSA', [-257]: 'RS256' };

function bytesField(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || value === '') throw new ControlError(`${what} must be a base64url string`);
  try {
    return b64u.decode(value);
  } catch {
    throw new ControlError(`${what} is not base64url`);
  }
}

const optionalString = (v: unknown, what: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ControlError(`${what} must be a string`);
  return v;
};

export class Controller {
  private readonly listeners = new Set<(e: ControlEvent) => void>();
  private keyring: Keyring | undefined;

  constructor(private readonly d: ControlledDevice) {
    d.trace.subscribe((entry) => this.emit({ type: 'trace', entry }));
  }

  /** Events for live views (the panel's WebSocket). Returns the unsubscribe function. */
  subscribe(listener: (e: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the composition root and the broker when something shown changed. */
  emit(event: ControlEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a broken view must not break the device
      }
    }
  }

  /** Everything a view shows at once. */
  state() {
    return {
      presence: this.presence(),
      uv: this.uv(),
      pin: this.pin(),
      prompts: this.prompts(),
      faults: this.faults(),
      credentials: this.credentials(),
      wallet: this.walletAddresses(),
    };
  }

  // --- presence and prompts ---
  presence(): PresenceState {
    return { mode: this.d.presence.mode, timeoutMs: this.d.presence.timeoutMs };
  }

  setPresence(input: { mode?: unknown; timeoutMs?: unknown }): PresenceState {
    const mode = input.mode ?? this.d.presence.mode;
    if (typeof mode !== 'string' || !([...PRESENCE_MODES, 'custom'] as string[]).includes(mode)) throw new ControlError(`mode must be one of ${PRESENCE_MODES.join(', ')}`);
    if (input.timeoutMs !== undefined && !(Number.isInteger(input.timeoutMs) && (input.timeoutMs as number) > 0)) throw new ControlError('timeoutMs must be a positive whole number');
    try {
      this.d.presence.setMode(mode as PresenceMode, input.timeoutMs as number | undefined);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
    const state = this.presence();
    this.emit({ type: 'presence', presence: state });
    return state;
  }

  prompts(): Prompt[] {
    return this.d.presence.prompts();
  }

  /** Approves or denies a pending prompt by id. */
  answerPrompt(id: string, approve: boolean): { answered: true } {
    if (!this.d.presence.answer(String(id), approve)) throw new ControlError(`no prompt ${id} waiting for an answer`, 'not-found');
    return { answered: true };
  }

  // --- built-in user verification simulation ---
  uv(): UvState {
    return { available: this.d.core.env.uv === this.d.presence.uv, result: this.d.presence.uvResult };
  }

  /** available: the device has a built-in UV method (getInfo option uv); result: a finger that matches or not. */
  setUv(input: { available?: unknown; result?: unknown }): UvState {
    if (input.available !== undefined && typeof input.available !== 'boolean') throw new ControlError('available must be true or false');
    if (input.result !== undefined && input.result !== 'match' && input.result !== 'nomatch') throw new ControlError('result must be "match" or "nomatch"');
    const env = this.d.core.env;
    if (input.available === true) env.uv = this.d.presence.uv;
    if (input.available === false) delete env.uv;
    if (input.result !== undefined) this.d.presence.setUvResult(input.result as UvResult);
    const state = this.uv();
    this.emit({ type: 'uv', uv: state });
    return state;
  }

  // --- PIN (set on the device itself, as a badge's keypad would) ---
  pin(): { set: boolean; retries: number; uvRetries: number } {
    const s = readPinState(this.d.store);
    return { set: s.pinHash !== undefined, retries: s.pinRetries, uvRetries: s.uvRetries };
  }

  /** Sets the PIN (policy of CTAP 2.1 §6.5.1); every pinUvAuthToken is invalidated. */
  setPin(input: { pin?: unknown }): { set: boolean; retries: number; uvRetries: number } {
    if (typeof input.pin !== 'string') throw new ControlError('pin must be a string');
    try {
      setDevicePin(this.d.core, input.pin);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
    const state = this.pin();
    this.emit({ type: 'pin', pin: state });
    return state;
  }

  // --- credentials ---
  addCredential(input: AddCredentialInput): { credentialId: string; publicKey: string } {
    if (typeof input !== 'object' || input === null) throw new ControlError('a credential is a JSON object');
    if (typeof input.rpId !== 'string' || input.rpId === '') throw new ControlError('rpId is required');
    const resident = input.resident ?? true;
    if (typeof resident !== 'boolean') throw new ControlError('resident must be true or false');
    const userId = input.userId !== undefined || resident ? bytesField(input.userId, 'userId') : undefined;
    if (userId && userId.length > 64) throw new ControlError('userId is at most 64 bytes');
    if (input.credProtect !== undefined && ![1, 2, 3].includes(input.credProtect)) throw new ControlError('credProtect must be 1, 2 or 3');
    if (input.signCount !== undefined && !(Number.isInteger(input.signCount) && input.signCount >= 0 && input.signCount <= 0xffffffff)) throw new ControlError('signCount must be 0–4294967295');
    if (typeof input.privateKey !== 'object' || input.privateKey === null) throw new ControlError('privateKey must be { pkcs8 } or { jwk } or { p256Scalar }');
    let key;
    try {
      key = this.d.importPrivateKey(input.privateKey);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
    const userName = optionalString(input.userName, 'userName');
    const displayName = optionalString(input.userDisplayName, 'userDisplayName');
    const rpName = optionalString(input.rpName, 'rpName');
    const made = importCredential(this.d.core, {
      rpId: input.rpId,
      ...(rpName !== undefined && { rpName }),
      discoverable: resident,
      ...(userId && { user: { id: userId, ...(userName !== undefined && { name: userName }), ...(displayName !== undefined && { displayName }) } }),
      key,
      ...(input.credProtect !== undefined && { credProtect: input.credProtect }),
      ...(input.signCount !== undefined && { signCount: input.signCount }),
    });
    if (input.backupEligible || input.backupState) this.setBackup(made.credentialId, input);
    this.emit({ type: 'credentials' });
    return { credentialId: b64u.encode(made.credentialId), publicKey: b64u.encode(made.publicKey) };
  }

  /** The discoverable credentials (non-discoverable ones are stored nowhere: their ID is the key). */
  credentials(): CredentialInfo[] {
    return this.d.store.listAllResident().map((c) => {
      const bits = backupFlagBits(this.d.core, c.credentialId);
      return {
        credentialId: b64u.encode(c.credentialId),
        rpId: c.rpId,
        ...(c.rpName !== undefined && { rpName: c.rpName }),
        userId: b64u.encode(c.userId),
        ...(c.userName !== undefined && { userName: c.userName }),
        ...(c.userDisplayName !== undefined && { userDisplayName: c.userDisplayName }),
        alg: c.alg,
        algName: ALG_NAMES[c.alg] ?? String(c.alg),
        credProtect: c.credProtect,
        signCount: this.d.store.getCounter(c.credentialId),
        backupEligible: (bits & 0x08) !== 0,
        backupState: (bits & 0x10) !== 0,
        createdAt: new Date(c.createdAt).toISOString(),
      };
    });
  }

  removeCredential(credentialId: string): { removed: true } {
    const id = bytesField(credentialId, 'credentialId');
    if (!this.d.store.deleteResident(id)) throw new ControlError('no discoverable credential with that ID', 'not-found');
    this.emit({ type: 'credentials' });
    return { removed: true };
  }

  clearCredentials(): { removed: number } {
    const all = this.d.store.listAllResident();
    for (const c of all) this.d.store.deleteResident(c.credentialId);
    this.emit({ type: 'credentials' });
    return { removed: all.length };
  }

  /**
   * Sets a credential's signature counter and backup flags (any credential of this device, resident
   * or not: counters and flags are kept by credential ID).
   */
  setCredential(credentialId: string, input: { signCount?: unknown; backupEligible?: unknown; backupState?: unknown }): { signCount: number; backupEligible: boolean; backupState: boolean } {
    const id = bytesField(credentialId, 'credentialId');
    if (input.signCount !== undefined) {
      if (!(Number.isInteger(input.signCount) && (input.signCount as number) >= 0 && (input.signCount as number) <= 0xffffffff)) throw new ControlError('signCount must be 0–4294967295');
      this.d.store.setCounter(id, input.signCount as number);
    }
    for (const k of ['backupEligible', 'backupState'] as const) if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new ControlError(`${k} must be true or false`);
    if (input.backupEligible !== undefined || input.backupState !== undefined) this.setBackup(id, input as { backupEligible?: boolean; backupState?: boolean });
    this.emit({ type: 'credentials' });
    const bits = backupFlagBits(this.d.core, id);
    return { signCount: this.d.store.getCounter(id), backupEligible: (bits & 0x08) !== 0, backupState: (bits & 0x10) !== 0 };
  }

  private setBackup(id: Uint8Array, input: { backupEligible?: boolean; backupState?: boolean }): void {
    const bits = backupFlagBits(this.d.core, id);
    const flags = { backupEligible: input.backupEligible ?? (bits & 0x08) !== 0, backupState: input.backupState ?? (bits & 0x10) !== 0 };
    if (input.backupState && input.backupEligible === undefined) flags.backupEligible = true;
    try {
      setBackupFlags(this.d.core, toHex(id), flags);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
  }

  // --- device ---
  /** Erases every credential, the PIN and the wallet-independent state (no reset window, no presence). */
  reset(): { reset: true } {
    eraseAuthenticator(this.d.core);
    this.emit({ type: 'credentials' });
    return { reset: true };
  }

  powerCycle(): { powerCycled: true } {
    this.d.powerCycle();
    return { powerCycled: true };
  }

  // --- faults ---
  /** The armed plan, with command and status names (authenticatorMakeCredential, CTAP2_ERR_KEY_STORE_FULL). */
  faults(): FaultPlanView {
    const { ctapError, ...rest } = this.d.faults.current;
    if (!ctapError) return rest;
    const { command, status, every } = ctapError;
    return { ...rest, ctapError: { command: this.d.names.commandName(command), status: this.d.names.statusName(status), ...(every && { every }) } };
  }

  /** Arms a fault plan (replacing the previous one). ctapError.command/status may be names. */
  setFaults(input: unknown): FaultPlanView {
    let raw = input;
    const e = (input as { ctapError?: { command?: unknown; status?: unknown } } | null)?.ctapError;
    if (e && typeof e === 'object') {
      const command = typeof e.command === 'string' ? this.d.names.command(e.command) : e.command;
      const status = typeof e.status === 'string' ? this.d.names.status(e.status) : e.status;
      if (command === undefined) throw new ControlError(`unknown CTAP2 command "${String(e.command)}"`);
      if (status === undefined) throw new ControlError(`unknown CTAP status "${String(e.status)}"`);
      raw = { ...(input as object), ctapError: { ...e, command, status } };
    }
    let plan: FaultPlan;
    try {
      plan = checkFaultPlan(raw);
    } catch (err) {
      throw new ControlError((err as Error).message);
    }
    this.d.faults.set(plan);
    this.d.presence.withhold = plan.withholdPresence;
    return this.faults();
  }

  clearFaults(): FaultPlanView {
    return this.setFaults({});
  }

  // --- trace ---
  trace(since = 0): TraceEntry[] {
    return this.d.trace.list(since);
  }

  clearTrace(): { cleared: true } {
    this.d.trace.clear();
    return { cleared: true };
  }

  // --- wallet ---
  /** The Filecoin app's first addresses (m/44'/461'/0'/0/i); empty until a seed exists. */
  walletAddresses(count = 3): WalletAddress[] {
    if (!(Number.isInteger(count) && count >= 1 && count <= 20)) throw new ControlError('count must be 1–20');
    if (!hasWalletSeed(this.d.vault)) return [];
    const keyring = (this.keyring ??= Keyring.fromVault(this.d.vault)); // derives the seed once
    return Array.from({ length: count }, (_, i) => {
      const path = `m/44'/461'/0'/0/${i}`;
      return { path, address: keyring.key(parsePathString(path)).address };
    });
  }
}
