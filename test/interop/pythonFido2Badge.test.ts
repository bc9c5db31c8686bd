/**
 * Interop: python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real `softkey start
 * --profile badge` over UDP (test/interop/python/flows_badge.py) whose PIN was set on the device with
 * `softkey pin set`: seed 003's getInfo, refusals, PIN protocol 2 tokens and 26 credential slots.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1 drives softkey --profile badge', { timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'softkey-badge-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const code = await main(['pin', 'set', '--data-dir', dataDir], {
    out: () => {},
    err: (s) => t.diagnostic(s),
    stdin: Readable.from(['1234\n']),
  });
  assert.equal(code, 0);
  await runPythonSuite(t, {
    script: 'flows_badge.py',
    expectedChecks: 15,
    device: { dataDir, args: ['--no-apdu', '--profile', 'badge'] },
  });
});
