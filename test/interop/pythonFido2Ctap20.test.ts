/**
 * Interop: python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real `softkey start
 * --profile ctap20` over UDP (test/interop/python/flows_ctap20.py): it sees a CTAP 2.0-only key,
 * uses PIN protocol 1 and the legacy getPinToken, and makes and uses credentials with that token.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1 sees a CTAP 2.0 key under --profile ctap20', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, {
    script: 'flows_ctap20.py',
    expectedChecks: 22,
    device: { args: ['--no-apdu', '--profile', 'ctap20'] },
  });
});
