/**
 * A whole key as one JSON document ("key state"): every secret of the vault (the credential-wrapping
 * key, so non-discoverable credential IDs still open; the attestation key; the hmac-secret key; the
 * wallet seed), the discoverable credentials, every signature counter, the device state (PIN hash,
 * PIN and UV retries, authenticatorConfig settings, backup flags), the large-blob array and the
 * credential slots. Restoring it into an empty store gives a key that answers exactly as the
 * exported one did; counters continue from their exported values.
 *
 * The plain document holds private keys in the clear and says so in its `warning` member. Sealed
 * with a passphrase it becomes { format, version, warning, kdf: scrypt + its parameters and salt,
 * cipher: AES-256-GCM, nonce, ciphertext }, the header bytes bound as associated data so a changed
 * parameter fails to open rather than silently weakening. Versioned (habit 9): `version` 1.
 */
import { aesGcmOpen, aesGcmSeal, randomBytes } from '../crypto/aead.js';
import { SCRYPT_DEFAULTS, scryptKey, type ScryptParams } from '../crypto/passphrase.js';

export type { ScryptParams } from '../crypto/passphrase.js';
import * as b64u from '../encoding/base64url.js';
import { utf8 } from '../encoding/bytes.js';
import { ALG_CODES } from './credentialId.js';
import type { CredentialSlot } from './credentialSlot.js';
import type { CredentialStore, CredProtectLevel, ResidentCredential } from './credentialStore.js';
import type { Vault } from './vault.js';

export const KEY_STATE_FORMAT = 'softkey-key-state';
export const KEY_STATE_VERSION = 1;
export const PLAIN_WARNING =
  'This file holds every private key, secret and the PIN hash of a softkey key, in the clear. ' +
  'Anyone who reads it can sign in as its credentials. Keep it like a private key, or export it sealed with a passphrase.';
export const SEALED_WARNING =
  'This file holds a softkey key (private keys included), sealed with a passphrase (scrypt + AES-256-GCM).';

export class KeyStateError extends Error {
  override name = 'KeyStateError';
}

export interface ResidentJson {
  credentialId: string;
  rpId: string;
  rpName?: string;
  userId: string;
  userName?: string;
  userDisplayName?: string;
  alg: number;
  publicKey: string;
  credProtect: CredProtectLevel;
  credBlob?: string;
  largeBlobKey?: string;
  hmacSecret?: boolean;
  thirdPartyPayment?: boolean;
  createdAt: number;
}

export interface SlotJson {
  credentialId: string;
  rpIdHash: string;
  discoverable: boolean;
  u2f: boolean;
  alg: number;
  credProtect: CredProtectLevel;
  credBlob?: string;
  hmacSecret?: boolean;
  thirdPartyPayment?: boolean;
  secret: string;
  createdAt: number;
}

/** What the store and vault hold (the composition root adds `config` and a readable `credentials` list). */
export interface StoreState {
  secrets: Record<string, string>;
  residentCredentials: ResidentJson[];
  counters: Record<string, number>;
  state: Record<string, unknown>;
  largeBlobArray?: string;
  slots: SlotJson[];
}

export interface KeyState extends StoreState {
  format: typeof KEY_STATE_FORMAT;
  version: typeof KEY_STATE_VERSION;
  warning: string;
  exportedAt: string;
  /** Device options that go with the key (profile, backup defaults), applied on open unless overridden. */
  config: Record<string, unknown>;
  /** Informational: the credentials with their private keys, as the control API lists them; ignored on import. */
  credentials?: unknown[];
}

export interface SealedKeyState {
  format: typeof KEY_STATE_FORMAT;
  version: typeof KEY_STATE_VERSION;
  warning: string;
  kdf: { name: 'scrypt'; salt: string } & ScryptParams;
  cipher: 'aes-256-gcm';
  nonce: string;
  ciphertext: string;
}

const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

