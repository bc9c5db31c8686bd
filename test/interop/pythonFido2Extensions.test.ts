/**
 * Interop: python-fido2 0.9.1 drives softkey's CTAP 2.1 extensions (credProtect, hmac-secret with
 * both PIN/UV auth protocols, hmac-secret-mc, credBlob, largeBlobKey, minPinLength,
 * thirdPartyPayment) over UDP against a real `softkey start` process
 * (test/interop/python/flows_extensions.py).
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1 drives the CTAP 2.1 extensions', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows_extensions.py', expectedChecks: 41, label: 'extensions' });
});
