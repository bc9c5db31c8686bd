/**
 * The control API's operations, modelled on Chrome DevTools' WebAuthn domain (addCredential,
 * getCredentials, removeCredential, clearCredentials, setUserVerified, setResponseOverrideBits…)
 * and more: presence modes and pending prompts, the built-in UV simulation, counters and backup
 * flags, reset, power cycle, fault injection, the live trace and the wallet's addresses.
 * Everything is plain JSON in and out (bytes as base64url), so the HTTP API, `softkey ctl` and
 * `key.control` from Node are the same calls.
 */
import type { Core } from '../authenticator/core.js';
import type { CredentialEvent, CredentialEventType } from '../authenticator/credentialEvents.js';
import {
  backupFlagBits,
  defaultBackupBits,
  importCredential,
  setBackupDefaults,
  setBackupFlags,
} from '../authenticator/importCredential.js';
import { readPinState } from '../authenticator/pinUvAuthToken.js';
import { eraseAuthenticator } from '../authenticator/reset.js';
import { setDevicePin } from '../authenticator/setDevicePin.js';
import * as b64u from '../encoding/base64url.js';
import { toHex } from '../encoding/bytes.js';
import type { CredentialAlg, CoseKey } from '../encoding/cose.js';
import type { CredentialStore, CredProtectLevel } from '../store/credentialStore.js';
import type { Vault } from '../store/vault.js';
import {
  exportStoreState,
  KEY_STATE_FORMAT,
  KEY_STATE_VERSION,
  PLAIN_WARNING,
  sealKeyState,
  type KeyState,
  type ScryptParams,
  type SealedKeyState,
} from '../store/snapshot.js';
import { parsePathString } from '../wallet/bip32Path.js';
import { hasWalletSeed, Keyring } from '../wallet/keyring.js';
import { attestationRoots, attestationState, setAttestation, type AttestationState } from './attestation.js';
import { checkFaultPlan, Faults, type FaultPlan } from './faults.js';
import { PRESENCE_MODES, PresenceBroker, type PresenceMode, type Prompt, type UvResult } from './presence.js';
import { TraceLog, type TraceEntry } from './trace.js';
import { setWrongAnswerSource } from '../authenticator/wrongAnswers.js';
import {
  ArmedWrongAnswers,
  WRONG_ANSWERS,
  type OverrideState,
  type WebAuthnCeremony,
  type WrongAnswerInfo,
} from './wrongAnswers.js';

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
  /** A credential's key secret as PKCS#8 DER (src/crypto, through the composition root). */
  exportPrivateKey(alg: CredentialAlg, secret: Uint8Array): Uint8Array;
  /** Device options saved with a whole-key export (profile name, …). */
  stateConfig?(): Record<string, unknown>;
  /** CTAP2 command and status names ↔ bytes, for faults given by name. */
  names: {
    command(name: string): number | undefined;
    status(name: string): number | undefined;
    commandName(b: number): string;
    statusName(b: number): string;
  };
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
  /** Keep this credential ID (base64url, 16–1023 bytes), e.g. one read from another key; default a new one. */
  credentialId?: string;
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
  /** Discoverable; always true in credentials(), which lists the stored (discoverable) credentials. */
  resident: boolean;
  createdAt?: string;
  /** With { privateKeys: true }: the key, in the form addCredential takes back. */
  privateKey?: { pkcs8: string };
}

/** A fault plan as the control API shows it: ctapError's command and status by their spec names. */
export type FaultPlanView = Omit<FaultPlan, 'ctapError'> & {
  ctapError?: { command: string; status: string; every?: true };
};

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
  | { type: 'overrides'; overrides: OverrideState }
  | { type: 'credentials' }
  | { type: CredentialEventType; credential: CredentialEventJson }
  | { type: 'trace'; entry: TraceEntry };

/** A per-credential event (DevTools' WebAuthn.credentialAdded/Asserted/Deleted/Updated) as JSON. */
export interface CredentialEventJson {
  type: CredentialEventType;
  credentialId: string;
  rpId?: string;
  /** user.id, base64url (discoverable credentials). */
  userHandle?: string;
  resident: boolean;
  signCount: number;
  /** The authenticatorData flags of the ceremony (for deletes and updates: the credential's BE/BS). */
  flags: { up: boolean; uv: boolean; be: boolean; bs: boolean };
}

