/**
 * Interop: python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real `softkey start`
 * process over UDP through the CTAP 2.3 surface (test/interop/python/flows_ctap23.py): getInfo
 * 0x16–0x1F and FIDO_2_3, ES384/ES512 verified with `cryptography`, attestationFormatsPreference,
 * the persistent pinUvAuthToken with python-fido2's own ClientPin and CredentialManagement, the
 * enc* members decrypted with HKDF + AES-CBC, and enableLongTouchForReset.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1: CTAP 2.3 (raw CBOR where 0.9.1 has no method)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows_ctap23.py', expectedChecks: 10 });
});
