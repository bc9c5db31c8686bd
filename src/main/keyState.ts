/**
 * Whole-key export and import for a data directory (`softkey state export|import`). A device
 * running on the directory is reached through its control API for an export; an import refuses
 * while one runs (it would keep serving the old key from memory), and refuses a non-empty
 * directory unless forced. Opening the directory goes through openDataDir like a device does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDataDir } from '../store/dataDir.js';
import { MASTER_KEY_FILE } from '../store/masterKey.js';
import {
  importStoreState,
  isEmptyStore,
  KeyStateError,
  readKeyState,
  type KeyState,
  type SealedKeyState,
} from '../store/snapshot.js';
import { controlRequest, findRunningDevice } from '../control/controlClient.js';
import { openSoftKey } from './softkey.js';

export { KeyStateError } from '../store/snapshot.js';

export async function exportKeyState(
  dataDir: string,
  options: { passphrase?: string } = {},
): Promise<KeyState | SealedKeyState> {
  const device = await findRunningDevice(dataDir);
  if (device)
    return (await controlRequest(
      device,
      'POST',
      '/key-state',
      options.passphrase === undefined ? {} : { passphrase: options.passphrase },
    )) as KeyState | SealedKeyState;
  if (!existsSync(join(dataDir, MASTER_KEY_FILE)))
    throw new KeyStateError(`${dataDir} holds no softkey key (no ${MASTER_KEY_FILE})`);
  const key = await openSoftKey({ dataDir, presence: 'deny' });
  try {
    return key.exportState(options);
  } finally {
    await key.close();
  }
}

/** Restores `text` (a key state's JSON) into `dataDir`; returns the saved config (profile, backup defaults) to start with. */
export async function importKeyState(
  dataDir: string,
  text: string,
  options: { passphrase?: string; force?: boolean } = {},
): Promise<Record<string, unknown>> {
  if (await findRunningDevice(dataDir)) {
    throw new KeyStateError(`a softkey is running on ${dataDir}; stop it before importing a key state into it`);
  }
  const dir = openDataDir(dataDir);
  let state;
  try {
    // Refusals first, before the (deliberately slow) passphrase derivation.
    if (!options.force && !isEmptyStore(dir.store, dir.vault)) {
      throw new KeyStateError(`${dataDir} already holds a key; give --force to replace it (its credentials are lost)`);
    }
    state = readKeyState(text, options.passphrase);
    importStoreState(dir.store, dir.vault, state);
  } finally {
    dir.close();
  }
  return state.config;
}
