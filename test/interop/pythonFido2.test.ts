/**
 * Interop: Yubico's python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real
 * `softkey start` process over UDP, with python-fido2's own CTAPHID framing and attestation
 * verification (test/interop/python/flows.py): the core CTAP2 surface.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite, SHORT_RESET_WINDOW_MS } from './pythonSuite.js';

test('python-fido2 0.9.1 drives softkey over UDP', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows.py', resetWindowMs: SHORT_RESET_WINDOW_MS, expectedChecks: 55 });
});
