/**
 * Interop, split mode (issue #6, seed 004): the same python-fido2 0.9.1 core suite
 * (test/interop/python/flows.py) against `softkey start --split`, where a secure-core child process
 * holds the store, the keys, the PIN and the prompts, and the front assembles every answer from its
 * messages; flows_split.py for what split mode adds over the seed (clientPIN, UV by token); and the
 * single-process suites (management, extensions, Ctap1, CTAP 2.3, the ctap20 and badge profiles),
 * which the core answers with its own implementation through the extension messages 0x0113 and
 * 0x0115. The same suites over TCP HID: pythonFido2SplitTcpHid.test.ts.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { runPythonSuite, SHORT_RESET_WINDOW_MS } from './pythonSuite.js';

test('python-fido2 0.9.1 drives softkey --split over UDP', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows.py',
    resetWindowMs: SHORT_RESET_WINDOW_MS,
    expectedChecks: 55,
    device: { args: ['--split'] },
    label: 'python-fido2 split',
  });
});

test('python-fido2 0.9.1: clientPIN and UV by token in the secure core (--split)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows_split.py',
    expectedChecks: 20,
    device: { args: ['--split'] },
    label: 'python-fido2 split PIN',
  });
});

test(
  'python-fido2 0.9.1: credentialManagement, largeBlobs, authenticatorConfig in the secure core (--split)',
  { timeout: 240_000 },
  async (t) => {
    await runPythonSuite(t, {
      script: 'flows_manage.py',
      expectedChecks: 44,
      device: { args: ['--split'] },
      label: 'python-fido2 split manage',
    });
  },
);

test('python-fido2 0.9.1: CTAP2 extensions in the secure core (--split)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows_extensions.py',
    expectedChecks: 41,
    device: { args: ['--split'] },
    label: 'python-fido2 split extensions',
  });
});

test('python-fido2 0.9.1 Ctap1: U2F APDUs forwarded to the secure core (--split)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows_ctap1.py',
    expectedChecks: 21,
    device: { args: ['--split'] },
    label: 'python-fido2 split Ctap1',
  });
});

test('python-fido2 0.9.1: CTAP 2.3 in the secure core (--split)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows_ctap23.py',
    expectedChecks: 10,
    device: { args: ['--split'] },
    label: 'python-fido2 split ctap23',
  });
});

test(
  'python-fido2 0.9.1: --profile ctap20 applies in split mode (the core runs every command)',
  { timeout: 240_000 },
  async (t) => {
    await runPythonSuite(t, {
      script: 'flows_ctap20.py',
      expectedChecks: 22,
      device: { args: ['--split', '--no-apdu', '--profile', 'ctap20'] },
      label: 'python-fido2 split ctap20',
    });
  },
);

test(
  'python-fido2 0.9.1: --profile badge in split mode (credential slots, PIN set with softkey pin set)',
  { timeout: 240_000 },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'softkey-split-badge-'));
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
      device: { dataDir, args: ['--split', '--no-apdu', '--profile', 'badge'] },
      label: 'python-fido2 split badge',
    });
  },
);