export function exportStoreState(store: CredentialStore, vault: Vault): StoreState {
  const secrets: Record<string, string> = {};
  for (const name of vault.names()) secrets[name] = b64u.encode(vault.get(name)!);
  const state: Record<string, unknown> = {};
  for (const key of store.listStateKeys()) state[key] = store.getState(key);
  const counters: Record<string, number> = {};
  for (const [id, value] of store.listCounters()) counters[b64u.encode(id)] = value;
  const blob = store.getLargeBlobArray();
  return {
    secrets,
    residentCredentials: store.listAllResident().reverse().map(residentJson), // oldest first: restored in order
    counters,
    state,
    ...(blob && { largeBlobArray: b64u.encode(blob) }),
    slots: store.listSlots().map(slotJson),
  };
}

/** Replaces everything in `store` and `vault` with `s` (checked first, so a bad document changes nothing). */
export function importStoreState(store: CredentialStore, vault: Vault, s: StoreState): void {
  const checked = checkStoreState(s);
  store.wipe();
  for (const name of vault.names()) vault.delete(name);
  for (const [name, value] of Object.entries(checked.secrets)) vault.set(name, value);
  for (const slot of checked.slots) store.putSlot(slot);
  for (const cred of checked.residents) store.putResident(cred);
  for (const [id, value] of checked.counters) store.setCounter(id, value);
  for (const [key, value] of Object.entries(s.state)) store.setState(key, value);
  if (checked.largeBlobArray) store.setLargeBlobArray(checked.largeBlobArray);
}

/** True when the store and vault hold nothing (a fresh data directory). */
export function isEmptyStore(store: CredentialStore, vault: Vault): boolean {
  return (
    store.countResident() === 0 &&
    store.countSlots() === 0 &&
    store.listCounters().length === 0 &&
    vault.names().length === 0 &&
    store.listStateKeys().length === 0
  );
}

function residentJson(c: ResidentCredential): ResidentJson {
  return {
    credentialId: b64u.encode(c.credentialId),
    rpId: c.rpId,
    ...opt('rpName', c.rpName),
    userId: b64u.encode(c.userId),
    ...opt('userName', c.userName),
    ...opt('userDisplayName', c.userDisplayName),
    alg: c.alg,
    publicKey: b64u.encode(c.publicKey),
    credProtect: c.credProtect,
    ...opt('credBlob', c.credBlob && b64u.encode(c.credBlob)),
    ...opt('largeBlobKey', c.largeBlobKey && b64u.encode(c.largeBlobKey)),
    ...opt('hmacSecret', c.hmacSecret),
    ...opt('thirdPartyPayment', c.thirdPartyPayment),
    createdAt: c.createdAt,
  };
}

function slotJson(s: CredentialSlot): SlotJson {
  const p = s.payload;
  return {
    credentialId: b64u.encode(s.credentialId),
    rpIdHash: b64u.encode(s.rpIdHash),
    discoverable: p.discoverable,
    u2f: p.u2f,
    alg: p.alg,
    credProtect: p.credProtect,
    ...opt('credBlob', p.credBlob && b64u.encode(p.credBlob)),
    ...opt('hmacSecret', p.hmacSecret),
    ...opt('thirdPartyPayment', p.thirdPartyPayment),
    secret: b64u.encode(p.secret),
    createdAt: s.createdAt,
  };
}

// --- checking a document read from outside: every member, with the path of a bad one ---
function fail(path: string, what: string): never {
  throw new KeyStateError(`key state: ${path} ${what}`);
}
function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Record<string, unknown>;
}
function bytes(v: unknown, path: string): Uint8Array {
  if (typeof v !== 'string') fail(path, 'must be a base64url string');
  try {
    return b64u.decode(v);
  } catch {
    fail(path, 'is not base64url');
  }
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}
function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}
function optBool(v: unknown, path: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') fail(path, 'must be true or false');
  return v;
}
function uint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max))
    fail(path, `must be a whole number 0–${max}`);
  return v as number;
}
function alg(v: unknown, path: string) {
  if (!ALG_CODES.some(([, a]) => a === v)) fail(path, `must be one of ${ALG_CODES.map(([, a]) => a).join(', ')}`);
  return v as CredentialSlot['payload']['alg'];
}
function credProtect(v: unknown, path: string): CredProtectLevel {
  if (v !== 1 && v !== 2 && v !== 3) fail(path, 'must be 1, 2 or 3');
  return v;
}