export const CREDENTIAL_EVENT_TYPES: readonly CredentialEventType[] = [
  'credentialAdded',
  'credentialAsserted',
  'credentialDeleted',
  'credentialUpdated',
];

export function credentialEventJson(e: CredentialEvent): CredentialEventJson {
  return {
    type: e.type,
    credentialId: b64u.encode(e.credentialId),
    ...(e.rpId !== undefined && { rpId: e.rpId }),
    ...(e.userHandle && { userHandle: b64u.encode(e.userHandle) }),
    resident: e.discoverable,
    signCount: e.signCount,
    flags: {
      up: (e.flags & 0x01) !== 0,
      uv: (e.flags & 0x04) !== 0,
      be: (e.flags & 0x08) !== 0,
      bs: (e.flags & 0x10) !== 0,
    },
  };
}

export interface PresenceState {
  mode: PresenceMode | 'custom';
  timeoutMs: number;
}
export interface UvState {
  available: boolean;
  result: UvResult;
}

/** The wrong answer the fault plan's `badSignature` arms (one implementation of the lie, in the authenticator). */
const BAD_SIGNATURE = 'bad-signature';

const ALG_NAMES: Record<number, string> = {
  [-7]: 'ES256',
  [-35]: 'ES384',
  [-36]: 'ES512',
  [-8]: 'EdDSA',
  [-257]: 'RS256',
};

/** The last base64url field decoded (a load test arms the same credential's counter on every sign-in). */
let lastField: { text: string; bytes: Uint8Array } = { text: '', bytes: new Uint8Array(0) };

