/**
 * Interop over TCP HID (issue #7): the core python-fido2 suite (flows.py, all its checks) with
 * every CTAPHID report carried by `softkey start --tcp-hid` (2-byte length framing) instead of
 * UDP. The power cycle the suite needs stays out of band, on the device's UDP port.
 */
import { createServer } from 'node:net';
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

/** A TCP port that was free on loopback a moment ago. */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test('python-fido2 0.9.1 drives softkey over TCP HID', { timeout: 240_000 }, async (t) => {
  const port = await freeTcpPort();
  await runPythonSuite(t, {
    script: 'flows.py',
    expectedChecks: 55,
    device: { args: ['--tcp-hid', `127.0.0.1:${port}`], readyPattern: /CTAPHID over TCP/ },
    scriptArgs: ['--tcp-hid-port', String(port)],
    label: 'python-fido2 over TCP HID',
  });
});
