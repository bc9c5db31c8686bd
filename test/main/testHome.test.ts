/**
 * Test runs never touch the user's ~/.softkey: every test file that runs the CLI (in process, as
 * its own process, or through test/interop/startDevice.ts) imports test/helpers/tempHome.ts first,
 * which points HOME, and so the default data directory, at a temporary directory.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { TEST_HOME } from '../helpers/tempHome.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { DEFAULT_DATA_DIR } from '../../src/main/device.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

it('the default data directory is under the temporary HOME of a test that imports tempHome first', () => {
  assert.equal(DEFAULT_DATA_DIR, join(TEST_HOME, '.softkey'));
});

it('every test file that runs the CLI imports tempHome before anything else', () => {
  const runsCli = /src\/cli\/|cli\/bin\.js|startDevice|pythonSuite\.js|libfido2\.js/;
  const files = testFiles(join(REPO_ROOT, 'test')).filter((f) => runsCli.test(readFileSync(f, 'utf8')));
  assert.ok(files.length >= 20, `CLI test files found: ${files.length}`);
  const late = files.filter((f) => {
    const first = /^import\s[^;]*?;/m.exec(readFileSync(f, 'utf8'))?.[0];
    return first !== "import '../helpers/tempHome.js';";
  });
  assert.deepEqual(
    late.map((f) => relative(REPO_ROOT, f)),
    [],
  );
});
