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

export interface ImportedCredential {
  rpId: string;
  rpName?: string;
  /** Discoverable (resident) credentials need a user. */
  discoverable: boolean;
  user?: { id: Uint8Array; name?: string; displayName?: string };
  key: { alg: CredentialAlg; secret: Uint8Array; publicKey: CoseKey };
  credProtect?: CredProtectLevel;
  signCount?: number;
}

export function importCredential(core: Core, cred: ImportedCredential): { credentialId: Uint8Array; publicKey: Uint8Array } {
  const { env } = core;
  if (cred.discoverable && !cred.user) throw new RangeError('a discoverable credential needs a user');
  const credProtect = cred.credProtect ?? 1;
  const rpIdHash = core.rpIdHash(cred.rpId);
  // Profiles with credential slots (the badge): an imported credential takes one too.
  if (!core.hasFreeCredentialSlot()) throw new RangeError('every credential slot is taken (the profile\'s credentialSlots)');
  const credentialId = core.newCredentialId(rpIdHash, { discoverable: cred.discoverable, u2f: false, alg: cred.key.alg, credProtect, secret: cred.key.secret });
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
  return { credentialId, publicKey };
}

/** Backup flags, kept in the store's device state under one key: credential ID (hex) → BE|BS bits. */
const BACKUP_STATE_KEY = 'backupFlags';

export interface BackupFlags {
  backupEligible: boolean;
  backupState: boolean;
}

function flagsTable(core: Core): Record<string, number> {
  return core.runtime.backupFlags ??= core.env.store.getState<Record<string, number>>(BACKUP_STATE_KEY) ?? {};
}

/** The BE/BS bits of authenticatorData for a credential (0 unless the control API set them). */
export function backupFlagBits(core: Core, credentialId: Uint8Array): number {
  const table = flagsTable(core);
  for (const _ in table) return table[toHex(credentialId)] ?? 0; // hex only when some flag is set
  return 0;
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
