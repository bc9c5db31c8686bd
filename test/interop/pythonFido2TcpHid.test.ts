/**
 * Interop over TCP HID (issue #7): the core python-fido2 suite (flows.py, all its checks) with
 * every CTAPHID report carried by `softkey start --tcp-hid` (2-byte length framing) instead of
 * UDP. The power cycle the suite needs stays out of band, on the device's UDP port. Split mode runs
 * every suite over TCP HID in pythonFido2SplitTcpHid.test.ts.
 */
import '../helpers/tempHome.js';
import { test } from 'node:test';
import { runPythonSuite, SHORT_RESET_WINDOW_MS } from './pythonSuite.js';
import { freeTcpPort } from './startDevice.js';

test('python-fido2 0.9.1 drives softkey over TCP HID', { timeout: 240_000 }, async (t) => {
  const port = await freeTcpPort();
  await runPythonSuite(t, {
    script: 'flows.py',
    resetWindowMs: SHORT_RESET_WINDOW_MS,
    expectedChecks: 55,
    device: { args: ['--tcp-hid', `127.0.0.1:${port}`], readyPattern: /CTAPHID over TCP/ },
    scriptArgs: ['--tcp-hid-port', String(port)],
    label: 'python-fido2 over TCP HID',
  });
});
