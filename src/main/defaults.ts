/**
 * Defaults the command needs before (or without) the device stack: kept in a module with no heavy
 * imports, so `softkey ctl`, `softkey state --help` and the like do not load the authenticator.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where credentials live unless --data-dir says otherwise. */
export const DEFAULT_DATA_DIR = join(homedir(), '.softkey');