function checkStoreState(s: StoreState) {
  const secrets: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(obj(s.secrets, 'secrets'))) secrets[k] = bytes(v, `secrets.${k}`);
  if (!Array.isArray(s.residentCredentials)) fail('residentCredentials', 'must be an array');
  const residents = s.residentCredentials.map((raw, i): ResidentCredential => {
    const p = `residentCredentials[${i}]`;
    const c = obj(raw, p);
    const rpName = optStr(c.rpName, `${p}.rpName`);
    const userName = optStr(c.userName, `${p}.userName`);
    const userDisplayName = optStr(c.userDisplayName, `${p}.userDisplayName`);
    const hmacSecret = optBool(c.hmacSecret, `${p}.hmacSecret`);
    const thirdPartyPayment = optBool(c.thirdPartyPayment, `${p}.thirdPartyPayment`);
    return {
      credentialId: bytes(c.credentialId, `${p}.credentialId`),
      rpId: str(c.rpId, `${p}.rpId`),
      ...opt('rpName', rpName),
      userId: bytes(c.userId, `${p}.userId`),
      ...opt('userName', userName),
      ...opt('userDisplayName', userDisplayName),
      alg: alg(c.alg, `${p}.alg`),
      publicKey: bytes(c.publicKey, `${p}.publicKey`),
      credProtect: credProtect(c.credProtect, `${p}.credProtect`),
      ...opt('credBlob', c.credBlob === undefined ? undefined : bytes(c.credBlob, `${p}.credBlob`)),
      ...opt('largeBlobKey', c.largeBlobKey === undefined ? undefined : bytes(c.largeBlobKey, `${p}.largeBlobKey`)),
      ...opt('hmacSecret', hmacSecret),
      ...opt('thirdPartyPayment', thirdPartyPayment),
      createdAt: uint(c.createdAt, `${p}.createdAt`),
    };
  });
  const counters = Object.entries(obj(s.counters, 'counters')).map(
    ([k, v]) => [bytes(k, `counters key ${k}`), uint(v, `counters.${k}`, 0xffffffff)] as const,
  );
  obj(s.state, 'state');
  if (!Array.isArray(s.slots)) fail('slots', 'must be an array');
  const slots = s.slots.map((raw, i): CredentialSlot => {
    const p = `slots[${i}]`;
    const c = obj(raw, p);
    const hmacSecret = optBool(c.hmacSecret, `${p}.hmacSecret`);
    const thirdPartyPayment = optBool(c.thirdPartyPayment, `${p}.thirdPartyPayment`);
    return {
      credentialId: bytes(c.credentialId, `${p}.credentialId`),
      rpIdHash: bytes(c.rpIdHash, `${p}.rpIdHash`),
      createdAt: uint(c.createdAt, `${p}.createdAt`),
      payload: {
        discoverable: optBool(c.discoverable, `${p}.discoverable`) ?? fail(`${p}.discoverable`, 'is required'),
        u2f: optBool(c.u2f, `${p}.u2f`) ?? false,
        alg: alg(c.alg, `${p}.alg`),
        credProtect: credProtect(c.credProtect, `${p}.credProtect`),
        ...opt('credBlob', c.credBlob === undefined ? undefined : bytes(c.credBlob, `${p}.credBlob`)),
        ...opt('hmacSecret', hmacSecret),
        ...opt('thirdPartyPayment', thirdPartyPayment),
        secret: bytes(c.secret, `${p}.secret`),
      },
    };
  });
  const largeBlobArray = s.largeBlobArray === undefined ? undefined : bytes(s.largeBlobArray, 'largeBlobArray');
  return { secrets, residents, counters, slots, largeBlobArray };
}

