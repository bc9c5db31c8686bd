// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// `npm test` compiles first (pretest); extra arguments filter files by substring.
//
// Test files run side by side (node:test's --test-concurrency): each file is its own process and
// every server in it binds port 0 or a random free port, and many files mostly wait (devices in
// child processes, python-fido2, libfido2, browsers). SOFTKEY_TEST_CONCURRENCY overrides the
// default, one more than the machine's cores; 1 runs them one at a time.
//
// node --test starts files in the order given, so the known-long files go first (LONG_FIRST) and
// the short ones fill the gaps after them: a long file started last runs on alone and sets the
// total time. SOFTKEY_TEST_TIMES=<file> writes each file's wall time (a JSON line per file) to
// refresh the list.
import { availableParallelism } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.js') ? [path] : [];
  });
}
/**
 * The longest test files, longest first (issue 21 item 6): measured one at a time on the 2-core CI
 * machine by the CPU seconds of each file's process tree (browsers, child devices, python, tsc,
 * Artillery included) plus a fifth of its wall time (which counts what a file waits for). A file
 * not listed starts after these, in path order; a listed name that no longer exists is ignored.
 */
const LONG_FIRST = [
  'main/soak',
  'interop/pythonFido2Split',
  'control/ctl',
  'playwright/fixture',
  'artillery/run',
  'testing/examples',
  'interop/pythonFido2SplitTcpHid',
  'browser/engines',
  'interop/libfido2',
  'types/resolution',
  'rp/rpCheck',
  'crypto/keygen',
  'rp/mds',
  'browser/puppeteer',
  'mcp/mcp',
  'browser/demoBridge',
  'webdriver/selenium',
  'testing/installSoftkey',
  'webdriver/webdriverio',
  'browser/shim',
  'control/keyStateCli',
  'browser/panel',
  'browser/bridgeSecurity',
  'docs/package',
  'browser/webauthnL3',
  'authenticator/residentScale',
];

/** A file's place: its index in LONG_FIRST, or after all of them. */
function rank(file) {
  const i = LONG_FIRST.findIndex((name) => file === join('dist', 'test', `${name}.test.js`));
  return i < 0 ? LONG_FIRST.length : i;
}

const filters = process.argv.slice(2);
const files = walk('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const given = Number(process.env.SOFTKEY_TEST_CONCURRENCY);
const concurrency = Number.isInteger(given) && given > 0 ? given : availableParallelism() + 1;
const times = process.env.SOFTKEY_TEST_TIMES;
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
if (times) reporters.push('--test-reporter=./scripts/fileTimes.mjs', `--test-reporter-destination=${times}`);
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
