/**
 * Interop: python-fido2 0.9.1's Ctap1 (U2F over CTAPHID_MSG) and Ctap2 drive a real
 * `softkey start` process over UDP (test/interop/python/flows_ctap1.py): VERSION, REGISTER with
 * the fido-u2f attestation verified by python-fido2, AUTHENTICATE with each control byte, short
 * APDUs, the credentials CTAP 2.1 §10 shares between U2F and CTAP2, and alwaysUv turning U2F off.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1 Ctap1 drives softkey over UDP', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows_ctap1.py', expectedChecks: 21 });
});
