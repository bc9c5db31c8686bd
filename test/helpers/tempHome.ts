/**
 * Imported first by every test that runs the softkey CLI: HOME becomes a fresh temporary directory,
 * so the default data directory (~/.softkey, main/device.ts DEFAULT_DATA_DIR, computed when that
 * module loads) is inside it, and a command given no --data-dir never touches the user's real one.
 * Child processes (the CLI as its own process, python-fido2, browsers) inherit it.
 * test/main/testHome.test.ts checks that every such test file imports this first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_HOME = mkdtempSync(join(tmpdir(), 'softkey-home-'));
process.env.HOME = TEST_HOME;
process.env.USERPROFILE = TEST_HOME;
process.once('exit', () => rmSync(TEST_HOME, { recursive: true, force: true }));
