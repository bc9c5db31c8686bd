/**
 * A credential made outside the device (the control API's "add a credential", as Chrome DevTools'
 * WebAuthn.addCredential): the given key pair is sealed into a credential ID exactly as
 * authenticatorMakeCredential (CTAP 2.1 §6.1.2 steps 16–18) would, and a discoverable one gets its
 * record in the store. Also the per-credential backup flags (WebAuthn L3 §6.1.3, BE/BS) that the
 * control API sets and every assertion then reports.
 */
import { toHex } from '../encoding/bytes.js';
import { encodeCoseKey, type CoseKey, type CredentialAlg } from '../encoding/cose.js';
import { Flag } from '../ctap2/authenticatorData.js';
import type { CredProtectLevel } from '../store/credentialStore.js';
import type { Core } from './core.js';
import { credentialEvent } from './credentialEvents.js';

export interface ImportedCredential {
  rpId: string;
  rpName?: string;
  /** Discoverable (resident) credentials need a user. */
  discoverable: boolean;
  user?: { id: Uint8Array; name?: string; displayName?: string };
  key: { alg: CredentialAlg; secret: Uint8Array; publicKey: CoseKey };
  credProtect?: CredProtectLevel;
  signCount?: number;
  /**
   * Keep this credential ID (one the relying party already knows, e.g. from another key): the
   * payload is stored in a slot under it, as a slot credential's is (credentialSlot.ts).
   */
  credentialId?: Uint8Array;
  /** Backup flags; default the authenticator-wide defaults. */
  backup?: BackupFlags;
}

/** WebAuthn L3 §4 "Credential ID": at most 1023 bytes; at least 16 bytes of entropy. */
const MIN_ID_LENGTH = 16;
const MAX_ID_LENGTH = 1023;

export function importCredential(
  core: Core,
  cred: ImportedCredential,
): { credentialId: Uint8Array; publicKey: Uint8Array } {
  const { env } = core;
  if (cred.discoverable && !cred.user) throw new RangeError('a discoverable credential needs a user');
  const credProtect = cred.credProtect ?? 1;
  const rpIdHash = core.rpIdHash(cred.rpId);
  // Profiles with credential slots (the badge): an imported credential takes one too.
  if (!core.hasFreeCredentialSlot())
    throw new RangeError("every credential slot is taken (the profile's credentialSlots)");
  const payload = {
    discoverable: cred.discoverable,
    u2f: false,
    alg: cred.key.alg,
    credProtect,
    secret: cred.key.secret,
  };
  let credentialId: Uint8Array;
  if (cred.credentialId) {
    credentialId = cred.credentialId;
    if (credentialId.length < MIN_ID_LENGTH || credentialId.length > MAX_ID_LENGTH) {
      throw new RangeError(`a credential ID is ${MIN_ID_LENGTH}–${MAX_ID_LENGTH} bytes`);
    }
    if (core.resolve(credentialId, rpIdHash) || env.store.getSlot(credentialId)) {
      throw new RangeError('this key already has a credential with that ID');
    }
    env.store.putSlot({ credentialId, rpIdHash, payload, createdAt: env.clock.now() });
  } else credentialId = core.newCredentialId(rpIdHash, payload);
  const publicKey = encodeCoseKey(cred.key.publicKey);
  if (cred.discoverable) {
    const user = cred.user!;
    env.store.putResident({
      credentialId,
      rpId: cred.rpId,
      ...(cred.rpName !== undefined && { rpName: cred.rpName }),
      userId: user.id,
      ...(user.name !== undefined && { userName: user.name }),
      ...(user.displayName !== undefined && { userDisplayName: user.displayName }),
      alg: cred.key.alg,
      publicKey,
      credProtect,
      createdAt: env.clock.now(),
    });
  }
  if (cred.signCount) env.store.setCounter(credentialId, cred.signCount);
  let flags: number;
  if (cred.backup) {
    setBackupFlags(core, toHex(credentialId), cred.backup);
    flags = backupFlagBits(core, credentialId);
  } else flags = recordNewCredentialBackupFlags(core, credentialId);
  credentialEvent(core, {
    type: 'credentialAdded',
    credentialId,
    rpId: cred.rpId,
    ...(cred.discoverable && { userHandle: cred.user!.id }),
    discoverable: cred.discoverable,
    signCount: cred.signCount ?? 0,
    flags,
  });
  return { credentialId, publicKey };
}

/** Backup flags, kept in the store's device state under one key: credential ID (hex) → BE|BS bits. */
const BACKUP_STATE_KEY = 'backupFlags';

export interface BackupFlags {
  backupEligible: boolean;
  backupState: boolean;
}

function flagsTable(core: Core): Record<string, number> {
  return (core.runtime.backupFlags ??= core.env.store.getState<Record<string, number>>(BACKUP_STATE_KEY) ?? {});
}

/** The BE/BS bits of authenticatorData for a credential (0 unless the control API set them). */
export function backupFlagBits(core: Core, credentialId: Uint8Array): number {
  const table = flagsTable(core);
  for (const _ in table) return table[toHex(credentialId)] ?? 0; // hex only when some flag is set
  return 0;
}

/** The BE|BS bits the authenticator-wide defaults (config backupEligible/backupState) give a new credential. */
export function defaultBackupBits(core: Core): number {
  const { backupEligible, backupState } = core.config;
  return (backupEligible || backupState ? Flag.BE : 0) | (backupState ? Flag.BS : 0);
}

/** Changes the authenticator-wide defaults (for credentials made from now on); BS implies BE. */
export function setBackupDefaults(core: Core, flags: BackupFlags): void {
  if (flags.backupState && !flags.backupEligible) throw new RangeError('backup state requires backup eligibility');
  core.config.backupEligible = flags.backupEligible;
  core.config.backupState = flags.backupState;
}

/** A new credential takes the defaults' bits (BE is a property fixed when the credential is made). */
export function recordNewCredentialBackupFlags(core: Core, credentialId: Uint8Array): number {
  const bits = defaultBackupBits(core);
  if (bits)
    setBackupFlags(core, toHex(credentialId), {
      backupEligible: (bits & Flag.BE) !== 0,
      backupState: (bits & Flag.BS) !== 0,
    });
  return bits;
}

/** Sets a credential's backup flags; BS without BE is invalid (WebAuthn L3 §6.1.3). */
export function setBackupFlags(core: Core, credentialIdHex: string, flags: BackupFlags): void {
  if (flags.backupState && !flags.backupEligible) throw new RangeError('backup state requires backup eligibility');
  const table = { ...flagsTable(core) };
  const bits = (flags.backupEligible ? Flag.BE : 0) | (flags.backupState ? Flag.BS : 0);
  if (bits) table[credentialIdHex] = bits;
  else delete table[credentialIdHex];
  core.env.store.setState(BACKUP_STATE_KEY, Object.keys(table).length ? table : undefined);
  core.runtime.backupFlags = table;
}
