/**
 * The row of one discoverable credential in SQLite's `resident` table: which columns are clear (what
 * lookups filter and order on) and what is sealed, and the codecs of both record formats.
 *
 * Format 2 (written now):
 *   clear  = seq (creation order), credential_id (already a sealed blob, credentialId.ts), rp_id_hash,
 *            rp_id, rp_name (the relying party is public: its hash is in every assertion), cred_protect
 *            (1–3, so a lookup without user verification can skip levels 2–3 in SQL), user_key
 *            (HMAC-SHA-256(indexKey, rpIdHash ‖ userId), 16 bytes: the (rpId, userId) replacement rule
 *            finds the old credential without the user ID being readable or linkable across RPs);
 *   sealed = AES-256-GCM (sealing.ts) of a CBOR map: user ID, name and display name, algorithm, public
 *            key, credBlob, largeBlobKey, extension flags and creation time. The associated data binds
 *            the sealed part to every clear column but seq, so a clear column edited on disk (a lower
 *            cred_protect, a moved RP) makes the record unreadable instead of changing what it means.
 * Format 1 (schema versions 1–2, read only by migration 3): the user entity and creation time clear,
 * the rest sealed with associated data = the credential ID.
 */
import { concat, toUint8, u16be, utf8 } from '../encoding/bytes.js';
import { decode, encode, isMap, type CborMap } from '../encoding/cbor.js';
import { hmacSha256, sha256 } from '../crypto/hash.js';
import type { CredProtectLevel, ResidentCredential } from './credentialStore.js';
import { aad, seal, unseal } from './sealing.js';

export const RESIDENT_FORMAT = 2;
const RESIDENT_AAD = `resident v${RESIDENT_FORMAT}`;
const RESIDENT_AAD_V1 = 'resident v1';
const USER_KEY_LENGTH = 16;

/** Keys of the sealed map (formats 1 and 2). Never reuse a retired key; 3 (credProtect) is clear in format 2. */
const R = {
  alg: 1,
  publicKey: 2,
  credProtect: 3,
  credBlob: 4,
  largeBlobKey: 5,
  hmacSecret: 6,
  thirdPartyPayment: 7,
  userId: 8,
  userName: 9,
  userDisplayName: 10,
  createdAt: 11,
} as const;

/** The `resident` columns of one credential, as written (seq is assigned by SQLite). */
export interface ResidentRow {
  credential_id: Uint8Array;
  rp_id_hash: Uint8Array;
  rp_id: string;
  rp_name: string | null;
  cred_protect: number;
  user_key: Uint8Array;
  format: number;
  sealed: Uint8Array;
}

export const RESIDENT_ROW_COLUMNS = 'credential_id, rp_id_hash, rp_id, rp_name, cred_protect, user_key, format, sealed';

export function rpIdHashOf(rpId: string): Uint8Array {
  return sha256(utf8.encode(rpId));
}

/** The clear, keyed stand-in for a user ID within one RP. */
export function userKeyOf(indexKey: Uint8Array, rpIdHash: Uint8Array, userId: Uint8Array): Uint8Array {
  return hmacSha256(indexKey, rpIdHash, userId).slice(0, USER_KEY_LENGTH);
}

/** Each field length-prefixed, so no two rows share associated data. */
function boundColumns(row: Omit<ResidentRow, 'format' | 'sealed'>): Uint8Array {
  const parts: Uint8Array[] = [];
  const text = row.rp_name === null ? new Uint8Array([0xff, 0xff]) : undefined;
  for (const f of [
    row.credential_id,
    row.rp_id_hash,
    utf8.encode(row.rp_id),
    new Uint8Array([row.cred_protect]),
    row.user_key,
  ]) {
    parts.push(u16be(f.length), f);
  }
  if (text) parts.push(text);
  else {
    const name = utf8.encode(row.rp_name!);
    parts.push(u16be(name.length), name);
  }
  return concat(...parts);
}

export function sealResidentRow(recordKey: Uint8Array, indexKey: Uint8Array, cred: ResidentCredential): ResidentRow {
  const rpIdHash = rpIdHashOf(cred.rpId);
  const clear = {
    credential_id: cred.credentialId,
    rp_id_hash: rpIdHash,
    rp_id: cred.rpId,
    rp_name: cred.rpName ?? null,
    cred_protect: cred.credProtect,
    user_key: userKeyOf(indexKey, rpIdHash, cred.userId),
  };
  const m: CborMap = new Map();
  m.set(R.alg, cred.alg);
  m.set(R.publicKey, cred.publicKey);
  if (cred.credBlob !== undefined) m.set(R.credBlob, cred.credBlob);
  if (cred.largeBlobKey !== undefined) m.set(R.largeBlobKey, cred.largeBlobKey);
  if (cred.hmacSecret !== undefined) m.set(R.hmacSecret, cred.hmacSecret);
  if (cred.thirdPartyPayment !== undefined) m.set(R.thirdPartyPayment, cred.thirdPartyPayment);
  m.set(R.userId, cred.userId);
  if (cred.userName !== undefined) m.set(R.userName, cred.userName);
  if (cred.userDisplayName !== undefined) m.set(R.userDisplayName, cred.userDisplayName);
  m.set(R.createdAt, cred.createdAt);
  return {
    ...clear,
    format: RESIDENT_FORMAT,
    sealed: seal(recordKey, aad(RESIDENT_AAD, boundColumns(clear)), encode(m)),
  };
}