// --- the document: plain or sealed ---
export function isSealed(doc: KeyState | SealedKeyState): doc is SealedKeyState {
  return 'ciphertext' in doc;
}

/** Checks format and version of a parsed document; returns it typed. */
export function checkKeyStateHeader(value: unknown): KeyState | SealedKeyState {
  const doc = obj(value, 'the document');
  if (doc.format !== KEY_STATE_FORMAT) fail('format', `must be "${KEY_STATE_FORMAT}" (is this a softkey key state?)`);
  if (doc.version !== KEY_STATE_VERSION)
    fail('version', `${String(doc.version)} is not one this softkey reads (${KEY_STATE_VERSION})`);
  return doc as unknown as KeyState | SealedKeyState;
}

function sealedHeader(kdf: SealedKeyState['kdf']): Uint8Array {
  return utf8.encode(
    JSON.stringify({ format: KEY_STATE_FORMAT, version: KEY_STATE_VERSION, kdf, cipher: 'aes-256-gcm' }),
  );
}

export function sealKeyState(
  state: KeyState,
  passphrase: string,
  params: ScryptParams = SCRYPT_DEFAULTS,
): SealedKeyState {
  if (passphrase === '') throw new KeyStateError('the passphrase is empty');
  const kdf = { name: 'scrypt' as const, salt: b64u.encode(randomBytes(16)), ...params };
  const key = scryptKey(passphrase, b64u.decode(kdf.salt), params);
  const nonce = randomBytes(12);
  const ciphertext = aesGcmSeal(key, nonce, utf8.encode(JSON.stringify(state)), sealedHeader(kdf));
  return {
    format: KEY_STATE_FORMAT,
    version: KEY_STATE_VERSION,
    warning: SEALED_WARNING,
    kdf,
    cipher: 'aes-256-gcm',
    nonce: b64u.encode(nonce),
    ciphertext: b64u.encode(ciphertext),
  };
}

export function openKeyState(doc: KeyState | SealedKeyState, passphrase?: string): KeyState {
  if (!isSealed(doc)) return doc;
  if (passphrase === undefined)
    throw new KeyStateError('this key state is sealed with a passphrase; give the passphrase');
  const kdf = obj(doc.kdf, 'kdf') as unknown as SealedKeyState['kdf'];
  if (kdf.name !== 'scrypt') fail('kdf.name', 'must be "scrypt"');
  if (doc.cipher !== 'aes-256-gcm') fail('cipher', 'must be "aes-256-gcm"');
  let key: Uint8Array;
  try {
    key = scryptKey(passphrase, bytes(kdf.salt, 'kdf.salt'), { N: kdf.N, r: kdf.r, p: kdf.p });
  } catch (e) {
    throw e instanceof KeyStateError ? e : new KeyStateError(`key state: kdf ${(e as Error).message}`);
  }
  const plain = aesGcmOpen(
    key,
    bytes(doc.nonce, 'nonce'),
    bytes(doc.ciphertext, 'ciphertext'),
    sealedHeader({ name: 'scrypt', salt: kdf.salt, N: kdf.N, r: kdf.r, p: kdf.p }),
  );
  if (!plain) throw new KeyStateError('wrong passphrase, or the sealed key state was changed');
  return checkKeyStateHeader(JSON.parse(utf8.decode(plain))) as KeyState;
}

/** A key state given as an object or JSON text, opened with its passphrase when sealed. */
export function readKeyState(input: KeyState | SealedKeyState | string, passphrase?: string): KeyState {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new KeyStateError('the key state is not JSON');
    }
  }
  return openKeyState(checkKeyStateHeader(parsed), passphrase);
}
