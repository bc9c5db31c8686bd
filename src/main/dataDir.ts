/** Opening, backing up and restoring a data directory, for the CLI (which may import only main). */
export { openDataDir } from '../store/dataDir.js';
export { backupDataDir, restoreDataDir } from '../store/backup.js';
export { DataDirLockedError, DataDirOccupiedError, StoreError } from '../store/storeErrors.js';
