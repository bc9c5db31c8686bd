/** Opening a data directory, for the CLI (which may import only main). */
export { openDataDir } from '../store/dataDir.js';
