/**
 * Interop: python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real `softkey start`
 * process over UDP through CTAP 2.1's management surface (test/interop/python/flows_manage.py):
 * ClientPin with both PIN/UV auth protocols, CredentialManagement (and the 0x41 preview command),
 * LargeBlobs, Config, and their negative paths.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test(
  'python-fido2 0.9.1: clientPIN, credentialManagement, largeBlobs, authenticatorConfig',
  { timeout: 240_000 },
  async (t) => {
    await runPythonSuite(t, { script: 'flows_manage.py', expectedChecks: 44 });
  },
);
