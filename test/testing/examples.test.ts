/**
 * The Vitest and Jest examples (examples/vitest, examples/jest) are tests: each runs in its own
 * runner, with its DOM environment (jsdom, happy-dom), and every one of its tests must pass (none
 * skipped). Their page code is @simplewebauthn/browser, their relying party @simplewebauthn/server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';

interface JestLikeReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: Array<{ name: string }>;
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules --no-warnings' }; // Jest's ESM support
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** The JSON report: the last line of output that parses as one (runners may print more). */
function report(out: string): JestLikeReport {
  const start = out.indexOf('{"num');
  assert.ok(start >= 0, `no JSON report in:\n${out.slice(0, 2000)}`);
  return JSON.parse(out.slice(start)) as JestLikeReport;
}

function assertAllPassed(r: { code: number | null; out: string; err: string }, files: string[]): void {
  const summary = report(r.out);
  assert.equal(r.code, 0, r.err.slice(-4000));
  assert.equal(summary.numFailedTests, 0);
  assert.equal(summary.numPendingTests, 0);
  assert.ok(summary.numPassedTests >= 5, `${summary.numPassedTests} tests passed`);
  assert.equal(summary.numPassedTests, summary.numTotalTests);
  assert.deepEqual(summary.testResults.map((t) => t.name.split('/').pop()).sort(), files);
}

it('the Vitest example passes in jsdom and happy-dom', { timeout: 180_000 }, async () => {
  const r = await run([
    join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--root',
    'examples/vitest',
    '--reporter=json',
  ]);
  assertAllPassed(r, ['happy-dom.test.ts', 'passkeys.test.ts']);
});

it('the Jest example passes in jsdom', { timeout: 180_000 }, async () => {
  const jest = join(REPO_ROOT, 'node_modules/jest/bin/jest.js');
  const r = await run([jest, '--config', 'examples/jest/jest.config.mjs', '--rootDir', 'examples/jest', '--json']);
  assertAllPassed(r, ['passkeys.test.mjs']);
});

it("the README's softkey/testing example is the Vitest example's own text", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- readme-test: testing-vitest -->');
  assert.ok(at >= 0, 'README has the testing-vitest example');
  const block = /```ts\n([\s\S]*?)\n```/.exec(readme.slice(at))?.[1];
  assert.ok(block && block.split('\n').length > 10, 'a ts code block follows the marker');
  assert.ok(readFileSync(join(REPO_ROOT, 'examples/vitest/passkeys.test.ts'), 'utf8').includes(block));
});