/** A row as SQLite returns it (blobs as Buffers). */
export type StoredResidentRow = {
  [K in keyof ResidentRow]: ResidentRow[K] extends Uint8Array ? Buffer : ResidentRow[K];
};

export function openResidentRow(recordKey: Uint8Array, stored: StoredResidentRow): ResidentCredential {
  if (stored.format !== RESIDENT_FORMAT) {
    throw new Error(
      `resident credential record has record format ${stored.format}, this softkey reads format ${RESIDENT_FORMAT}`,
    );
  }
  const row = {
    credential_id: toUint8(stored.credential_id),
    rp_id_hash: toUint8(stored.rp_id_hash),
    rp_id: stored.rp_id,
    rp_name: stored.rp_name,
    cred_protect: stored.cred_protect,
    user_key: toUint8(stored.user_key),
  };
  const m = decode(
    unseal(recordKey, aad(RESIDENT_AAD, boundColumns(row)), stored.sealed, 'resident credential record'),
  );
  if (!isMap(m)) throw new Error('resident credential record is not a CBOR map');
  const cred: ResidentCredential = {
    credentialId: row.credential_id,
    rpId: row.rp_id,
    userId: m.get(R.userId) as Uint8Array,
    alg: m.get(R.alg) as number,
    publicKey: m.get(R.publicKey) as Uint8Array,
    credProtect: row.cred_protect as CredProtectLevel,
    createdAt: m.get(R.createdAt) as number,
  };
  if (row.rp_name !== null) cred.rpName = row.rp_name;
  const userName = m.get(R.userName);
  if (typeof userName === 'string') cred.userName = userName;
  const userDisplayName = m.get(R.userDisplayName);
  if (typeof userDisplayName === 'string') cred.userDisplayName = userDisplayName;
  addSealedOptionals(cred, m);
  return cred;
}

function addSealedOptionals(cred: ResidentCredential, m: CborMap): void {
  const credBlob = m.get(R.credBlob);
  if (credBlob instanceof Uint8Array) cred.credBlob = credBlob;
  const largeBlobKey = m.get(R.largeBlobKey);
  if (largeBlobKey instanceof Uint8Array) cred.largeBlobKey = largeBlobKey;
  const hmacSecret = m.get(R.hmacSecret);
  if (typeof hmacSecret === 'boolean') cred.hmacSecret = hmacSecret;
  const thirdPartyPayment = m.get(R.thirdPartyPayment);
  if (typeof thirdPartyPayment === 'boolean') cred.thirdPartyPayment = thirdPartyPayment;
}

/** A `resident` row of schema versions 1–2 (record format 1). */
export interface ResidentRowV1 {
  credential_id: Buffer;
  rp_id: string;
  rp_name: string | null;
  user_id: Buffer;
  user_name: string | null;
  user_display_name: string | null;
  created_at: number;
  format: number;
  sealed: Buffer;
}

/** Reads a format-1 row (migration 3 only). */
export function openResidentRowV1(recordKey: Uint8Array, row: ResidentRowV1): ResidentCredential {
  if (row.format !== 1)
    throw new Error(`resident credential record has record format ${row.format}, expected 1 before migration 3`);
  const credentialId = toUint8(row.credential_id);
  const m = decode(unseal(recordKey, aad(RESIDENT_AAD_V1, credentialId), row.sealed, 'resident credential record'));
  if (!isMap(m)) throw new Error('resident credential record is not a CBOR map');
  const cred: ResidentCredential = {
    credentialId,
    rpId: row.rp_id,
    userId: toUint8(row.user_id),
    alg: m.get(R.alg) as number,
    publicKey: m.get(R.publicKey) as Uint8Array,
    credProtect: m.get(R.credProtect) as CredProtectLevel,
    createdAt: row.created_at,
  };
  if (row.rp_name !== null) cred.rpName = row.rp_name;
  if (row.user_name !== null) cred.userName = row.user_name;
  if (row.user_display_name !== null) cred.userDisplayName = row.user_display_name;
  addSealedOptionals(cred, m);
  return cred;
}
