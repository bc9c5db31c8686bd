// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// `npm test` compiles first (pretest); extra arguments filter files by substring.
//
// Test files run side by side (node:test's --test-concurrency): each file is its own process and
// every server in it binds port 0 or a random free port, and many files mostly wait (devices in
// child processes, python-fido2, libfido2, browsers). SOFTKEY_TEST_CONCURRENCY overrides the
// default, one more than the machine's cores; 1 runs them one at a time.
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
const filters = process.argv.slice(2);
const files = walk('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const given = Number(process.env.SOFTKEY_TEST_CONCURRENCY);
const concurrency = Number.isInteger(given) && given > 0 ? given : availableParallelism() + 1;
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