/** A base64url field's bytes (the same bytes for the same text: read them, never write them). */
function bytesField(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || value === '') throw new ControlError(`${what} must be a base64url string`);
  if (value === lastField.text) return lastField.bytes;
  try {
    const bytes = b64u.decode(value);
    lastField = { text: value, bytes };
    return bytes;
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
  private readonly credentialListeners = new Map<
    (e: CredentialEventJson) => void,
    { type: string; off: () => void }[]
  >();
  private keyring: Keyring | undefined;
  private readonly wrong = new ArmedWrongAnswers(() => {
    this.emit({ type: 'overrides', overrides: this.wrong.state() });
    // The fault plan's badSignature is the armed `bad-signature` (setFaults): its view follows.
    const badSignature = this.wrong.has(BAD_SIGNATURE);
    if (badSignature !== this.badSignatureShown) {
      this.badSignatureShown = badSignature;
      this.emit({ type: 'faults', faults: this.faults() });
    }
  });
  private badSignatureShown = false;

  constructor(private readonly d: ControlledDevice) {
    d.trace.subscribe((entry) => this.emit({ type: 'trace', entry }));
    setWrongAnswerSource(d.core, { take: (ceremony) => this.wrong.take(ceremony, 'authenticator') });
  }

  /** Events for live views (the panel's WebSocket). Returns the unsubscribe function. */
  subscribe(listener: (e: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Per-credential events, EventEmitter-style: `key.control.on('credentialAsserted', (e) => …)`.
   * '*' listens to all four. Returns this (off() removes the same listener).
   */
  on(type: CredentialEventType | '*', listener: (e: CredentialEventJson) => void): this {
    if (type !== '*' && !CREDENTIAL_EVENT_TYPES.includes(type)) {
      throw new ControlError(`unknown event "${String(type)}"; one of ${CREDENTIAL_EVENT_TYPES.join(', ')}`);
    }
    const wrapped = (e: ControlEvent) => {
      if ('credential' in e && (type === '*' || e.type === type)) listener(e.credential);
    };
    this.credentialListeners.set(listener, [
      ...(this.credentialListeners.get(listener) ?? []),
      { type, off: this.subscribe(wrapped) },
    ]);
    return this;
  }

  off(type: CredentialEventType | '*', listener: (e: CredentialEventJson) => void): this {
    const subs = this.credentialListeners.get(listener) ?? [];
    const i = subs.findIndex((s) => s.type === type);
    if (i >= 0) {
      subs[i]!.off();
      subs.splice(i, 1);
    }
    if (subs.length === 0) this.credentialListeners.delete(listener);
    return this;
  }

  /**
   * The same events as an async iterator (`for await (const e of key.control.events())`), from the
   * call on (it subscribes at once, before the first next()) until `signal` aborts or the loop ends;
   * events wait in a queue while the loop is busy.
   */
  events(
    options: { types?: readonly CredentialEventType[]; signal?: AbortSignal } = {},
  ): AsyncIterableIterator<CredentialEventJson> {
    const types = options.types ?? CREDENTIAL_EVENT_TYPES;
    const queue: CredentialEventJson[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const off = this.subscribe((e) => {
      if ('credential' in e && types.includes(e.type)) {
        queue.push(e.credential);
        wake?.();
      }
    });
    const finish = () => {
      if (done) return;
      done = true;
      off();
      options.signal?.removeEventListener('abort', finish);
      wake?.();
    };
    options.signal?.addEventListener('abort', finish);
    if (options.signal?.aborted) finish();
    const end = { value: undefined, done: true } as const;
    const iterator: AsyncIterableIterator<CredentialEventJson> = {
      async next() {
        while (!done && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        return done ? end : { value: queue.shift()!, done: false };
      },
      async return() {
        finish();
        return end;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The authenticator's per-credential events (Env.credentialEvents, wired by the composition root). */
  credentialEvent(e: CredentialEvent): void {
    if (this.listeners.size === 0) return; // nobody listens: no JSON per assertion
    this.emit({ type: e.type, credential: credentialEventJson(e) });
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

  // --- attestation (attestation.ts) ---
  attestation(): AttestationState {
    return attestationState(this.d.core);
  }
  /** { format?, aaguid?, once? } for the next makeCredential(s); { reset: true } for the device's own. */
  setAttestation(input: unknown): AttestationState {
    return setAttestation(this.d.core, input);
  }
  /** The root certificates (PEM) an RP trusts for every format softkey emits. */
  attestationRoots(): Promise<{ roots: string[] }> {
    return attestationRoots(this.d.core);
  }

  // --- deliberately wrong answers (wrongAnswers.ts) ---
  /**
   * Arms wrong answers for the next ceremonies: `{ answer: 'up-cleared' | [...], once?: true,
   * ceremony?: 'registration' | 'authentication' }`; `{ clear: true }` disarms all.
   */
  override(input: unknown): OverrideState {
    return this.wrong.override(input);
  }
  overrides(): OverrideState {
    return this.wrong.state();
  }
  clearOverrides(): OverrideState {
    return this.wrong.override({ clear: true });
  }
  /** The catalog: every wrong answer, what softkey emits and the WebAuthn step an RP catches it with. */
  wrongAnswers(): readonly WrongAnswerInfo[] {
    return WRONG_ANSWERS;
  }
  /** For the WebAuthn client beside this device (wired by openSoftKey): the names armed for a ceremony. */
  takeClientWrongAnswers(ceremony: WebAuthnCeremony): ReadonlySet<string> {
    return this.wrong.take(ceremony, 'client');
  }

  // --- presence and prompts ---
  presence(): PresenceState {
    return { mode: this.d.presence.mode, timeoutMs: this.d.presence.timeoutMs };
  }

  setPresence(input: { mode?: unknown; timeoutMs?: unknown }): PresenceState {
    const mode = input.mode ?? this.d.presence.mode;
    if (typeof mode !== 'string' || !([...PRESENCE_MODES, 'custom'] as string[]).includes(mode))
      throw new ControlError(`mode must be one of ${PRESENCE_MODES.join(', ')}`);
    if (input.timeoutMs !== undefined && !(Number.isInteger(input.timeoutMs) && (input.timeoutMs as number) > 0))
      throw new ControlError('timeoutMs must be a positive whole number');
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
  /** approve 'longTouch': the button held (CTAP 2.3 longTouchForReset). */
  answerPrompt(id: string, approve: boolean | 'longTouch'): { answered: true } {
    if (!this.d.presence.answer(String(id), approve))
      throw new ControlError(`no prompt ${id} waiting for an answer`, 'not-found');
    return { answered: true };
  }

  // --- built-in user verification simulation ---
  uv(): UvState {
    return { available: this.d.core.env.uv === this.d.presence.uv, result: this.d.presence.uvResult };
  }

  /** available: the device has a built-in UV method (getInfo option uv); result: a finger that matches or not. */
  setUv(input: { available?: unknown; result?: unknown }): UvState {
    if (input.available !== undefined && typeof input.available !== 'boolean')
      throw new ControlError('available must be true or false');
    if (input.result !== undefined && input.result !== 'match' && input.result !== 'nomatch')
      throw new ControlError('result must be "match" or "nomatch"');
    const env = this.d.core.env;
    if (input.available === true) env.uv = this.d.presence.uv;
    if (input.available === false) delete env.uv;
    if (input.result !== undefined) this.d.presence.setUvResult(input.result);
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
  /** Adds a credential; also takes an entry of credentials({ privateKeys: true }) (a seed read back). */
  addCredential(raw: AddCredentialInput | CredentialInfo): { credentialId: string; publicKey: string } {
    const input = raw as AddCredentialInput;
    if (typeof input !== 'object' || input === null) throw new ControlError('a credential is a JSON object');
    if (typeof input.rpId !== 'string' || input.rpId === '') throw new ControlError('rpId is required');
    const resident = input.resident ?? true;
    if (typeof resident !== 'boolean') throw new ControlError('resident must be true or false');
    const userId =
      (input.userId !== undefined && input.userId !== '') || resident ? bytesField(input.userId, 'userId') : undefined;
    if (userId && userId.length > 64) throw new ControlError('userId is at most 64 bytes');
    if (input.credProtect !== undefined && ![1, 2, 3].includes(input.credProtect))
      throw new ControlError('credProtect must be 1, 2 or 3');
    if (
      input.signCount !== undefined &&
      !(Number.isInteger(input.signCount) && input.signCount >= 0 && input.signCount <= 0xffffffff)
    )
      throw new ControlError('signCount must be 0–4294967295');
    if (typeof input.privateKey !== 'object' || input.privateKey === null)
      throw new ControlError('privateKey must be { pkcs8 } or { jwk } or { p256Scalar }');
    let key;
    try {
      key = this.d.importPrivateKey(input.privateKey);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
    const userName = optionalString(input.userName, 'userName');
    const displayName = optionalString(input.userDisplayName, 'userDisplayName');
    const rpName = optionalString(input.rpName, 'rpName');
    const credentialId = input.credentialId === undefined ? undefined : bytesField(input.credentialId, 'credentialId');
    for (const k of ['backupEligible', 'backupState'] as const)
      if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new ControlError(`${k} must be true or false`);
    let backup: { backupEligible: boolean; backupState: boolean } | undefined;
    if (input.backupEligible !== undefined || input.backupState !== undefined) {
      const defaults = this.backupDefaults();
      const backupState = input.backupState ?? (input.backupEligible === false ? false : defaults.backupState);
      backup = { backupEligible: input.backupEligible ?? (backupState || defaults.backupEligible), backupState };
      if (backup.backupState && !backup.backupEligible)
        throw new ControlError('backup state requires backup eligibility');
    }
    let made;
    try {
      made = importCredential(this.d.core, {
        rpId: input.rpId,
        ...(rpName !== undefined && { rpName }),
        discoverable: resident,
        ...(userId && {
          user: {
            id: userId,
            ...(userName !== undefined && { name: userName }),
            ...(displayName !== undefined && { displayName }),
          },
        }),
        key,
        ...(input.credProtect !== undefined && { credProtect: input.credProtect }),
        ...(input.signCount !== undefined && { signCount: input.signCount }),
        ...(credentialId && { credentialId }),
        ...(backup && { backup }),
      });
    } catch (e) {
      throw e instanceof RangeError ? new ControlError(e.message) : e;
    }
    this.emit({ type: 'credentials' });
    return { credentialId: b64u.encode(made.credentialId), publicKey: b64u.encode(made.publicKey) };
  }

  /**
   * The discoverable credentials (non-discoverable ones are stored nowhere: their ID is the key; read
   * one with credential(id, rpId)). With { privateKeys: true } each carries its private key and the
   * list can be given back to addCredential, here or in another key (a seed for a later test).
   */
  credentials(options: { privateKeys?: boolean } = {}): CredentialInfo[] {
    return this.d.store.listAllResident().map((c) => {
      const bits = backupFlagBits(this.d.core, c.credentialId);
      const key = options.privateKeys ? this.privateKeyOf(c.credentialId, c.rpId) : undefined;
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
        resident: true,
        createdAt: new Date(c.createdAt).toISOString(),
        ...(key && { privateKey: key }),
      };
    });
  }

  /**
   * One credential of this key with its private key: a discoverable one by ID, a non-discoverable
   * one by ID and RP ID (its ID opens only for the RP ID it was made for).
   */
  credential(credentialId: string, rpId?: string): CredentialInfo {
    const id = bytesField(credentialId, 'credentialId');
    const stored = this.credentials({ privateKeys: true }).find((c) => c.credentialId === b64u.encode(id));
    if (stored) return stored;
    if (rpId === undefined) {
      throw new ControlError(
        'no discoverable credential with that ID (give rpId for a non-discoverable one)',
        'not-found',
      );
    }
    const resolved = this.d.core.resolve(id, this.d.core.rpIdHash(rpId));
    if (!resolved || resolved.payload.u2f)
      throw new ControlError(`no credential of this key with that ID for ${rpId}`, 'not-found');
    const bits = backupFlagBits(this.d.core, id);
    return {
      credentialId: b64u.encode(id),
      rpId,
      userId: '',
      alg: resolved.payload.alg,
      algName: ALG_NAMES[resolved.payload.alg] ?? String(resolved.payload.alg),
      credProtect: resolved.payload.credProtect,
      signCount: this.d.store.getCounter(id),
      backupEligible: (bits & 0x08) !== 0,
      backupState: (bits & 0x10) !== 0,
      resident: false,
      privateKey: { pkcs8: b64u.encode(this.d.exportPrivateKey(resolved.payload.alg, resolved.payload.secret)) },
    };
  }

  private privateKeyOf(id: Uint8Array, rpId: string): { pkcs8: string } | undefined {
    const resolved = this.d.core.resolve(id, this.d.core.rpIdHash(rpId));
    return resolved && { pkcs8: b64u.encode(this.d.exportPrivateKey(resolved.payload.alg, resolved.payload.secret)) };
  }

  private credentialChanged(
    type: 'credentialDeleted' | 'credentialUpdated',
    id: Uint8Array,
    resident: { rpId: string; userId: Uint8Array } | undefined,
    signCount: number,
  ): void {
    this.credentialEvent({
      type,
      credentialId: id,
      ...(resident && { rpId: resident.rpId, userHandle: resident.userId }),
      discoverable: resident !== undefined,
      signCount,
      flags: backupFlagBits(this.d.core, id),
    });
  }

  removeCredential(credentialId: string): { removed: true } {
    const id = bytesField(credentialId, 'credentialId');
    const record = this.d.store.getResident(id);
    const signCount = this.d.store.getCounter(id);
    if (!record || !this.d.store.deleteResident(id))
      throw new ControlError('no discoverable credential with that ID', 'not-found');
    this.credentialChanged('credentialDeleted', id, record, signCount);
    this.emit({ type: 'credentials' });
    return { removed: true };
  }

  clearCredentials(): { removed: number } {
    const all = this.d.store.listAllResident();
    for (const c of all) {
      const signCount = this.d.store.getCounter(c.credentialId);
      this.d.store.deleteResident(c.credentialId);
      this.credentialChanged('credentialDeleted', c.credentialId, c, signCount);
    }
    this.emit({ type: 'credentials' });
    return { removed: all.length };
  }

  /**
   * Sets a credential's signature counter and backup flags (any credential of this device, resident
   * or not: counters and flags are kept by credential ID).
   */
  setCredential(
    credentialId: string,
    input: { signCount?: unknown; backupEligible?: unknown; backupState?: unknown },
  ): { signCount: number; backupEligible: boolean; backupState: boolean } {
    const id = bytesField(credentialId, 'credentialId');
    if (input.signCount !== undefined) {
      if (!(
        Number.isInteger(input.signCount) &&
        (input.signCount as number) >= 0 &&
        (input.signCount as number) <= 0xffffffff
      ))
        throw new ControlError('signCount must be 0–4294967295');
      this.d.store.setCounter(id, input.signCount as number);
    }
    for (const k of ['backupEligible', 'backupState'] as const)
      if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new ControlError(`${k} must be true or false`);
    if (input.backupEligible !== undefined || input.backupState !== undefined)
      this.setBackup(id, input as { backupEligible?: boolean; backupState?: boolean });
    const signCount = this.d.store.getCounter(id);
    // Nobody listening (a load test arming a counter per sign-in): no event to build.
    if (this.listeners.size > 0) {
      this.credentialChanged('credentialUpdated', id, this.d.store.getResident(id), signCount);
      this.emit({ type: 'credentials' });
    }
    const bits = backupFlagBits(this.d.core, id);
    return {
      signCount,
      backupEligible: (bits & 0x08) !== 0,
      backupState: (bits & 0x10) !== 0,
    };
  }

  private setBackup(id: Uint8Array, input: { backupEligible?: boolean; backupState?: boolean }): void {
    const bits = backupFlagBits(this.d.core, id);
    const flags = {
      backupEligible: input.backupEligible ?? (bits & 0x08) !== 0,
      backupState: input.backupState ?? (bits & 0x10) !== 0,
    };
    if (input.backupState && input.backupEligible === undefined) flags.backupEligible = true;
    try {
      setBackupFlags(this.d.core, toHex(id), flags);
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
  }

  /** The authenticator-wide backup flags given to new credentials (DevTools' defaultBackupEligibility/State). */
  backupDefaults(): { backupEligible: boolean; backupState: boolean } {
    const bits = defaultBackupBits(this.d.core);
    return { backupEligible: (bits & 0x08) !== 0, backupState: (bits & 0x10) !== 0 };
  }

  /** Changes them for credentials made from now on; backupState true implies backupEligible. */
  setBackupDefaults(input: { backupEligible?: unknown; backupState?: unknown }): {
    backupEligible: boolean;
    backupState: boolean;
  } {
    for (const k of ['backupEligible', 'backupState'] as const)
      if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new ControlError(`${k} must be true or false`);
    const now = this.backupDefaults();
    const backupState =
      (input.backupState as boolean | undefined) ?? (input.backupEligible === false ? false : now.backupState);
    const backupEligible = (input.backupEligible as boolean | undefined) ?? (backupState || now.backupEligible);
    try {
      setBackupDefaults(this.d.core, { backupEligible, backupState });
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
    return this.backupDefaults();
  }

  // --- the whole key as one JSON document (store/snapshot.ts) ---
  /**
   * Everything this key holds, private keys included (the document's `warning` says so), sealed
   * with scrypt + AES-256-GCM when a passphrase is given. `openSoftKey({ state })` and
   * `softkey state import` restore it.
   */
  exportState(options: { passphrase?: string; scrypt?: ScryptParams } = {}): KeyState | SealedKeyState {
    const state: KeyState = {
      format: KEY_STATE_FORMAT,
      version: KEY_STATE_VERSION,
      warning: PLAIN_WARNING,
      exportedAt: new Date().toISOString(),
      config: { ...this.d.stateConfig?.(), ...this.backupDefaults() },
      ...exportStoreState(this.d.store, this.d.vault),
      credentials: this.credentials({ privateKeys: true }),
    };
    if (options.passphrase === undefined) return state;
    if (typeof options.passphrase !== 'string' || options.passphrase === '')
      throw new ControlError('passphrase must be a non-empty string');
    return sealKeyState(state, options.passphrase, options.scrypt);
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
    const { ctapError, ...plan } = this.d.faults.current;
    const rest = this.wrong.has(BAD_SIGNATURE) ? { ...plan, badSignature: true } : plan;
    if (!ctapError) return rest;
    const { command, status, every } = ctapError;
    return {
      ...rest,
      ctapError: {
        command: this.d.names.commandName(command),
        status: this.d.names.statusName(status),
        ...(every && { every }),
      },
    };
  }

  /**
   * Arms a fault plan (replacing the previous one). ctapError.command/status may be names.
   * badSignature arms the wrong answer `bad-signature` once for the next authentication (and a plan
   * without it disarms it), so the control API's bad signature is the RP test bench's.
   */
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
    const { badSignature, ...applied } = plan;
    if (badSignature) this.wrong.override({ answer: BAD_SIGNATURE, once: true, ceremony: 'authentication' });
    else this.wrong.disarm(BAD_SIGNATURE);
    this.d.faults.set(applied);
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
